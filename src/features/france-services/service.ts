import { maskPhone } from '../../domain/otp'
import type { CarersService } from '../carers/service'
import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { agentActionLabel, statusView, type StatusView } from '../../domain/franceServices'
import { sameSurname } from '../../domain/surname'
import { archiveUntil, deletionDueDate, newReference } from '../../domain/lifecycle'
import { NotFoundError, ForbiddenError } from '../../errors'
import type { Notifier } from '../../infrastructure/notifier'
import type { LimiterFactory } from '../../infrastructure/rateLimit'
import { frenchDate, isoDate } from '../../domain/parisTime'
import type { Devices } from '../account/devices'
import type { CodeService } from '../codes/service'
import type { ActivityLog } from '../history/activity'
import type { OppositionService } from '../opposition/service'
import { spacesRepository } from '../spaces/repository'
import { franceServicesRepository as repo, type CitizenRow, type CounterActionKind, type CounterActionRow } from './repository'

export interface IdentifyInput {
  nir: string
  birthDate: string
  surname: string
}

export interface CitizenStatus {
  personId: string
  name: string
  view: StatusView
}

export type CounterResult = { ok: true; actionId: string } | { ok: false; reason: 'refused' | 'too_soon' }

export interface Receipt {
  id: string
  reference: string
  kind: CounterActionKind
  name: string
  agentName: string
  organisation: string
  createdAt: Date
  details: Record<string, unknown>
}

/** The single answer for a wrong combination: it never says whether the person exists. */
export const IDENTIFY_MISMATCH =
  "Aucun profil ne correspond à ces trois informations. Vérifiez le numéro de sécurité sociale, la date de naissance et le nom de naissance sur la pièce d'identité et la carte Vitale."

const name = (p: { first_names: string; last_name: string }) => `${p.first_names} ${p.last_name}`

/**
 * France Services assisted mode (SPEC §11). An agent identifies a citizen (NIR + date of birth +
 * surname, identity document checked), sees the space's administrative status only, and acts on the
 * citizen's behalf; each action leaves a receipt and a history row «Action réalisée par un conseiller
 * France Services (organisation)». Agents never pass the access policy for health data: nothing here
 * reads a document, a profile or a message.
 */
