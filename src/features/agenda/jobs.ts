import type { Knex } from 'knex'
import { appointmentRecords, recommendations, reimbursementRecords, ruleSetFor } from '../../domain/prevention'
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
      // One keyset page: every page costs the same (see preventionPage).
      const persons = await agendaRepository.preventionPage(db, after, batch)
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
        const reps = await agendaRepository.activeRepresentativeRecipients(db, withoutEmail)
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
          const r = await db.transaction((trx) =>
            agendaRepository.recordPreventionNotices(trx, {
              notices: { personIds: pid, ruleIds: rule, windowsFrom: from },
              recipients: { personIds: toPerson, emails: toEmail, representative: toRepresentative },
              link: `${deps.publicUrl}/agenda/recommandations`,
              outboxStatus,
            }),
          )
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
