import crypto from 'node:crypto'
import { isRecord } from '../validation'

/**
 * The activity log is hash-chained per person: each row's hash covers its own content and the
 * previous row's hash, so changing or removing a row breaks every later link.
 */
export interface ChainedEntry {
  chainKey: string
  seq: number
  occurredAt: string // ISO 8601, as stored
  actorAccountId: string | null
  actorRole: string
  actorName: string
  actorOrganisation: string | null
  action: string
  objectType: string | null
  objectId: string | null
  subjectPersonId: string | null
  emergency: boolean
  details: unknown
}

export const GENESIS = '0'.repeat(64)

/** JSON with keys sorted at every depth, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (!isRecord(value)) return JSON.stringify(value ?? null)
  return `{${Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
    .join(',')}}`
}

/** The canonical JSON that is hashed for an entry (sorted keys, `details` null when absent). */
function entryBody(e: ChainedEntry): string {
  return canonicalJson({
    chainKey: e.chainKey,
    seq: e.seq,
    occurredAt: e.occurredAt,
    actorAccountId: e.actorAccountId,
    actorRole: e.actorRole,
    actorName: e.actorName,
    actorOrganisation: e.actorOrganisation,
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId,
    subjectPersonId: e.subjectPersonId,
    emergency: e.emergency,
    details: e.details ?? null,
  })
}

export function entryHash(prevHash: string, e: ChainedEntry): string {
  return crypto.createHash('sha256').update(prevHash).update('\n').update(entryBody(e)).digest('hex')
}

/**
 * The canonical JSON of an entry split around its `seq` (the only part that depends on the chain
 * head): `body = before + String(seq) + after`, so the database can finish the hash once it has
 * read the head (`activity_append`): sha256(prevHash + '\n' + before + seq + after) === entryHash.
 * Keys are sorted and `seq` is top-level, so its key is the last `"seq":` of the text (a `details`
 * key named seq comes earlier; a string value cannot hold an unescaped quote).
 */
export function entryBodyAroundSeq(e: Omit<ChainedEntry, 'seq'>): { before: string; after: string } {
  const body = entryBody({ ...e, seq: 0 })
  const at = body.lastIndexOf('"seq":0') + '"seq":'.length
  return { before: body.slice(0, at), after: body.slice(at + 1) }
}

export interface ChainBreak {
  chainKey: string
  seq: number
  /**
   * 'hash': a row's content changed; 'prev': a link broken; 'gap': a row missing inside the chain;
   * 'truncated': the chain ends before a head a checkpoint pinned (rows deleted at its end, or the
   * whole chain); 'checkpoint': the row a checkpoint pinned differs, or the checkpoint's signature is wrong.
   */
  reason: 'hash' | 'prev' | 'gap' | 'truncated' | 'checkpoint'
}

/**
 * The signature of a chain head pinned by a checkpoint: HMAC-SHA256 with a key kept out of the
 * database (AUDIT_CHECKPOINT_KEY), so whoever may write the tables cannot forge a checkpoint.
 */
export function checkpointMac(key: Buffer, head: { chainKey: string; seq: number; hash: string }): string {
  return crypto.createHmac('sha256', key).update(`mes-audit-checkpoint:v1\n${head.chainKey}\n${head.seq}\n${head.hash}`).digest('hex')
}

/** Constant-time comparison of two hex signatures. */
export function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === y.length && x.length > 0 && crypto.timingSafeEqual(x, y)
}

export type StoredEntry = ChainedEntry & { prevHash: string; hash: string }

/**
 * Verifies rows streamed in (chain, seq) order, one at a time, so memory stays flat whatever
 * the size of the log. `push` returns the first broken link it meets.
 */
export class ChainVerifier {
  private chain: string | undefined
  private prev = GENESIS
  private expectedSeq = 1
  chains = 0
  rows = 0

  push(r: StoredEntry): ChainBreak | undefined {
    this.rows++
    if (r.chainKey !== this.chain) {
      this.chain = r.chainKey
      this.prev = GENESIS
      this.expectedSeq = 1
      this.chains++
    }
    if (r.seq !== this.expectedSeq) return { chainKey: r.chainKey, seq: r.seq, reason: 'gap' }
    if (r.prevHash !== this.prev) return { chainKey: r.chainKey, seq: r.seq, reason: 'prev' }
    if (entryHash(this.prev, r) !== r.hash) return { chainKey: r.chainKey, seq: r.seq, reason: 'hash' }
    this.prev = r.hash
    this.expectedSeq++
    return undefined
  }
}

/**
 * Verifies the rows of ONE chain that follow a pinned head (a checkpoint's `seq` and `hash`), given in
 * seq order from the pinned row itself (or from seq 1 when nothing was pinned): the pinned row must
 * still be there with the same hash, and every later row must link to it. Returns the chain's head
 * now, or the first break.
 */
export function verifyFromPin(
  chainKey: string,
  pin: { seq: number; hash: string } | undefined,
  rows: readonly StoredEntry[],
): { ok: true; head: { seq: number; hash: string } } | { ok: false; break: ChainBreak } {
  let prev = GENESIS
  let expected = 1
  let i = 0
  if (pin) {
    const first = rows[0]
    if (!first || first.seq !== pin.seq) return { ok: false, break: { chainKey, seq: pin.seq, reason: 'truncated' } }
    if (first.hash !== pin.hash) return { ok: false, break: { chainKey, seq: pin.seq, reason: 'checkpoint' } }
    prev = pin.hash
    expected = pin.seq + 1
    i = 1
  }
  for (; i < rows.length; i++) {
    const r = rows[i]
    if (r.seq !== expected) return { ok: false, break: { chainKey, seq: r.seq, reason: 'gap' } }
    if (r.prevHash !== prev) return { ok: false, break: { chainKey, seq: r.seq, reason: 'prev' } }
    if (entryHash(prev, r) !== r.hash) return { ok: false, break: { chainKey, seq: r.seq, reason: 'hash' } }
    prev = r.hash
    expected++
  }
  if (expected === 1) return { ok: false, break: { chainKey, seq: 0, reason: 'truncated' } }
  return { ok: true, head: { seq: expected - 1, hash: prev } }
}

/** Verifies one chain given in seq order; returns the first broken link, if any. */
export function verifyChain(rows: StoredEntry[]): ChainBreak | undefined {
  const v = new ChainVerifier()
  for (const r of rows) {
    const b = v.push(r)
    if (b) return b
  }
  return undefined
}
