import type { Knex } from 'knex'
import type { ChainedEntry } from '../../domain/hashChain'
import { DOCUMENT_FACT_COLUMNS, type DocumentRow } from '../documents/repository'
import { sqlLiteral } from '../../infrastructure/roundTrips'

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
    const res = await trx.raw<{ rows: { seq: number }[] }>('SELECT activity_append(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS seq', [
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
    return res.rows[0].seq
  },

  /** `append` as one statement with literal values (`sqlLiteral`), for a caller that sends it with other statements. */
  appendStatement(e: Omit<ChainedEntry, 'seq'>, body: { before: string; after: string }): string {
    const text = (v: string | null | undefined, cast = '') => (v === null || v === undefined ? 'NULL' : `${sqlLiteral(v)}${cast}`)
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
      .select<ActivityRow[]>('*')
      .orderBy([{ column: 'chain_key' }, { column: 'seq' }])
      .stream()
  },

  /** The highest id of the log (0 when empty). */
  async maxId(db: Knex | Knex.Transaction): Promise<number> {
    const { rows } = await db.raw<{ rows: { id: number }[] }>('SELECT coalesce(max(id), 0)::bigint AS id FROM activity_log')
    return Number(rows[0].id)
  },

  /** Where the next periodic checkpoint starts reading: the older of the last two checkpoints' ends (0 without). */
  async checkpointWindowStart(db: Knex | Knex.Transaction): Promise<number> {
    const { rows } = await db.raw<{ rows: { id: number }[] }>(
      'SELECT coalesce(min(up_to_id), 0)::bigint AS id FROM (SELECT up_to_id FROM audit_checkpoints ORDER BY id DESC LIMIT 2) c',
    )
    return Number(rows[0].id)
  },

  async insertCheckpoint(trx: Knex | Knex.Transaction, reason: 'periodic' | 'verification', upToId: number): Promise<number> {
    const [r] = await trx('audit_checkpoints').insert({ reason, up_to_id: upToId }).returning<{ id: string }[]>('id')
    return Number(r.id)
  },

  /** The chains that received rows after `fromId`, each with its latest pinned head (if any). */
  async movedChains(
    db: Knex | Knex.Transaction,
    fromId: number,
  ): Promise<{ chain_key: string; pin_seq: number | null; pin_hash: string | null; pin_mac: string | null }[]> {
    const { rows } = await db.raw<{
      rows: { chain_key: string; pin_seq: number | null; pin_hash: string | null; pin_mac: string | null }[]
    }>(
      `SELECT m.chain_key, p.seq AS pin_seq, p.hash AS pin_hash, p.mac AS pin_mac
         FROM (SELECT DISTINCT chain_key FROM activity_log WHERE id > ?) m
         LEFT JOIN LATERAL (SELECT seq, hash, mac FROM audit_checkpoint_heads h WHERE h.chain_key = m.chain_key ORDER BY seq DESC LIMIT 1) p ON true
        ORDER BY m.chain_key`,
      [fromId],
    )
    return rows
  },

  /** The rows of several chains from a seq each (in chain, seq order). */
  async chainsFrom(db: Knex | Knex.Transaction, from: { chainKey: string; seq: number }[]): Promise<ActivityRow[]> {
    if (!from.length) return []
    const { rows } = await db.raw<{ rows: ActivityRow[] }>(
      `SELECT l.* FROM unnest(?::text[], ?::int[]) AS k(chain_key, from_seq)
         JOIN activity_log l ON l.chain_key = k.chain_key AND l.seq >= k.from_seq
        ORDER BY l.chain_key, l.seq`,
      [from.map((f) => f.chainKey), from.map((f) => f.seq)],
    )
    return rows
  },

  /**
   * Every chain's latest pinned head with the row it pins (null when the row is gone), streamed: the
   * verification compares them (signature, presence, hash).
   */
  streamLatestPins(db: Knex) {
    return db
      .select<{ chain_key: string; seq: number; hash: string; mac: string; log_hash: string | null }[]>(
        'h.chain_key',
        'h.seq',
        'h.hash',
        'h.mac',
        'l.hash as log_hash',
      )
      .from(
        db('audit_checkpoint_heads')
          .distinctOn('chain_key')
          .select('chain_key', 'seq', 'hash', 'mac')
          .orderBy([{ column: 'chain_key' }, { column: 'seq', order: 'desc' }])
          .as('h'),
      )
      .leftJoin('activity_log as l', function () {
        this.on('l.chain_key', '=', 'h.chain_key').andOn('l.seq', '=', 'h.seq')
      })
      .stream()
  },

  /** Which of these heads are already pinned (key `chainKey\nseq`). */
  async pinned(db: Knex | Knex.Transaction, heads: { chainKey: string; seq: number }[]): Promise<Set<string>> {
    if (!heads.length) return new Set()
    const { rows } = await db.raw<{ rows: { chain_key: string; seq: number }[] }>(
      `SELECT h.chain_key, h.seq FROM unnest(?::text[], ?::int[]) AS k(chain_key, seq)
         JOIN audit_checkpoint_heads h ON h.chain_key = k.chain_key AND h.seq = k.seq`,
      [heads.map((x) => x.chainKey), heads.map((x) => x.seq)],
    )
    return new Set(rows.map((r) => `${r.chain_key}\n${r.seq}`))
  },

  async insertHeads(
    trx: Knex | Knex.Transaction,
    rows: { checkpoint_id: number; chain_key: string; seq: number; hash: string; mac: string }[],
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) await trx('audit_checkpoint_heads').insert(rows.slice(i, i + 500))
  },

  async saveVerification(db: Knex, result: { ok: boolean; rows: number; chains: number; firstBreak?: unknown }): Promise<void> {
    await db('audit_verifications').insert({
      ok: result.ok,
      rows_checked: result.rows,
      chains_checked: result.chains,
      first_break: result.firstBreak ? JSON.stringify(result.firstBreak) : null,
    })
  },

  async lastVerification(db: Knex) {
    return db('audit_verifications')
      .orderBy('id', 'desc')
      .first<
        { id: number; verified_at: Date; ok: boolean; rows_checked: number; chains_checked: number; first_break: unknown } | undefined
      >()
  },
}

