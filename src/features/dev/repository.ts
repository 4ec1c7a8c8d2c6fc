import type { Knex } from 'knex'

/** The development outbox's one read. */
export const devRepository = {
  /** The latest e-mails and SMS sent (to one recipient when given), the newest first. */
  latestOutbox(db: Knex, recipient: string | undefined, limit = 100): Promise<Record<string, unknown>[]> {
    const q = db('outbox').orderBy('id', 'desc').limit(limit)
    if (recipient) q.where('recipient', recipient)
    return q
  },
}
