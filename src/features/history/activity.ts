import type { Knex } from 'knex'
import { actingRole, type Actor } from '../../domain/actor'
import {
  ChainVerifier,
  checkpointMac,
  entryBodyAroundSeq,
  sameMac,
  verifyFromPin,
  type ChainBreak,
  type ChainedEntry,
} from '../../domain/hashChain'
import { activityRepository as repo, toEntry } from './repository'

export interface ActivityInput {
  /** Dotted action name, e.g. 'account.signin', 'document.read'. */
  action: string
  /** The person whose space is concerned (their history shows the row). */
  subjectPersonId?: string | null
  objectType?: string
  objectId?: string
  /** Small, non-secret context (a document title is fine for the holder's own history; never a code or NIR). */
  details?: Record<string, unknown>
  emergency?: boolean
}

export interface VerificationResult {
  ok: boolean
  rows: number
  chains: number
  firstBreak?: ChainBreak
  /** With a checkpoint key: the pinned heads compared, and the heads this verification pinned. */
  checkpoints?: { compared: number; pinned: number }
}

const HEAD_BATCH = 500

/**
 * The activity log: one row per sign-in, per read of someone's data by someone else, per change,
 * written in the caller's transaction. Rows are append-only (a trigger refuses UPDATE and DELETE,
 * and the application's database role may only SELECT and INSERT) and chained by hash per person.
 *
 * A hash chain shows a row changed or removed inside a chain, not rows removed at its END: with
 * `checkpointKey` (AUDIT_CHECKPOINT_KEY), checkpoints pin the chains' heads in a separate append-only
 * table, each head signed (HMAC) with a key the database never sees; a periodic job pins the heads of
 * the chains that moved (after checking their new rows link to the previous pin) and every
 * verification compares each chain to its latest pinned head, then pins the heads it verified.
 */
