import type { Knex } from 'knex'
import { appointmentRecords, recommendations, reimbursementRecords, ruleSetFor, type PreventionRecord } from '../../domain/prevention'
import type { Notifier } from '../../infrastructure/notifier'
import { isoDate } from '../../domain/parisTime'
import { effectivePrefs, wants } from '../account/notificationPrefs'
import { agendaRepository } from './repository'

/**
 * The daily agenda job: reminder e-mails (each once: `sent_at`, claimed with SKIP LOCKED) and
 * «vaccination or screening due» notices (once per person, rule and window: primary key of
 * `prevention_notices`), both in set-based batches. No health detail in any e-mail.
 */
export function createAgendaJobs(deps: { db: Knex; notifier: Notifier; publicUrl: string }) {
  const { db, notifier } = deps
  const outboxStatus = notifier.delivers ? 'pending' : 'kept'

  async function sendReminders(today = isoDate(), batch = 5000): Promise<number> {
    let total = 0
    for (;;) {
      const n = await db.transaction((trx) =>
        agendaRepository.sendDueReminders(trx, today, batch, outboxStatus, `${deps.publicUrl}/agenda`),
      )
      total += n
      if (n < batch) return total
    }
  }

  /**
   * Walks the activated spaces by keyset pages of `batch` people, computes each person's
   * recommendations in memory (the pure function over the rules file: the rules stay data, one
   * implementation), keeps the windows that are open and not done, records the new ones
   * (ON CONFLICT DO NOTHING: once per window) and enqueues the e-mails, all with a few statements
   * per page (arrays through unnest, INSERT ... SELECT for the outbox).
   *
   * Who is told (SPEC §3, §6): the person, at the e-mail of their own account, if they want this
   * kind of notice (`prevention_due`); a space without an e-mail of its own (a child managed by a
   * legal representative) tells each active legal representative who wants it, with a message
   * that names no one and no health detail.
   */
  async function sendPreventionNotices(today = isoDate(), batch = 5000): Promise<{ people: number; notices: number; emails: number }> {
    let after = '00000000-0000-0000-0000-000000000000'
    let people = 0
    let notices = 0
    let emails = 0
    const set = ruleSetFor(Number(today.slice(0, 4)))
    const wantsIt = (a: { notification_prefs: Record<string, unknown> | null; notify_new_signin: boolean }) =>
      wants(effectivePrefs(a.notification_prefs ?? {}, a.notify_new_signin), 'prevention_due')
    for (;;) {
      // The page's keys first, from the spaces' primary key alone (an index range scan, whatever the
      // table's size), then its people, accounts and prevention records (vaccinations, honoured acts)
      // by their keys, in the same round trip: every page costs the same.
      const persons: {
        id: string
        birth_date: string
        sex: string
        email: string | null
        notification_prefs: Record<string, unknown> | null
        notify_new_signin: boolean
        records: PreventionRecord[] | null
        acts: { date: string; label: string; code: string | null }[] | null
        events: { date: string; title: string; status: string; prevention_rule: string | null }[] | null
      }[] = (
        await db.raw(
          `WITH page AS (
             SELECT person_id FROM spaces WHERE state = 'activated' AND person_id > ? ORDER BY person_id LIMIT ?
           )
           SELECT p.id, p.birth_date, p.sex, a.email, a.notification_prefs, a.notify_new_signin,
                  (SELECT json_agg(r) FROM (
                     SELECT v.vaccine AS code, v.date FROM vaccinations v WHERE v.person_id = page.person_id
                  ) r) AS records,
                  (SELECT json_agg(r) FROM (
                     SELECT b.care_date AS date, b.act AS label, b.act_code AS code FROM reimbursements b
                      WHERE b.person_id = page.person_id
                  ) r) AS acts,
                  (SELECT json_agg(r) FROM (
                     SELECT e.date, e.title, e.status, e.prevention_rule FROM agenda_events e
                      WHERE e.person_id = page.person_id AND e.status IN ('honore', 'confirme')
                  ) r) AS events
             FROM page JOIN insured_persons p ON p.id = page.person_id
             LEFT JOIN accounts a ON a.person_id = page.person_id AND a.kind = 'patient' AND a.disabled_at IS NULL
            ORDER BY page.person_id`,
          [after, batch],
        )
      ).rows
      if (!persons.length) break
      after = persons[persons.length - 1].id
      people += persons.length
      // Recipients: the person's own e-mail, or else their legal representatives'.
      const recipients = new Map<string, { email: string; representative: boolean }[]>()
      const withoutEmail: string[] = []
      for (const p of persons) {
        if (p.email) {
          if (wantsIt(p)) recipients.set(p.id, [{ email: p.email, representative: false }])
        } else withoutEmail.push(p.id)
      }
      if (withoutEmail.length) {
        const reps: {
          child_person_id: string
          email: string
          notification_prefs: Record<string, unknown> | null
          notify_new_signin: boolean
        }[] = await db('representatives as r')
          .join('accounts as ra', function () {
            this.on('ra.person_id', '=', 'r.representative_person_id').andOnVal('ra.kind', '=', 'patient').andOnNull('ra.disabled_at')
          })
          .whereNull('r.ended_at')
          .whereNotNull('ra.email')
          .whereIn('r.child_person_id', withoutEmail)
          .select('r.child_person_id', 'ra.email', 'ra.notification_prefs', 'ra.notify_new_signin')
        for (const r of reps) {
          if (!wantsIt(r)) continue
          const list = recipients.get(r.child_person_id)
          if (list) list.push({ email: r.email, representative: true })
          else recipients.set(r.child_person_id, [{ email: r.email, representative: true }])
        }
      }
      const wanted = persons.filter((p) => recipients.has(p.id))
      if (wanted.length) {
        const pid: string[] = []
        const rule: string[] = []
        const from: string[] = []
        const toPerson: string[] = []
        const toEmail: string[] = []
        const toRepresentative: boolean[] = []
        for (const p of wanted) {
          let due = false
          // Reimbursed acts and appointments count through the matching rules of the year (acts.ts).
          const records = p.records ?? []
          if (p.acts) records.push(...reimbursementRecords(set, p.acts))
          if (p.events) records.push(...appointmentRecords(set, p.events, today))
          for (const r of recommendations(p.birth_date, p.sex, records, today)) {
            if (r.status === 'À planifier' && r.from <= today) {
              pid.push(p.id)
              rule.push(r.ruleId)
              from.push(r.from)
              due = true
            }
          }
          if (due) {
            for (const to of recipients.get(p.id)!) {
              toPerson.push(p.id)
              toEmail.push(to.email)
              toRepresentative.push(to.representative)
            }
          }
        }
        if (pid.length) {
          const r = await db.transaction(async (trx) => {
            const { rows } = await trx.raw(
              `WITH fresh AS (
                 INSERT INTO prevention_notices (person_id, rule_id, window_from)
                 SELECT * FROM unnest(?::uuid[], ?::text[], ?::date[])
                 ON CONFLICT DO NOTHING RETURNING person_id
               ), told AS (
                 SELECT DISTINCT t.email, t.representative
                   FROM unnest(?::uuid[], ?::text[], ?::boolean[]) AS t(person_id, email, representative)
                  WHERE t.person_id IN (SELECT person_id FROM fresh)
               ), mails AS (
                 INSERT INTO outbox (channel, kind, recipient, subject, body, status)
                 SELECT 'email', CASE WHEN representative THEN 'prevention-due-representative' ELSE 'prevention-due' END, email,
                        'Un rappel de prévention dans Mon espace santé',
                        'Bonjour,' || chr(10) || chr(10) ||
                        CASE WHEN representative
                          THEN 'Un vaccin ou un examen recommandé est à prévoir pour un enfant dont vous êtes représentant légal.' || chr(10) ||
                               'Connectez-vous, choisissez son profil avec « Changer de profil », puis voyez-le et ajoutez-le à son agenda : '
                          ELSE 'Un vaccin ou un examen de dépistage recommandé pour vous est à prévoir.' || chr(10) ||
                               'Connectez-vous pour le voir et l''ajouter à votre agenda : ' END || ? || chr(10) || chr(10) ||
                        'Vous pouvez arrêter ces courriels dans Mon compte, rubrique Notifications.' || chr(10) || chr(10) ||
                        'Mon espace santé – Assurance Maladie', ?
                   FROM told
                 RETURNING id
               )
               SELECT (SELECT count(*) FROM fresh)::int AS notices, (SELECT count(*) FROM mails)::int AS emails`,
              [pid, rule, from, toPerson, toEmail, toRepresentative, `${deps.publicUrl}/agenda/recommandations`, outboxStatus],
            )
            return rows[0] as { notices: number; emails: number }
          })
          notices += r.notices
          emails += r.emails
        }
      }
      if (persons.length < batch) break
    }
    return { people, notices, emails }
  }

  return {
    sendReminders,
    sendPreventionNotices,
    async daily(today = isoDate()) {
      const reminders = await sendReminders(today)
      const prevention = await sendPreventionNotices(today)
      return { reminders, ...prevention }
    },
  }
}

export type AgendaJobs = ReturnType<typeof createAgendaJobs>
