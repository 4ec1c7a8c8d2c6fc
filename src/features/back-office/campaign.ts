import type { Knex } from 'knex'
import { SYSTEM_ACTOR, type Actor } from '../../domain/actor'
import { OPPOSITION_PERIOD_DAYS, DAY_MS } from '../../domain/lifecycle'
import { CODE_VALIDITY_DAYS, generateCodes, hashCode } from '../../domain/provisionalCode'
import { seal } from '../../infrastructure/crypto'
import type { Notifier } from '../../infrastructure/notifier'
import type { ActivityLog } from '../history/activity'
import { letterAddress, provisionalCodeEmail } from '../codes/service'

export interface CampaignSummary {
  id: number
  persons: number
  emails: number
  letters: number
  ms: number
}

interface Candidate {
  id: string
  first_names: string
  last_name: string
  email: string | null
  address_line1: string | null
  address_line2: string | null
  postcode: string | null
  city: string | null
}

/**
 * The notification campaign and the daily auto-creation (SPEC §2, §12). Both work in set-based
 * batches, one transaction per batch:
 *  - campaign: every person whose space is `not_notified` gets a provisional code (CSPRNG, HMAC at
 *    rest), an e-mail through the outbox or a letter for the print house, and the notice date that
 *    starts the 6 weeks;
 *  - auto-creation: every `notified` space whose 6 weeks passed without opposition becomes
 *    `auto_created`, with one UPDATE per batch.
 * History: one row per batch on the operator's chain (campaign) or the system chain (auto-creation),
 * with the counts — not one row per person, which would serialise a million hash-chain writes. The
 * person's own history starts with what they do (activation, opposition, a new code).
 */