export function createFranceServicesService(deps: {
  /** A closed space ends its carer relationships, on both sides (SPEC §3). */
  carers?: Pick<CarersService, 'endAllOnClosure'>
  db: Knex
  activity: ActivityLog
  codes: CodeService
  opposition: OppositionService
  devices: Devices
  notifier: Notifier
  limiter: LimiterFactory
  codeKey: Buffer
  publicUrl: string
}) {
  const { db, activity, codes, opposition, devices, notifier } = deps
  const perAgent = deps.limiter('fs-identify-agent', {
    points: 20,
    durationSeconds: 60 * 60,
    blockSeconds: 60 * 60,
    message: "Trop d'identifications sans correspondance depuis ce compte de conseiller.",
  })
  const perNir = deps.limiter('fs-identify-nir', {
    points: 5,
    durationSeconds: 60 * 60,
    blockSeconds: 60 * 60,
    message: "Trop d'essais sans correspondance pour ce numéro de sécurité sociale.",
  })
  const nirKey = (nir: string) => crypto.createHmac('sha256', deps.codeKey).update(`fs-nir:${nir}`).digest('hex').slice(0, 32)

  const assertAgent = (actor: Actor) => {
    if (actor.kind !== 'agent' || !actor.organisation) throw new ForbiddenError()
  }
  const label = (actor: Actor) => agentActionLabel(actor.organisation ?? 'France Services')

  async function newActionReference(trx: Knex.Transaction, prefix: string): Promise<string> {
    let reference = newReference(prefix)
    while (await repo.referenceTaken(trx, reference)) reference = newReference(prefix)
    return reference
  }

  async function saveAction(
    trx: Knex.Transaction,
    actor: Actor,
    person: CitizenRow,
    kind: CounterActionKind,
    reference: string,
    details: Record<string, unknown> = {},
  ): Promise<CounterActionRow> {
    return repo.insertAction(trx, {
      reference,
      kind,
      person_id: person.id,
      agent_account_id: actor.accountId,
      agent_name: actor.displayName,
      organisation: actor.organisation!,
      details,
    })
  }

  async function citizen(trx: Knex | Knex.Transaction, personId: string): Promise<CitizenRow> {
    const p = await repo.findCitizen(trx, { id: personId })
    if (!p) throw new NotFoundError()
    return p
  }

  return {
    /**
     * «Accompagner une personne»: NIR + date of birth + surname must all match. A wrong combination gets
     * one answer; wrong tries are limited per agent account and per NIR. A match is written in the
     * citizen's history (an agent looked at their space's status).
     */
    async identify(actor: Actor, input: IdentifyInput): Promise<{ ok: true; personId: string } | { ok: false }> {
      assertAgent(actor)
      await perAgent.check(actor.accountId)
      await perNir.check(nirKey(input.nir))
      const p = await repo.findCitizen(db, { nir: input.nir, birthDate: input.birthDate })
      if (!p || !sameSurname(input.surname, p.last_name)) {
        await perAgent.consume(actor.accountId)
        await perNir.consume(nirKey(input.nir))
        return { ok: false }
      }
      await db.transaction((trx) =>
        activity.record(trx, actor, {
          action: 'france_services.identified',
          subjectPersonId: p.id,
          objectType: 'space',
          objectId: p.id,
          details: { label: label(actor), identityDocumentChecked: true },
        }),
      )
      return { ok: true, personId: p.id }
    },

    /** The status page: administrative facts only, contact details masked. */
    async status(actor: Actor, personId: string, now = new Date()): Promise<CitizenStatus> {
      assertAgent(actor)
      const p = await citizen(db, personId)
      const activeCodeUntil = await repo.activeCodeUntil(db, p.id)
      const view = statusView(
        {
          state: p.state,
          notified_at: p.notified_at,
          notice_channel: p.notice_channel,
          email: p.account_email ?? p.email,
          mobile: p.account_mobile ?? p.mobile,
          hasAccount: Boolean(p.account_id),
          activeCodeUntil,
        },
        now,
      )
      return { personId: p.id, name: name(p), view }
    },

    /** An opposition on the citizen's behalf, before the 6-week deadline (the opposition service does it). */
    async oppose(actor: Actor, personId: string): Promise<CounterResult> {
      assertAgent(actor)
      return db.transaction(async (trx) => {
        const p = await citizen(trx, personId)
        const r = await opposition.opposeFor(trx, actor, p.id, { via: 'counter', label: label(actor) })
        if (!r.ok) return { ok: false, reason: 'refused' } as const
        const row = await saveAction(trx, actor, p, 'opposition', r.receipt.reference, { channel: r.receipt.channel })
        return { ok: true, actionId: row.id } as const
      })
    },

    /**
     * A closure asked for at the counter: the citizen is present and their identity document was
     * checked, so the space is closed at once (archived 10 years, or deleted within 3 months on
     * request); every session ends; the citizen can reopen it by signing in.
     */
    async close(actor: Actor, personId: string, deleteData: boolean): Promise<CounterResult> {
      assertAgent(actor)
      const today = isoDate()
      const r = await db.transaction(async (trx) => {
        const h = await spacesRepository.findById(trx, personId, { lock: true })
        if (!h) throw new NotFoundError()
        if (h.state !== 'activated' && h.state !== 'auto_created') return { ok: false, reason: 'refused' } as const
        const p = await citizen(trx, personId)
        const until = deleteData ? deletionDueDate(today) : archiveUntil(today)
        await spacesRepository.setSpace(trx, h.id, {
          state: 'closed',
          closed_at: trx.fn.now(),
          archive_until: archiveUntil(today),
          deletion_requested_at: deleteData ? trx.fn.now() : null,
        })
        const reference = await newActionReference(trx, 'FER')
        await activity.record(trx, actor, {
          action: 'space.closed',
          subjectPersonId: h.id,
          objectType: 'space',
          objectId: h.id,
          details: { label: label(actor), reference, deletionRequested: deleteData },
        })
        await deps.carers?.endAllOnClosure(trx, actor, h.id)
        const row = await saveAction(trx, actor, p, 'closure', reference, { deletionRequested: deleteData, until })
        const to = h.account_email ?? h.email
        if (to) {
          await notifier.email(trx, {
            to,
            kind: 'space-closed',
            subject: 'Votre profil Mon espace santé est fermé',
            text: [
              'Bonjour,',
              '',
              `À votre demande, un conseiller France Services a fermé votre profil Mon espace santé. Référence : ${reference}.`,
              deleteData
                ? `Vos données seront supprimées au plus tard le ${frenchDate(until)}. D'ici là, vous pouvez encore rouvrir votre profil.`
                : `Vos données sont archivées jusqu'au ${frenchDate(until)}, puis supprimées. D'ici là, vous pouvez rouvrir votre profil en vous connectant.`,
              '',
              "Si vous n'êtes pas à l'origine de cette demande, appelez le 3422.",
              '',
              'Mon espace santé',
            ].join('\n'),
          })
        }
        return { ok: true, actionId: row.id, accountId: h.account_id } as const
      })
      if (!r.ok) return r
      if (r.accountId) await devices.endAll(r.accountId)
      return { ok: true, actionId: r.actionId }
    },

    /** A new provisional code sent to the e-mail or postal address on file (never shown to the agent); 30-second rule. */
    /**
     * A new code to the address on file; for a person without e-mail, by SMS to a mobile number the
     * agent checked with them on the spot (issue 16 §4; the number is not kept on file, only masked on the receipt).
     */
    async sendNewCode(actor: Actor, personId: string, opts: { sms?: string } = {}): Promise<CounterResult> {
      assertAgent(actor)
      return db.transaction(async (trx) => {
        const p = await citizen(trx, personId)
        if (p.account_id || !['notified', 'opposed', 'auto_created'].includes(p.state)) return { ok: false, reason: 'refused' } as const
        if (opts.sms && p.email) return { ok: false, reason: 'refused' } as const
        const issued = await codes.issue(trx, p, actor, { reason: 'counter', sms: opts.sms })
        if (!issued.ok) return { ok: false, reason: 'too_soon' } as const
        const reference = await newActionReference(trx, 'COD')
        await activity.record(trx, actor, {
          action: 'france_services.new_code',
          subjectPersonId: p.id,
          objectType: 'provisional_code',
          details: { label: label(actor), reference, channel: issued.channel },
        })
        const row = await saveAction(trx, actor, p, 'new_code', reference, {
          channel: issued.channel,
          expiresAt: issued.expiresAt.toISOString(),
          ...(issued.channel === 'sms' ? { mobile: maskPhone(opts.sms!) } : {}),
        })
        return { ok: true, actionId: row.id } as const
      })
    },

    /**
     * The identity the agent checked at the counter (NIR and date of birth), to start the citizen's
     * journeys of an assisted session with it (issue 16 §4). Never shown to the agent's side.
     */
    async assistedIdentity(personId: string): Promise<{ nir: string; birthDate: string } | undefined> {
      const p = await repo.findCitizen(db, { id: personId })
      if (!p) return undefined
      const birth: unknown = p.birth_date
      const birthDate = birth instanceof Date ? birth.toISOString().slice(0, 10) : String(birth).slice(0, 10)
      return { nir: p.nir, birthDate }
    },

    /** The agent hands the computer to the citizen: written in the citizen's history. */
    async startAssisted(actor: Actor, personId: string | undefined): Promise<void> {
      assertAgent(actor)
      if (!personId) return
      await citizen(db, personId)
      await db.transaction((trx) =>
        activity.record(trx, actor, {
          action: 'france_services.assisted_session',
          subjectPersonId: personId,
          objectType: 'space',
          objectId: personId,
          details: { label: label(actor) },
        }),
      )
    },

    /** A receipt, for the agents of the organisation that issued it (404 for anyone else). */
    async receipt(actor: Actor, id: string): Promise<Receipt> {
      assertAgent(actor)
      if (!/^[0-9a-f-]{36}$/.test(id)) throw new NotFoundError()
      const row = await repo.findAction(db, id)
      if (!row || row.organisation !== actor.organisation) throw new NotFoundError()
      return {
        id: row.id,
        reference: row.reference,
        kind: row.kind,
        name: name(row),
        agentName: row.agent_name,
        organisation: row.organisation,
        createdAt: row.created_at,
        details: row.details,
      }
    },
  }
}
