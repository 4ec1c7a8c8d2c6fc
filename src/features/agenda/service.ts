import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import type { Action } from '../../domain/accessPolicy'
import { checkReminder, frenchTime, statusLabel, type ReminderCheck } from '../../domain/agenda'
import { calendar, type IcsEvent } from '../../domain/ics'
import {
  appointmentRecords,
  findRule,
  recommendations,
  reimbursementRecords,
  ruleSetFor,
  type PreventionRecord,
  type Recommendation,
} from '../../domain/prevention'
import { vaccineLabel } from '../../domain/vaccines'
import { NotFoundError } from '../../errors'
import type { Notifier } from '../../infrastructure/notifier'
import { isoDate } from '../../domain/parisTime'
import type { ActivityLog } from '../history/activity'
import { agendaRepository as repo, type EventFields, type EventRow } from './repository'
import { reimbursementsRepository } from '../reimbursements/repository'
import type { AccessFacts } from '../../access/facts'
import { vaccinationsRepository } from '../vaccinations/repository'

export const hashToken = (token: string) => crypto.createHash('sha256').update(token).digest('hex')

export interface AgendaEvent extends EventRow {
  statusLabel: string
  timeLabel: string
}

const view = (e: EventRow): AgendaEvent => ({ ...e, statusLabel: statusLabel(e.status), timeLabel: frenchTime(e.time) })

/**
 * The agenda (SPEC §8): appointments and events with statuses, reminders by e-mail (at most 10 per
 * event), an `.ics` per event and a private iCalendar link (revocable), and «Examens et vaccins
 * recommandés» computed by the pure function of `src/domain/prevention`.
 */
