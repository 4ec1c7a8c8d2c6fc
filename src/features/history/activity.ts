import type { Knex } from 'knex'
import { actingRole, type Actor } from '../../domain/actor'
import { ChainVerifier, entryBodyAroundSeq, type ChainBreak, type ChainedEntry } from '../../domain/hashChain'
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

/**
 * The activity log: one row per sign-in, per read of someone's data by someone else, per change,
 * written in the caller's transaction. Rows are append-only (a trigger refuses UPDATE and DELETE)
 * and chained by hash per person.
 */
export function createActivityLog(db: Knex) {
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
   * The same append as `record`, as one SQL statement with its values inlined as literals by
   * `literal` (the connection's `escapeLiteral`), for a caller that sends it in its own transaction
   * with other statements: the FHIR API sends it last, with COMMIT, in one round trip, so that the
   * chain's lock is held only inside the database, never across a turn of Node's event loop.
   */
  function appendStatement(actor: Actor, input: ActivityInput, literal: (value: string) => string): string {
    const entry = entryOf(actor, input)
    return repo.appendStatement(entry, entryBodyAroundSeq(entry), literal)
  }

  /** Walks every chain; reports the first broken link. Used by `npm run audit:verify`. */
  async function verify(): Promise<{ ok: boolean; rows: number; chains: number; firstBreak?: ChainBreak }> {
    const v = new ChainVerifier()
    let firstBreak: ChainBreak | undefined
    for await (const row of repo.streamAll(db)) {
      firstBreak = v.push(toEntry(row))
      if (firstBreak) break
    }
    const result = { ok: !firstBreak, rows: v.rows, chains: v.chains, firstBreak }
    await repo.saveVerification(db, result)
    return result
  }

  return { record, appendStatement, verify, lastVerification: () => repo.lastVerification(db) }
}

export type ActivityLog = ReturnType<typeof createActivityLog>