/** Which rows of a person's history a page reads (the filters of «Historique d'activité»). */
export type HistoryFilter =
  | { kind: 'space'; personId: string; mine: boolean; actorRole?: string; since?: Date; emergencyOnly: boolean }
  | { kind: 'professionalAccesses'; personId: string; actions: readonly string[] }

/** The actors whose rows are «Mes actions» (the holder and their representatives). */
export const MINE_ROLES = ['patient', 'representative']
const HISTORY_COLUMNS = [
  'id',
  'occurred_at',
  'actor_role',
  'actor_name',
  'actor_organisation',
  'action',
  'object_type',
  'object_id',
  'emergency',
]

/** The reads of «Historique d'activité», on the indexes on (subject, time). */
export const historyRepository = {
  /** Rows of the history, the latest first, from `offset`, at most `limit`. */
  rows<R>(db: Knex, f: HistoryFilter, offset: number, limit: number): Promise<R[]> {
    const q = db('activity_log').where({ subject_person_id: f.personId })
    if (f.kind === 'professionalAccesses') q.where({ actor_role: 'professional' }).whereIn('action', f.actions)
    else {
      if (f.mine) q.whereIn('actor_role', MINE_ROLES)
      else {
        q.whereNotIn('actor_role', MINE_ROLES)
        if (f.actorRole) q.where({ actor_role: f.actorRole })
      }
      if (f.since) q.where('occurred_at', '>=', f.since)
      if (f.emergencyOnly) q.where({ emergency: true })
    }
    return q
      .select(HISTORY_COLUMNS)
      .orderBy([
        { column: 'occurred_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit)
      .offset(offset)
  },

  /** The facts of the documents some history rows are about, in one statement. */
  documentsByIds: (db: Knex, ids: readonly string[]): Promise<DocumentRow[]> =>
    db('documents')
      .whereIn('id', ids)
      .select('id', 'title', ...DOCUMENT_FACT_COLUMNS),
}