export function createCampaignService(deps: { db: Knex; notifier: Notifier; activity: ActivityLog; codeKey: Buffer; masterKey: Buffer; publicUrl: string }) {
  const { db, notifier, activity, codeKey, masterKey } = deps

  async function notifyBatch(trx: Knex.Transaction, actor: Actor, campaignId: number, batchSize: number, now: Date) {
    await trx.raw('SET LOCAL statement_timeout = 0')
    const { rows }: { rows: Candidate[] } = await trx.raw(
      `SELECT p.id, p.first_names, p.last_name, p.email, p.address_line1, p.address_line2, p.postcode, p.city
         FROM spaces s JOIN insured_persons p ON p.id = s.person_id
        WHERE s.state = 'not_notified' LIMIT ? FOR UPDATE OF s SKIP LOCKED`,
      [batchSize],
    )
    if (!rows.length) return { persons: 0, emails: 0, letters: 0 }
    const ids = rows.map((r) => r.id)
    const codes = generateCodes(rows.length)
    const expiresAt = new Date(now.getTime() + CODE_VALIDITY_DAYS * DAY_MS)
    const channels = rows.map((r) => (r.email ? 'email' : 'post'))
    await trx.raw('UPDATE provisional_codes SET voided_at = ? WHERE person_id = ANY(?::uuid[]) AND used_at IS NULL AND voided_at IS NULL', [now, ids])
    await trx.raw(
      `INSERT INTO provisional_codes (person_id, code_hash, channel, created_at, expires_at)
       SELECT p, h, c, ?, ? FROM unnest(?::uuid[], ?::text[], ?::text[]) AS x(p, h, c)`,
      [now, expiresAt, ids, codes.map((c) => hashCode(codeKey, c)), channels],
    )
    const emails = rows.flatMap((r, i) => (r.email ? [provisionalCodeEmail(r, codes[i], expiresAt, deps.publicUrl)] : []))
    await notifier.emails(trx, emails)
    const post = rows.flatMap((r, i) => (r.email ? [] : [{ r, code: codes[i] }]))
    if (post.length) {
      await trx.raw(
        `INSERT INTO letters (person_id, kind, address, sealed_payload, created_at)
         SELECT p, 'provisional_code', a, s, ? FROM unnest(?::uuid[], ?::jsonb[], ?::bytea[]) AS x(p, a, s)`,
        [
          now,
          post.map((x) => x.r.id),
          post.map((x) => JSON.stringify(letterAddress(x.r))),
          post.map((x) => seal(masterKey, JSON.stringify({ code: x.code, expiresAt: expiresAt.toISOString() }))),
        ],
      )
    }
    await trx.raw(
      `UPDATE spaces s SET state = 'notified', notified_at = ?, notice_channel = x.c, state_changed_at = ?
         FROM unnest(?::uuid[], ?::text[]) AS x(p, c) WHERE s.person_id = x.p`,
      [now, now, ids, channels],
    )
    const counts = { persons: rows.length, emails: emails.length, letters: post.length }
    await trx('notification_campaigns')
      .where({ id: campaignId })
      .update({ persons: trx.raw('persons + ?', [counts.persons]), emails: trx.raw('emails + ?', [counts.emails]), letters: trx.raw('letters + ?', [counts.letters]) })
    await activity.record(trx, actor, { action: 'campaign.batch_notified', objectType: 'notification_campaign', objectId: String(campaignId), details: counts })
    return counts
  }

  return {
    /** Notifies everyone never notified; returns the counts. */
    async run(actor: Actor, opts: { batchSize?: number; now?: Date } = {}): Promise<CampaignSummary> {
      const started = Date.now()
      const batchSize = opts.batchSize ?? 10_000
      const [row] = await db('notification_campaigns').insert({ operator_account_id: actor.kind === 'operator' && actor.accountId !== 'system' ? actor.accountId : null }).returning('id')
      const id = Number(row.id)
      const total = { persons: 0, emails: 0, letters: 0 }
      for (;;) {
        const c = await db.transaction((trx) => notifyBatch(trx, actor, id, batchSize, opts.now ?? new Date()))
        total.persons += c.persons
        total.emails += c.emails
        total.letters += c.letters
        if (c.persons < batchSize) break
      }
      await db('notification_campaigns').where({ id }).update({ finished_at: db.fn.now() })
      return { id, ...total, ms: Date.now() - started }
    },

    /** How many persons wait for the campaign (spaces never notified). */
    async waiting(): Promise<number> {
      const { rows } = await db.raw("SELECT count(*)::int AS n FROM spaces WHERE state = 'not_notified'")
      return rows[0].n
    },

    recent: (limit = 5) =>
      db('notification_campaigns as c').leftJoin('accounts as a', 'a.id', 'c.operator_account_id').select('c.*', 'a.display_name as operator_name').orderBy('c.id', 'desc').limit(limit),

    /** The daily job (and the back-office button): notified spaces past their 6 weeks become auto_created. */
    async autoCreate(actor: Actor = SYSTEM_ACTOR, opts: { batchSize?: number; now?: Date } = {}): Promise<{ spaces: number; batches: number; ms: number }> {
      const started = Date.now()
      const batchSize = opts.batchSize ?? 50_000
      const now = opts.now ?? new Date()
      const dueBefore = new Date(now.getTime() - OPPOSITION_PERIOD_DAYS * DAY_MS)
      let spaces = 0
      let batches = 0
      for (;;) {
        const n = await db.transaction(async (trx) => {
          await trx.raw('SET LOCAL statement_timeout = 0')
          const r = await trx.raw(
            `WITH due AS (
               SELECT person_id FROM spaces WHERE state = 'notified' AND notified_at <= ? LIMIT ? FOR UPDATE SKIP LOCKED
             )
             UPDATE spaces s SET state = 'auto_created', auto_created_at = ?, state_changed_at = ? FROM due WHERE s.person_id = due.person_id`,
            [dueBefore, batchSize, now, now],
          )
          const count = r.rowCount as number
          if (count) await activity.record(trx, actor, { action: 'spaces.auto_created', objectType: 'space', details: { count, noticeBefore: dueBefore.toISOString() } })
          return count
        })
        spaces += n
        if (n) batches++
        if (n < batchSize) break
      }
      return { spaces, batches, ms: Date.now() - started }
    },
  }
}

export type CampaignService = ReturnType<typeof createCampaignService>
