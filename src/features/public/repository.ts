import type { Knex } from 'knex'

/** The public pages' one query: SQL only. */
export const publicRepository = {
  /** `SELECT 1`: whether the database answers (the `/health` check). */
  async ping(db: Knex): Promise<void> {
    await db.raw('SELECT 1')
  },
}