export function createAgendaService(deps: { db: Knex; access: AccessFacts; activity: ActivityLog; notifier: Notifier; publicUrl: string }) {
  const { db, activity } = deps
  // Whose agenda the actor looks at (their own, or a child's after «Changer de profil»), once the policy allowed it.
  const may = async (actor: Actor, action: Action, trx: Knex = db) =>
    (await deps.access.authorizeSubject(trx, actor, action, { type: 'agenda' })).personId

  async function personFacts(personId: string) {
    const p = await repo.person(db, personId)
    if (!p) throw new NotFoundError()
    return p
  }

  /**
   * What the recommendations are computed from: vaccinations, reimbursed acts and agenda appointments
   * (honoured: done; booked: planned), matched by the rules of the year (`acts`, next to the rules).
   */
  async function records(personId: string, today: string): Promise<PreventionRecord[]> {
    const set = ruleSetFor(Number(today.slice(0, 4)))
    const [vaccines, acts, events] = await Promise.all([
      vaccinationsRepository.listForPerson(db, personId),
      reimbursementsRepository.acts(db, personId),
      repo.preventionEvents(db, personId),
    ])
    return [
      ...vaccines.map((v) => ({ code: v.vaccine, date: v.date, via: `Vaccination : ${vaccineLabel(v.vaccine, v.other_name)}` })),
      ...reimbursementRecords(set, acts),
      ...appointmentRecords(set, events, today),
    ]
  }

  async function own(actor: Actor, action: Action, id: string, trx: Knex = db, lock = false): Promise<EventRow> {
    const personId = await may(actor, action, trx)
    const e = await repo.find(trx, personId, id, { lock })
    if (!e) throw new NotFoundError()
    return e
  }

  return {
    /** Upcoming events (today on) and the care history (past ones), for the profile being looked at. */
    async list(actor: Actor, today = isoDate()): Promise<{ upcoming: AgendaEvent[]; past: AgendaEvent[] }> {
      const rows = (await repo.list(db, await may(actor, 'list'))).map(view)
      return { upcoming: rows.filter((e) => e.date >= today), past: rows.filter((e) => e.date < today).reverse() }
    },

    async get(actor: Actor, id: string) {
      const e = await own(actor, 'read', id)
      return { event: view(e), reminders: await repo.reminders(db, e.id) }
    },

    async create(actor: Actor, f: EventFields): Promise<string> {
      return db.transaction(async (trx) => {
        const personId = await may(actor, 'create', trx)
        const id = await repo.insert(trx, personId, actor.accountId, { ...f, status: f.status ?? 'confirme' })
        await activity.record(trx, actor, {
          action: 'agenda.event_created',
          subjectPersonId: personId,
          objectType: 'agenda_event',
          objectId: id,
          details: { date: f.date },
        })
        return id
      })
    },

    async update(actor: Actor, id: string, f: EventFields): Promise<void> {
      await db.transaction(async (trx) => {
        const e = await own(actor, 'update', id, trx, true)
        await repo.update(trx, e.id, f)
        if (f.status === 'annule') await repo.deletePendingReminders(trx, e.id)
        await activity.record(trx, actor, {
          action: 'agenda.event_updated',
          subjectPersonId: e.person_id,
          objectType: 'agenda_event',
          objectId: e.id,
          details: { date: f.date, status: f.status },
        })
      })
    },

    async cancel(actor: Actor, id: string): Promise<void> {
      await db.transaction(async (trx) => {
        const e = await own(actor, 'update', id, trx, true)
        if (e.status === 'annule') return
        await repo.update(trx, e.id, { status: 'annule' })
        await repo.deletePendingReminders(trx, e.id)
        await activity.record(trx, actor, {
          action: 'agenda.event_cancelled',
          subjectPersonId: e.person_id,
          objectType: 'agenda_event',
          objectId: e.id,
          details: { date: e.date },
        })
      })
    },

    /** Adds a reminder for the signed-in account (the e-mail goes to them). Locks the event: the limit holds under concurrency. */
    async addReminder(
      actor: Actor,
      id: string,
      input: { kind: 'veille' | 'date'; date?: string },
      today = isoDate(),
    ): Promise<ReminderCheck> {
      return db.transaction(async (trx) => {
        const e = await own(actor, 'update', id, trx, true)
        const existing = (await repo.reminders(trx, e.id)).map((r) => r.remind_on)
        const check = checkReminder({ eventDate: e.date, eventStatus: e.status, kind: input.kind, date: input.date, existing, today })
        if (!check.ok) return check
        await repo.addReminder(trx, { event_id: e.id, account_id: actor.accountId, remind_on: check.remindOn, kind: input.kind })
        await activity.record(trx, actor, {
          action: 'agenda.reminder_added',
          subjectPersonId: e.person_id,
          objectType: 'agenda_event',
          objectId: e.id,
          details: { remindOn: check.remindOn },
        })
        return check
      })
    },

    async removeReminder(actor: Actor, id: string, reminderId: number): Promise<void> {
      await db.transaction(async (trx) => {
        const e = await own(actor, 'update', id, trx, true)
        if (!(await repo.deleteReminder(trx, e.id, reminderId))) throw new NotFoundError()
        await activity.record(trx, actor, {
          action: 'agenda.reminder_removed',
          subjectPersonId: e.person_id,
          objectType: 'agenda_event',
          objectId: e.id,
        })
      })
    },

    /** One event as an `.ics` file (behind login: everything the person typed). */
    async eventIcs(actor: Actor, id: string): Promise<string> {
      const e = await own(actor, 'read', id)
      return calendar([toIcs(e, 'full')], { name: 'Mon espace santé' })
    },

    /** The private links of this account for this profile (never the token: only its hash is kept). */
    async links(actor: Actor) {
      return repo.links(db, await may(actor, 'manage'), actor.accountId)
    },

    /** A new private link: the token is shown once, only its hash is stored. */
    async createLink(actor: Actor, detail: 'minimal' | 'titles'): Promise<string> {
      const personId = await may(actor, 'manage')
      const token = crypto.randomBytes(32).toString('base64url')
      await db.transaction(async (trx) => {
        const id = await repo.insertLink(trx, { person_id: personId, account_id: actor.accountId, token_hash: hashToken(token), detail })
        await activity.record(trx, actor, {
          action: 'agenda.calendar_link_created',
          subjectPersonId: personId,
          objectType: 'calendar_link',
          objectId: id,
          details: { detail },
        })
      })
      return token
    },

    async revokeLink(actor: Actor, linkId: string): Promise<void> {
      const personId = await may(actor, 'manage')
      await db.transaction(async (trx) => {
        if (!(await repo.revokeLink(trx, personId, actor.accountId, linkId))) throw new NotFoundError()
        await activity.record(trx, actor, {
          action: 'agenda.calendar_link_revoked',
          subjectPersonId: personId,
          objectType: 'calendar_link',
          objectId: linkId,
        })
      })
    },

    /**
     * The private iCalendar feed of a token (no sign-in): null when unknown or revoked. It carries
     * dates and times, and — only if the person chose it — the titles they typed; never the place,
     * the professional or the notes, and no cancelled event.
     */
    async feed(token: string): Promise<string | null> {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null
      const link = await repo.linkByHash(db, hashToken(token))
      if (!link) return null
      const rows = (await repo.list(db, link.person_id)).filter((e) => e.status !== 'annule')
      return calendar(
        rows.map((e) => toIcs(e, link.detail)),
        { name: 'Mon espace santé' },
      )
    },

    /** «Examens et vaccins recommandés» for the profile being looked at. */
    async recommendations(actor: Actor, today = isoDate()): Promise<Recommendation[]> {
      const personId = await may(actor, 'read')
      const [p, recs] = await Promise.all([personFacts(personId), records(personId, today)])
      return recommendations(p.birth_date, p.sex, recs, today)
    },

    /** The pre-filled event form of «Ajouter à mon agenda». */
    prefill(ruleId: string, today = isoDate()) {
      const rule = findRule(ruleId, Number(today.slice(0, 4)))
      return rule ? { title: rule.agendaTitle, preventionRule: rule.id } : undefined
    },
  }
}

function toIcs(e: EventRow, detail: 'full' | 'titles' | 'minimal'): IcsEvent {
  const summary = detail === 'minimal' ? 'Rendez-vous (Mon espace santé)' : e.title
  const description =
    detail === 'full' ? [e.professional ? `Professionnel : ${e.professional}` : '', e.notes ?? ''].filter(Boolean).join('\n') : null
  return {
    uid: `${e.id}@monespacesante`,
    date: e.date,
    time: e.time,
    summary,
    location: detail === 'full' ? e.place : null,
    description: description || null,
    cancelled: e.status === 'annule',
    updatedAt: e.updated_at,
  }
}
