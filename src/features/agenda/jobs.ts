import type { Knex } from 'knex'
import { recommendations, type PreventionRecord } from '../../domain/prevention'
import type { Notifier } from '../../infrastructure/notifier'
import { isoDate } from '../../validation'
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
      const n = await db.transaction((trx) => agendaRepository.sendDueReminders(trx, today, batch, outboxStatus, `${deps.publicUrl}/agenda`))
      total += n
      if (n < batch) return total
    }
  }

  /**
   * Walks the activated spaces with an account by keyset pages, computes each person's
   * recommendations in memory (the pure function), keeps the windows that are open and not done,
   * records the new ones (ON CONFLICT DO NOTHING: once per window) and writes one e-mail per person
   * who wants this kind of notice (`prevention_due` setting), all with a few statements per page.
   */
  async function sendPreventionNotices(today = isoDate(), batch = 5000): Promise<{ people: number; notices: number; emails: number }> {
    let after = '00000000-0000-0000-0000-000000000000'
    let people = 0
    let notices = 0
    let emails = 0
    for (;;) {
      const persons: { id: string; birth_date: string; sex: string; email: string | null; notification_prefs: Record<string, unknown>; notify_new_signin: boolean }[] = await db('insured_persons as p')
        .join('spaces as s', 's.person_id', 'p.id')
        .join('accounts as a', function () {
          this.on('a.person_id', '=', 'p.id').andOnVal('a.kind', '=', 'patient')
        })
        .where('s.state', 'activated')
        .whereNull('a.disabled_at')
        .where('p.id', '>', after)
        .orderBy('p.id')
        .limit(batch)
        .select('p.id', 'p.birth_date', 'p.sex', 'a.email', 'a.notification_prefs', 'a.notify_new_signin')
      if (!persons.length) break
      after = persons[persons.length - 1].id
      people += persons.length
      const wanted = persons.filter((p) => p.email && wants(effectivePrefs(p.notification_prefs, p.notify_new_signin), 'prevention_due'))
      if (wanted.length) {
        const ids = wanted.map((p) => p.id)
        const recs = new Map<string, PreventionRecord[]>()
        const push = (id: string, r: PreventionRecord) => {
          const list = recs.get(id)
          if (list) list.push(r)
          else recs.set(id, [r])
        }
        const [vaccines, acts] = await Promise.all([
          db('vaccinations').whereIn('person_id', ids).select('person_id', 'vaccine', 'date'),
          db('agenda_events').whereIn('person_id', ids).where({ status: 'honore' }).whereNotNull('prevention_rule').select('person_id', 'prevention_rule', 'date'),
        ])
        for (const v of vaccines) push(v.person_id, { code: v.vaccine, date: v.date })
        for (const a of acts) push(a.person_id, { code: `ACTE:${a.prevention_rule}`, date: a.date })
        const pid: string[] = []
        const rule: string[] = []
        const from: string[] = []
        for (const p of wanted) {
          for (const r of recommendations(p.birth_date, p.sex, recs.get(p.id) ?? [], today)) {
            if (r.status === 'À planifier' && r.from <= today) {
              pid.push(p.id)
              rule.push(r.ruleId)
              from.push(r.from)
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
               ), mails AS (
                 INSERT INTO outbox (channel, kind, recipient, subject, body, status)
                 SELECT 'email', 'prevention-due', a.email, 'Un rappel de prévention dans Mon espace santé',
                        'Bonjour,' || chr(10) || chr(10) ||
                        'Un vaccin ou un examen de dépistage recommandé pour vous est à prévoir.' || chr(10) ||
                        'Connectez-vous pour le voir et l''ajouter à votre agenda : ' || ? || chr(10) || chr(10) ||
                        'Vous pouvez arrêter ces courriels dans Mon compte, rubrique Notifications.' || chr(10) || chr(10) ||
                        'Mon espace santé – Assurance Maladie', ?
                   FROM (SELECT DISTINCT person_id FROM fresh) f JOIN accounts a ON a.person_id = f.person_id AND a.kind = 'patient'
                 RETURNING id
               )
               SELECT (SELECT count(*) FROM fresh)::int AS notices, (SELECT count(*) FROM mails)::int AS emails`,
              [pid, rule, from, `${deps.publicUrl}/agenda/recommandations`, outboxStatus],
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
