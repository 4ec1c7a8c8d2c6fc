import type { Knex } from 'knex'
import { SYSTEM_ACTOR, type Actor } from '../../domain/actor'
import { isoDate } from '../../domain/parisTime'
import type { ActivityLog } from '../history/activity'
import { deletionRepository as repo, type PersonReference } from './deletionRepository'

/** Tables whose rows for a person are not deleted with the space's data. */
const KEPT = new Set([
  'insured_persons', // the registry of the Assurance Maladie (the person is still insured)
  'spaces', // kept, state `closed`, with `data_deleted_at`
  'accounts', // deleted below, after what refers to it
  'activity_log', // append-only and hash-chained (SPEC §6): never deleted
])

/**
 * The daily deletion of closed spaces' data (SPEC §2): a space closed more than 10 years ago
 * (`archive_until` passed), or closed with a request for deletion 3 months ago or more, loses all its
 * data — documents, medical profile, agenda, messages, links with representatives and carers,
 * connected services, codes, letters, the account and its sessions — in set-based batches, one
 * transaction per batch. The same dates as `canReopen` (lifecycle.ts): a space is deleted the day it
 * can no longer be reopened, never before.
 *
 * Which tables hold a person's data is read from the database's foreign keys to `insured_persons`
 * (so a table added by a later feature is deleted too without touching this file); rows that only
 * point at the person from someone else's data (ON DELETE SET NULL) have the reference cleared.
 * Kept: the registry row, the space row (state `closed`, `data_deleted_at`) and the activity log
 * (append-only, hash-chained: SPEC §6), whose rows name no health data. One history row per batch
 * on the system chain, with the spaces concerned.
 */
export function createClosedSpacesDeletion(deps: { db: Knex; activity: ActivityLog }) {
  const { db, activity } = deps
  let references: PersonReference[] | undefined

  async function personReferences(trx: Knex.Transaction): Promise<PersonReference[]> {
    if (references) return references
    references = (await repo.personReferences(trx)).filter((r) => !KEPT.has(r.table.replace(/^public\./, '').replace(/"/g, '')))
    return references
  }

  return {
    async run(
      actor: Actor = SYSTEM_ACTOR,
      opts: { today?: string; batchSize?: number } = {},
    ): Promise<{ spaces: number; batches: number; ms: number }> {
      const started = Date.now()
      const today = opts.today ?? isoDate()
      const batchSize = opts.batchSize ?? 1000
      let spaces = 0
      let batches = 0
      for (;;) {
        const n = await db.transaction(async (trx) => {
          await repo.withoutStatementTimeout(trx)
          const rows = await repo.lockDueSpaces(trx, today, batchSize)
          if (!rows.length) return 0
          const ids = rows.map((r) => r.person_id)
          for (const ref of await personReferences(trx)) await repo.deleteReferences(trx, ref, ids)
          // The account last: its sessions, one-time codes and tokens go with it (ON DELETE CASCADE).
          await repo.deleteAccounts(trx, ids)
          await repo.markDataDeleted(trx, ids)
          const asked = rows.filter((r) => r.asked).length
          await activity.record(trx, actor, {
            action: 'spaces.data_deleted',
            objectType: 'space',
            details: { count: ids.length, onRequest: asked, afterArchive: ids.length - asked, today, spaces: ids },
          })
          return ids.length
        })
        spaces += n
        if (n) batches++
        if (n < batchSize) break
      }
      return { spaces, batches, ms: Date.now() - started }
    },
  }
}
