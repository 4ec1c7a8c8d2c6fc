import type { Knex } from 'knex'
import type { ChainedEntry } from '../../domain/hashChain'

export interface ActivityRow {
  id: number
  chain_key: string
  seq: number
  occurred_at: Date
  actor_account_id: string | null
  actor_role: string
  actor_name: string
  actor_organisation: string | null
  action: string
  object_type: string | null
  object_id: string | null
  subject_person_id: string | null
  emergency: boolean
  details: Record<string, unknown> | null
  prev_hash: string
  hash: string
}

export function toEntry(r: ActivityRow): ChainedEntry & { prevHash: string; hash: string } {
  return {
    chainKey: r.chain_key,
    seq: r.seq,
    occurredAt: new Date(r.occurred_at).toISOString(),
    actorAccountId: r.actor_account_id,
    actorRole: r.actor_role,
    actorName: r.actor_name,
    actorOrganisation: r.actor_organisation,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    subjectPersonId: r.subject_person_id,
    emergency: r.emergency,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  }
}

export const activityRepository = {
  /**
   * Appends `e` to its chain in one statement (`activity_append`): advisory lock on the chain,
   * head read, seq + 1, hash of prev + body, insert; returns the seq given.
   */
  async append(trx: Knex.Transaction, e: Omit<ChainedEntry, 'seq'>, body: { before: string; after: string }): Promise<number> {
    const res = await trx.raw('SELECT activity_append(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS seq', [
      e.chainKey,
      body.before,
      body.after,
      e.occurredAt,
      e.actorAccountId,
      e.actorRole,
      e.actorName,
      e.actorOrganisation,
      e.action,
      e.objectType,
      e.objectId,
      e.subjectPersonId,
      e.emergency,
      e.details === null || e.details === undefined ? null : JSON.stringify(e.details),
    ])
    return (res.rows as { seq: number }[])[0].seq
  },

  /** `append` as one statement with literal values (`literal` quotes a string for PostgreSQL). */
  appendStatement(e: Omit<ChainedEntry, 'seq'>, body: { before: string; after: string }, literal: (value: string) => string): string {
    const text = (v: string | null | undefined, cast = '') => (v === null || v === undefined ? 'NULL' : `${literal(v)}${cast}`)
    return `SELECT activity_append(${[
      text(e.chainKey),
      text(body.before),
      text(body.after),
      text(e.occurredAt, '::timestamptz'),
      text(e.actorAccountId, '::uuid'),
      text(e.actorRole),
      text(e.actorName),
      text(e.actorOrganisation),
      text(e.action),
      text(e.objectType),
      text(e.objectId),
      text(e.subjectPersonId, '::uuid'),
      e.emergency ? 'TRUE' : 'FALSE',
      text(e.details === null || e.details === undefined ? null : JSON.stringify(e.details), '::jsonb'),
    ].join(', ')}) AS seq`
  },

  /** All rows in chain order, streamed (the table may hold millions of rows). */
  streamAll(db: Knex) {
    return db('activity_log')
      .orderBy([{ column: 'chain_key' }, { column: 'seq' }])
      .stream() as AsyncIterable<ActivityRow>
  },

  async saveVerification(db: Knex, result: { ok: boolean; rows: number; chains: number; firstBreak: unknown }): Promise<void> {
    await db('audit_verifications').insert({
      ok: result.ok,
      rows_checked: result.rows,
      chains_checked: result.chains,
      first_break: result.firstBreak ? JSON.stringify(result.firstBreak) : null,
    })
  },

  async lastVerification(db: Knex) {
    return db('audit_verifications').orderBy('id', 'desc').first()
  },
}
