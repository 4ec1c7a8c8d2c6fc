import nodemailer from 'nodemailer'
import type { Knex } from 'knex'
import { errorMessage } from '../errors'
import type { Db } from './database'
import type { Logger } from './logger'

/**
 * Transactional outbox: every e-mail, SMS and letter notice is first written to the `outbox`
 * table inside the caller's transaction (so nothing is sent for a change that was rolled back,
 * and nothing is lost for one that was committed), then delivered:
 *  - with SMTP_URL: by `deliverPending`, run by the jobs runner every few seconds;
 *  - without it (development, tests): it stays in the table, shown at /dev/outbox.
 * E-mails never contain health data: they say that something happened and link to the site.
 */

export type Channel = 'email' | 'sms'

export interface OutgoingEmail {
  to: string
  subject: string
  text: string
  /** A short machine name for what this message is (e.g. 'otp', 'welcome'); never health data. */
  kind: string
}

export interface OutgoingSms {
  to: string
  text: string
  kind: string
}

export interface OutboxRow {
  id: number
  channel: Channel
  kind: string
  recipient: string
  subject: string | null
  body: string | null
  status: 'pending' | 'sent' | 'kept' | 'failed'
  created_at: Date
  sent_at: Date | null
}

/** Sends an SMS through a provider. No provider is wired yet: without one, SMS stay in the outbox. */
export interface SmsAdapter {
  send(to: string, text: string): Promise<void>
}

export interface Notifier {
  email(trx: Knex | Knex.Transaction, message: OutgoingEmail): Promise<void>
  sms(trx: Knex | Knex.Transaction, message: OutgoingSms): Promise<void>
  /**
   * Many e-mails of one model in one statement (a notification campaign's batch): e-mail i's text is
   * `parts[0] + fills[0][i] + parts[1] + fills[1][i] + … + parts[n]`, put together by the database.
   */
  templatedEmails(
    trx: Knex | Knex.Transaction,
    model: { kind: string; subject: string; parts: string[] },
    to: string[],
    fills: string[][],
  ): Promise<void>
  /** Whether messages are delivered outside (SMTP) or kept for the development outbox page. */
  readonly delivers: boolean
}

export function createNotifier(opts: { smtp: boolean; sms?: SmsAdapter }): Notifier {
  const initialStatus = (channel: Channel) => ((channel === 'email' && opts.smtp) || (channel === 'sms' && opts.sms) ? 'pending' : 'kept')
  return {
    delivers: opts.smtp,
    async email(trx, m) {
      await trx('outbox').insert({
        channel: 'email',
        kind: m.kind,
        recipient: m.to,
        subject: m.subject,
        body: m.text,
        status: initialStatus('email'),
      })
    },
    async templatedEmails(trx, model, to, fills) {
      if (!to.length) return
      if (fills.length !== model.parts.length - 1 || fills.some((f) => f.length !== to.length))
        throw new Error('courriels : modèle et valeurs ne correspondent pas')
      const body = model.parts.map((_, i) => (i < fills.length ? `?::text || f${i} || ` : '?::text')).join('')
      const columns = fills.map((_, i) => `f${i}`).join(', ')
      await trx.raw(
        `INSERT INTO outbox (channel, kind, recipient, subject, body, status)
         SELECT 'email', ?, r, ?, ${body}, ? FROM unnest(?::text[]${', ?::text[]'.repeat(fills.length)}) AS m(r, ${columns})`,
        [model.kind, model.subject, ...model.parts, initialStatus('email'), to, ...fills],
      )
    },
    async sms(trx, m) {
      await trx('outbox').insert({
        channel: 'sms',
        kind: m.kind,
        recipient: m.to,
        subject: null,
        body: m.text,
        status: initialStatus('sms'),
      })
    },
  }
}

export interface Deliverer {
  deliverPending(limit?: number): Promise<number>
  close(): void
}

/**
 * Delivers pending outbox rows through SMTP (and the SMS adapter), each row claimed with
 * FOR UPDATE SKIP LOCKED so several workers never send the same message twice. Once sent,
 * the body is blanked: codes and links do not stay in the database.
 */
export function createDeliverer(db: Db, logger: Logger, opts: { smtpUrl?: string; from: string; sms?: SmsAdapter }): Deliverer {
  const transport = opts.smtpUrl ? nodemailer.createTransport(opts.smtpUrl) : undefined
  return {
    async deliverPending(limit = 50) {
      let sent = 0
      for (let i = 0; i < limit; i++) {
        const done = await db.transaction(async (trx) => {
          const row = await trx<OutboxRow>('outbox').where({ status: 'pending' }).orderBy('id').forUpdate().skipLocked().first()
          if (!row) return false
          try {
            if (row.channel === 'email' && transport) {
              await transport.sendMail({ from: opts.from, to: row.recipient, subject: row.subject ?? '', text: row.body ?? '' })
            } else if (row.channel === 'sms' && opts.sms) {
              await opts.sms.send(row.recipient, row.body ?? '')
            } else {
              await trx('outbox').where({ id: row.id }).update({ status: 'kept' })
              return true
            }
            await trx('outbox').where({ id: row.id }).update({ status: 'sent', sent_at: trx.fn.now(), body: null })
            sent++
          } catch (err) {
            logger.warn({ outboxId: row.id, kind: row.kind, err: { message: errorMessage(err) } }, 'envoi différé')
            await trx('outbox')
              .where({ id: row.id })
              .update({ attempts: trx.raw('attempts + 1'), status: trx.raw("CASE WHEN attempts >= 9 THEN 'failed' ELSE 'pending' END") })
            return false
          }
          return true
        })
        if (!done) break
      }
      return sent
    },
    close() {
      transport?.close()
    },
  }
}
