import type { Knex } from 'knex'
import type { PersonForCode } from '../codes/service'

/** A person claimed by a campaign batch: what the e-mail or the letter needs. */
export type Candidate = PersonForCode

/**
 * The notification campaign and the daily auto-creation (campaign.ts): SQL only. The planner
 * settings (`SET LOCAL`) that a statement needs are set and reset around it here, in the caller's
 * transaction; why each is needed is told in campaign.ts.
 */
export const campaignRepository = {
  /** A batch's transaction: no statement timeout, and no wait for the commit's flush. */
  async relaxBatch(trx: Knex.Transaction): Promise<void> {
    await trx.raw('SET LOCAL statement_timeout = 0; SET LOCAL synchronous_commit = off')
  },

  /**
   * Claims the never-notified spaces stored in heap pages [`from`, `until`) of `spaces` (`until` null:
   * to the end): they become `notified` at `now`, by e-mail or by post; the persons claimed.
   */
  async claimNotNotified(trx: Knex.Transaction, from: number, until: number | null, now: Date): Promise<Candidate[]> {
    await trx.raw('SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off')
    const { rows }: { rows: Candidate[] } = await trx.raw(
      `WITH picked AS MATERIALIZED (
         SELECT person_id FROM spaces
          WHERE ctid >= ?::tid ${until === null ? '' : 'AND ctid < ?::tid'} AND state = 'not_notified'
          ORDER BY person_id
       )
       UPDATE spaces s
          SET state = 'notified', notified_at = ?, state_changed_at = ?,
              notice_channel = CASE WHEN coalesce(p.email, '') = '' THEN 'post' ELSE 'email' END
         FROM picked JOIN insured_persons p ON p.id = picked.person_id
        WHERE s.person_id = picked.person_id AND s.state = 'not_notified'
       RETURNING p.id, p.first_names, p.last_name, p.email, p.address_line1, p.address_line2, p.postcode, p.city`,
      [`(${from},0)`, ...(until === null ? [] : [`(${until},0)`]), now, now],
    )
    await trx.raw('SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_mergejoin TO DEFAULT')
    return rows
  },

  /** Voids the open provisional codes of these persons (sorted ids: one index scan). */
  async voidOpenCodes(trx: Knex.Transaction, personIds: string[], now: Date): Promise<void> {
    await trx.raw('SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off')
    await trx.raw('UPDATE provisional_codes SET voided_at = ? WHERE person_id = ANY(?::uuid[]) AND used_at IS NULL AND voided_at IS NULL', [
      now,
      personIds,
    ])
    await trx.raw('SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL enable_bitmapscan TO DEFAULT')
  },

  /** One provisional code per person, in one statement. */
  async insertCodes(
    trx: Knex.Transaction,
    codes: { createdAt: Date; expiresAt: Date; personIds: string[]; hashes: string[]; channels: string[] },
  ): Promise<void> {
    await trx.raw(
      `INSERT INTO provisional_codes (person_id, code_hash, channel, created_at, expires_at)
       SELECT p, h, c, ?, ? FROM unnest(?::uuid[], ?::text[], ?::text[]) AS x(p, h, c)`,
      [codes.createdAt, codes.expiresAt, codes.personIds, codes.hashes, codes.channels],
    )
  },

  /** One provisional-code letter per person, in one statement (addresses as JSON, payloads sealed). */
  async insertCodeLetters(
    trx: Knex.Transaction,
    letters: { createdAt: Date; personIds: string[]; addresses: string[]; sealedPayloads: Buffer[] },
  ): Promise<void> {
    await trx.raw(
      `INSERT INTO letters (person_id, kind, address, sealed_payload, created_at)
       SELECT p, 'provisional_code', a, s, ? FROM unnest(?::uuid[], ?::jsonb[], ?::bytea[]) AS x(p, a, s)`,
      [letters.createdAt, letters.personIds, letters.addresses, letters.sealedPayloads],
    )
  },

  /** Adds a batch's counts to its campaign. */
  async addCounts(trx: Knex.Transaction, campaignId: number, counts: { persons: number; emails: number; letters: number }): Promise<void> {
    await trx('notification_campaigns')
      .where({ id: campaignId })
      .update({
        persons: trx.raw('persons + ?', [counts.persons]),
        emails: trx.raw('emails + ?', [counts.emails]),
        letters: trx.raw('letters + ?', [counts.letters]),
      })
  },

  /** How many spaces were never notified, counting no further than `limit`. */
  async countNotNotifiedUpTo(db: Knex, limit: number): Promise<number> {
    const { rows } = await db.raw<{ rows: { n: number }[] }>(
      "SELECT count(*)::int AS n FROM (SELECT 1 FROM spaces WHERE state = 'not_notified' LIMIT ?) x",
      [limit],
    )
    return rows[0].n
  },

  /** How many spaces were never notified. */
  async countNotNotified(db: Knex): Promise<number> {
    const { rows } = await db.raw<{ rows: { n: number }[] }>("SELECT count(*)::int AS n FROM spaces WHERE state = 'not_notified'")
    return rows[0].n
  },

  async insertCampaign(db: Knex, operatorAccountId: string | null): Promise<number> {
    const [row] = await db('notification_campaigns').insert({ operator_account_id: operatorAccountId }).returning<{ id: string }[]>('id')
    return Number(row.id)
  },

  async finishCampaign(db: Knex, id: number): Promise<void> {
    await db('notification_campaigns').where({ id }).update({ finished_at: db.fn.now() })
  },

  /** The heap of `spaces` now: its pages, and the planner's estimate of rows and pages. */
  async spacesHeap(db: Knex): Promise<{ blocks: number; tuples: number; pages: number }> {
    const { rows } = await db.raw<{ rows: { blocks: number; tuples: number; pages: number }[] }>(
      "SELECT (pg_relation_size('spaces') / current_setting('block_size')::int)::int AS blocks, reltuples::float8 AS tuples, relpages::int AS pages FROM pg_class WHERE oid = 'spaces'::regclass",
    )
    return rows[0]
  },

  /** The last campaigns, newest first, with the operator's name. */
  recent(db: Knex, limit: number) {
    return db('notification_campaigns as c')
      .leftJoin('accounts as a', 'a.id', 'c.operator_account_id')
      .select('c.*', 'a.display_name as operator_name')
      .orderBy('c.id', 'desc')
      .limit(limit)
  },

  /** Up to `limit` notified spaces whose notice is on or before `dueBefore` become `auto_created`; how many did. */
  async autoCreateBatch(trx: Knex.Transaction, dueBefore: Date, limit: number, now: Date): Promise<number> {
    await trx.raw('SET LOCAL statement_timeout = 0')
    const r = await trx.raw<{ rowCount: number }>(
      // The locked rows are updated where they are (their ctid cannot change while we hold the
      // lock): a join on person_id made the planner hash the whole of `spaces` for every batch.
      `WITH due AS (
         SELECT ctid FROM spaces WHERE state = 'notified' AND notified_at <= ? LIMIT ? FOR UPDATE SKIP LOCKED
       )
       UPDATE spaces s SET state = 'auto_created', auto_created_at = ?, state_changed_at = ?
        WHERE s.ctid = ANY(ARRAY(SELECT ctid FROM due)) AND s.state = 'notified'`,
      [dueBefore, limit, now, now],
    )
    return r.rowCount
  },
}
