import type { Knex } from 'knex'
import { SYSTEM_ACTOR, type Actor } from '../../domain/actor'
import { OPPOSITION_PERIOD_DAYS, DAY_MS } from '../../domain/lifecycle'
import { CODE_VALIDITY_DAYS, formatCode, generateCodes, hashCode } from '../../domain/provisionalCode'
import { seal } from '../../infrastructure/crypto'
import type { Notifier } from '../../infrastructure/notifier'
import type { ActivityLog } from '../history/activity'
import { letterAddress, provisionalCodeEmailTemplate } from '../codes/service'
import { campaignRepository as repo } from './campaignRepository'

export interface CampaignSummary {
  id: number
  persons: number
  emails: number
  letters: number
  ms: number
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
export function createCampaignService(deps: {
  db: Knex
  notifier: Notifier
  activity: ActivityLog
  codeKey: Buffer
  masterKey: Buffer
  publicUrl: string
}) {
  const { db, notifier, activity, codeKey, masterKey } = deps

  // CAMPAIGN_PROFILE=1 (with CAMPAIGN_WORKERS=1) prints where the batches spend their time (no personal data).
  const profile = process.env.CAMPAIGN_PROFILE ? new Map<string, number>() : undefined
  let mark = 0
  const lap = (name: string) => {
    if (!profile) return
    const t = performance.now()
    profile.set(name, (profile.get(name) ?? 0) + t - mark)
    mark = t
  }

  /**
   * One batch: the never-notified spaces stored in heap pages [`from`, `until`) of `spaces` (a TID
   * range scan: each batch reads its own few hundred pages once, and the campaign never re-reads
   * the pages of batches already done). The batch is claimed by the UPDATE itself (`state =
   * 'not_notified'` re-checked on each row under its lock, so a person whose space changed
   * meanwhile, or taken by another campaign, is never notified twice), which returns what the
   * e-mail or the letter needs; everything else is one multi-row statement per table.
   *
   * Why pages and not the uuid order: at a million persons the tables no longer fit in the
   * server's buffers, and a walk in uuid order touches a random heap page of `spaces` and of
   * `insured_persons` for every person (and re-dirties them after every checkpoint: full-page
   * images in the WAL). Walking pages and then sorting the batch by person_id makes every access
   * local: the batch's heap pages are adjacent, and the index lookups and inserts keyed on
   * person_id (spaces, insured_persons, provisional_codes) go through the index leaves in order.
   * Joins are forced to nested loops: with the whole table waiting, the planner otherwise hashes
   * all of `spaces` or `insured_persons` for every batch (a full scan per batch: quadratic).
   */
  async function notifyBatch(trx: Knex.Transaction, actor: Actor, campaignId: number, now: Date, from: number, until: number | null) {
    mark = performance.now()
    // A batch lost in a crash is lost whole (codes, e-mails, letters, states: one transaction) and
    // the campaign notifies those persons on its next run: no need to wait for each commit's flush.
    await repo.relaxBatch(trx)
    const claimed = await repo.claimNotNotified(trx, from, until, now)
    lap('claim')
    if (!claimed.length) return { persons: 0, emails: 0, letters: 0 }
    // In person_id order (the RETURNING order is the join's, which follows `picked` but is not promised).
    const rows = claimed.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    const ids = rows.map((r) => r.id)
    const codes = generateCodes(rows.length)
    const expiresAt = new Date(now.getTime() + CODE_VALIDITY_DAYS * DAY_MS)
    const channels = rows.map((r) => (r.email ? 'email' : 'post'))
    const hashes = codes.map((c) => hashCode(codeKey, c))
    lap('codes')
    // One index scan over the batch's sorted ids: the planner, whose statistics on this table
    // (empty before the campaign, a million rows after) lag behind, must not scan it whole per batch.
    await repo.voidOpenCodes(trx, ids, now)
    lap('void')
    await repo.insertCodes(trx, { createdAt: now, expiresAt, personIds: ids, hashes, channels })
    lap('insert codes')
    // The same text as a code asked for online, put together by the database from the model and
    // each person's name and code; sorted by address, so that the outbox's index on the recipient is
    // filled in order, not at random.
    const byAddress = rows
      .flatMap((r, i) => (r.email ? [i] : []))
      .sort((x, y) => (rows[x].email! < rows[y].email! ? -1 : rows[x].email! > rows[y].email! ? 1 : 0))
    const emails = {
      to: byAddress.map((i) => rows[i].email!),
      names: byAddress.map((i) => `${rows[i].first_names} ${rows[i].last_name}`),
      codes: byAddress.map((i) => formatCode(codes[i])),
    }
    lap('emails text')
    await notifier.templatedEmails(trx, provisionalCodeEmailTemplate(expiresAt, deps.publicUrl), emails.to, [emails.names, emails.codes])
    lap('outbox')
    const post = rows.flatMap((r, i) => (r.email ? [] : [{ r, code: codes[i] }]))
    if (post.length) {
      await repo.insertCodeLetters(trx, {
        createdAt: now,
        personIds: post.map((x) => x.r.id),
        addresses: post.map((x) => JSON.stringify(letterAddress(x.r))),
        sealedPayloads: post.map((x) => seal(masterKey, JSON.stringify({ code: x.code, expiresAt: expiresAt.toISOString() }))),
      })
    }
    lap('letters')
    const counts = { persons: rows.length, emails: emails.to.length, letters: post.length }
    await repo.addCounts(trx, campaignId, counts)
    await activity.record(trx, actor, {
      action: 'campaign.batch_notified',
      objectType: 'notification_campaign',
      objectId: String(campaignId),
      details: counts,
    })
    lap('activity')
    return counts
  }

  return {
    /** Notifies everyone never notified; returns the counts. */
    async run(
      actor: Actor,
      opts: {
        batchSize?: number
        now?: Date
        workers?: number
        onBatch?: (b: { worker: number; persons: number; ms: number }) => void
      } = {},
    ): Promise<CampaignSummary> {
      const started = Date.now()
      const batchSize = opts.batchSize ?? Number(process.env.CAMPAIGN_BATCH ?? 20_000)
      const workers = Math.max(1, Math.min(8, opts.workers ?? Number(process.env.CAMPAIGN_WORKERS ?? 2)))
      // A small campaign (the usual daily one after an import) runs as one walk: one batch, one history row.
      let small = false
      if (!opts.workers) {
        small = (await repo.countNotNotifiedUpTo(db, batchSize * workers)) < batchSize * workers
      }
      const id = await repo.insertCampaign(db, actor.kind === 'operator' && actor.accountId !== 'system' ? actor.accountId : null)
      const total = { persons: 0, emails: 0, letters: 0 }
      const now = opts.now ?? new Date()
      const batch = async (worker: number, from: number, until: number | null) => {
        const batchStarted = performance.now()
        const c = await db.transaction((trx) => notifyBatch(trx, actor, id, now, from, until))
        if (c.persons) opts.onBatch?.({ worker, persons: c.persons, ms: performance.now() - batchStarted })
        total.persons += c.persons
        total.emails += c.emails
        total.letters += c.letters
        lap('commit')
      }
      if (small) {
        await batch(0, 0, null)
      } else {
        // The heap pages of `spaces` as they are now, cut into `workers` disjoint ranges walked at the
        // same time, one connection each (the database does most of the work: two backends use both
        // cores), in steps of about `batchSize` rows. Pages added after this point hold the new
        // versions this campaign writes (already notified), or persons imported meanwhile: the next
        // campaign notifies those.
        const { blocks, tuples, pages } = await repo.spacesHeap(db)
        const perPage = pages > 0 && tuples > 0 ? tuples / pages : 120
        const step = Math.max(1, Math.round(batchSize / perPage))
        const bounds = Array.from({ length: workers + 1 }, (_, i) => Math.round((i * blocks) / workers))
        await Promise.all(
          bounds.slice(0, workers).map(async (from, i) => {
            for (let b = from; b < bounds[i + 1]; b += step) await batch(i, b, Math.min(b + step, bounds[i + 1]))
          }),
        )
      }
      await repo.finishCampaign(db, id)
      if (profile)
        process.stderr.write(
          `campagne, ms par étape : ${JSON.stringify(Object.fromEntries([...profile].map(([k, v]) => [k, Math.round(v)])))}\n`,
        )
      return { id, ...total, ms: Date.now() - started }
    },

    /** How many persons wait for the campaign (spaces never notified). */
    async waiting(): Promise<number> {
      return repo.countNotNotified(db)
    },

    recent: (limit = 5) => repo.recent(db, limit),

    /** The daily job (and the back-office button): notified spaces past their 6 weeks become auto_created. */
    async autoCreate(
      actor: Actor = SYSTEM_ACTOR,
      opts: { batchSize?: number; now?: Date } = {},
    ): Promise<{ spaces: number; batches: number; ms: number }> {
      const started = Date.now()
      const batchSize = opts.batchSize ?? 50_000
      const now = opts.now ?? new Date()
      const dueBefore = new Date(now.getTime() - OPPOSITION_PERIOD_DAYS * DAY_MS)
      let spaces = 0
      let batches = 0
      for (;;) {
        const n = await db.transaction(async (trx) => {
          const count = await repo.autoCreateBatch(trx, dueBefore, batchSize, now)
          if (count)
            await activity.record(trx, actor, {
              action: 'spaces.auto_created',
              objectType: 'space',
              details: { count, noticeBefore: dueBefore.toISOString() },
            })
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