export function createActivityLog(db: Knex, opts: { checkpointKey?: Buffer } = {}) {
  const key = opts.checkpointKey
  function entryOf(actor: Actor, input: ActivityInput): Omit<ChainedEntry, 'seq'> {
    const subject = input.subjectPersonId ?? null
    const chainKey = subject ?? (actor.accountId === 'system' ? 'system' : `account:${actor.accountId}`)
    const details: Record<string, unknown> = { ...(input.details ?? {}) }
    if (actor.assistedBy) details.assistedBy = actor.assistedBy.organisation
    if (actor.service) details.clientId = actor.service.clientId
    const entry: Omit<ChainedEntry, 'seq'> = {
      chainKey,
      occurredAt: new Date().toISOString(),
      // 'system' and 'person' (someone acting without an account: opposition, activation...) have no account id.
      actorAccountId: actor.accountId === 'system' || actor.accountId === 'person' || actor.service ? null : actor.accountId,
      actorRole: actingRole(actor),
      actorName: actor.displayName,
      actorOrganisation: actor.organisation ?? null,
      action: input.action,
      objectType: input.objectType ?? null,
      objectId: input.objectId ?? null,
      subjectPersonId: subject,
      emergency: input.emergency ?? false,
      details: Object.keys(details).length ? details : null,
    }
    return entry
  }

  async function record(trx: Knex.Transaction, actor: Actor, input: ActivityInput): Promise<void> {
    const entry = entryOf(actor, input)
    // One round trip: the database locks the chain, reads its head, finishes the hash and inserts
    // (`activity_append`, the same lock, seq and SHA-256 as `entryHash`; ChainVerifier checks it).
    await repo.append(trx, entry, entryBodyAroundSeq(entry))
  }

  /**
   * The same append as `record`, as one SQL statement with its values inlined as literals, for a
   * caller that sends it in its own transaction with other statements: the FHIR API sends it last,
   * with COMMIT, so that the chain's lock is held only inside the database, never across a turn of
   * Node's event loop.
   */
  function appendStatement(actor: Actor, input: ActivityInput): string {
    const entry = entryOf(actor, input)
    return repo.appendStatement(entry, entryBodyAroundSeq(entry))
  }

  /** Signs and pins the heads not pinned yet, under checkpoint `checkpointId`; returns how many. */
  async function pin(trx: Knex | Knex.Transaction, checkpointId: number, heads: { chainKey: string; seq: number; hash: string }[]) {
    if (!key || !heads.length) return 0
    const already = await repo.pinned(trx, heads)
    const rows = heads
      .filter((h) => !already.has(`${h.chainKey}\n${h.seq}`))
      .map((h) => ({ checkpoint_id: checkpointId, chain_key: h.chainKey, seq: h.seq, hash: h.hash, mac: checkpointMac(key, h) }))
    await repo.insertHeads(trx, rows)
    return rows.length
  }

  /**
   * The periodic checkpoint (a pg-boss job): for every chain that received rows since the previous
   * checkpoints, checks that its new rows link to its latest pinned head (signature included), then
   * pins its new head. A chain that does not is NOT pinned (its old pin stays, so the verification
   * reports it) and is returned in `broken`.
   */
  async function checkpoint(): Promise<{ id: number; chains: number; pinned: number; broken: ChainBreak[] } | undefined> {
    if (!key) return undefined
    const from = await repo.checkpointWindowStart(db)
    const upTo = await repo.maxId(db)
    const moved = await repo.movedChains(db, from)
    return db.transaction(async (trx) => {
      const id = await repo.insertCheckpoint(trx, 'periodic', upTo)
      const broken: ChainBreak[] = []
      let pinned = 0
      for (let i = 0; i < moved.length; i += HEAD_BATCH) {
        const batch = moved.slice(i, i + HEAD_BATCH)
        const rows = await repo.chainsFrom(
          trx,
          batch.map((c) => ({ chainKey: c.chain_key, seq: c.pin_seq ?? 1 })),
        )
        const byChain = new Map<string, ReturnType<typeof toEntry>[]>()
        for (const r of rows) {
          const e = toEntry(r)
          const list = byChain.get(e.chainKey) ?? []
          list.push(e)
          byChain.set(e.chainKey, list)
        }
        const heads: { chainKey: string; seq: number; hash: string }[] = []
        for (const c of batch) {
          const pinHead = c.pin_seq !== null ? { chainKey: c.chain_key, seq: c.pin_seq, hash: c.pin_hash! } : undefined
          if (pinHead && !sameMac(c.pin_mac!, checkpointMac(key, pinHead))) {
            broken.push({ chainKey: c.chain_key, seq: pinHead.seq, reason: 'checkpoint' })
            continue
          }
          const r = verifyFromPin(c.chain_key, pinHead, byChain.get(c.chain_key) ?? [])
          if (r.ok) heads.push({ chainKey: c.chain_key, ...r.head })
          else broken.push(r.break)
        }
        pinned += await pin(trx, id, heads)
      }
      return { id, chains: moved.length, pinned, broken }
    })
  }

  /**
   * Walks every chain; reports the first broken link. Used by `npm run audit:verify`. With a
   * checkpoint key, first compares every chain to its latest pinned head (a chain shorter than its
   * pin: rows deleted at its end; a pinned row changed; a signature that does not match), then pins
   * the heads of the chains it verified, when nothing was broken.
   */
  async function verify(): Promise<VerificationResult> {
    let firstBreak: ChainBreak | undefined
    let checkpoints: VerificationResult['checkpoints']
    let checkpointId: number | undefined
    if (key) {
      const upTo = await repo.maxId(db)
      let compared = 0
      for await (const p of repo.streamLatestPins(db)) {
        compared++
        const head = { chainKey: p.chain_key, seq: Number(p.seq), hash: p.hash }
        if (!sameMac(p.mac, checkpointMac(key, head))) firstBreak = { chainKey: head.chainKey, seq: head.seq, reason: 'checkpoint' }
        else if (p.log_hash === null) firstBreak = { chainKey: head.chainKey, seq: head.seq, reason: 'truncated' }
        else if (p.log_hash !== p.hash) firstBreak = { chainKey: head.chainKey, seq: head.seq, reason: 'checkpoint' }
        if (firstBreak) break
      }
      checkpointId = await repo.insertCheckpoint(db, 'verification', upTo)
      checkpoints = { compared, pinned: 0 }
    }
    const v = new ChainVerifier()
    let walkBreak: ChainBreak | undefined
    let heads: { chainKey: string; seq: number; hash: string }[] = []
    let last: { chainKey: string; seq: number; hash: string } | undefined
    // Heads are pinned only while nothing is broken (a broken log is not signed as it is).
    const flush = async () => {
      if (checkpoints && checkpointId !== undefined && !firstBreak && !walkBreak) checkpoints.pinned += await pin(db, checkpointId, heads)
      heads = []
    }
    for await (const row of repo.streamAll(db)) {
      const e = toEntry(row)
      if (last && e.chainKey !== last.chainKey) {
        heads.push(last)
        if (heads.length >= HEAD_BATCH) await flush()
      }
      walkBreak = v.push(e)
      if (walkBreak) break
      last = { chainKey: e.chainKey, seq: e.seq, hash: e.hash }
    }
    if (last && !walkBreak) heads.push(last)
    await flush()
    firstBreak = walkBreak ?? firstBreak
    const result: VerificationResult = {
      ok: !firstBreak,
      rows: v.rows,
      chains: v.chains,
      firstBreak,
      ...(checkpoints ? { checkpoints } : {}),
    }
    await repo.saveVerification(db, result)
    return result
  }

  return { record, appendStatement, verify, checkpoint, lastVerification: () => repo.lastVerification(db) }
}

export type ActivityLog = ReturnType<typeof createActivityLog>
