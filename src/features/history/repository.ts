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
  /** Serialises writers of one chain for the rest of the transaction. */
  async lockChain(trx: Knex.Transaction, chainKey: string): Promise<void> {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 42))', [chainKey])
  },

  async lastOfChain(trx: Knex.Transaction, chainKey: string): Promise<{ seq: number; hash: string } | undefined> {
    return trx('activity_log').where({ chain_key: chainKey }).orderBy('seq', 'desc').first('seq', 'hash')
  },

  async insert(trx: Knex.Transaction, e: ChainedEntry, prevHash: string, hash: string): Promise<void> {
    await trx('activity_log').insert({
      chain_key: e.chainKey,
      seq: e.seq,
      occurred_at: e.occurredAt,
      actor_account_id: e.actorAccountId,
      actor_role: e.actorRole,
      actor_name: e.actorName,
      actor_organisation: e.actorOrganisation,
      action: e.action,
      object_type: e.objectType,
      object_id: e.objectId,
      subject_person_id: e.subjectPersonId,
      emergency: e.emergency,
      details: e.details === null || e.details === undefined ? null : JSON.stringify(e.details),
      prev_hash: prevHash,
      hash,
    })
  },

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

  /** All rows in chain order, streamed (the table may hold millions of rows). */
  streamAll(db: Knex) {
    return db('activity_log').orderBy([{ column: 'chain_key' }, { column: 'seq' }]).stream() as AsyncIterable<ActivityRow>
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
