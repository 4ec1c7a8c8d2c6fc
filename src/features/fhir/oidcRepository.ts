import type { Knex } from 'knex'

/** A row of `oidc_payloads`: what oidc-provider stores for one (model, id). */
export interface OidcPayloadRow {
  model: string
  id: string
  payload: string
  grant_id: string | null
  uid: string | null
  user_code: string | null
  expires_at: Date | null
}

/** The live rows only: no expiry, or an expiry still to come. */
const live = (db: Knex, q: Knex.QueryBuilder) => q.where((w) => void w.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))

/** oidc-provider's storage (`oidc_payloads`, one table for every model): SQL only. */
export const oidcRepository = {
  async upsert(db: Knex, row: OidcPayloadRow): Promise<void> {
    await db('oidc_payloads').insert(row).onConflict(['model', 'id']).merge()
  },

  find(db: Knex, model: string, id: string): Promise<{ payload: Record<string, unknown>; consumed_at: Date | null } | undefined> {
    return live(db, db('oidc_payloads').where({ model, id })).first('payload', 'consumed_at')
  },

  /** The id of the live payload of this model with this `uid` or `user_code`. */
  findId(db: Knex, model: string, by: { uid: string } | { user_code: string }): Promise<{ id: string } | undefined> {
    return live(db, db('oidc_payloads').where({ model, ...by })).first('id')
  },

  async consume(db: Knex, model: string, id: string): Promise<void> {
    await db('oidc_payloads').where({ model, id }).update({ consumed_at: db.fn.now() })
  },

  async destroy(db: Knex, model: string, id: string): Promise<void> {
    await db('oidc_payloads').where({ model, id }).del()
  },

  async destroyGrant(db: Knex, grantId: string): Promise<void> {
    await db('oidc_payloads').where({ grant_id: grantId }).del()
  },
}
