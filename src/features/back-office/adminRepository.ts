import type { Knex } from 'knex'

/** SQL of the back office's reference data: the access matrix and the log of its changes. No health table. */

export interface AdminChangeRow {
  id: string
  occurred_at: Date
  actor_name: string
  actor_organisation: string | null
  action: string
  object_id: string | null
  details: Record<string, unknown> | null
}

export const accessMatrixRepository = {
  all: (db: Knex | Knex.Transaction): Promise<{ profession: string; category: string; can_read: boolean }[]> =>
    db('access_matrix').select('profession', 'category', 'can_read').orderBy(['profession', 'category']),

  /** The profession's row, locked until the end of the transaction (two operators never lose a change). */
  lockProfession: (trx: Knex.Transaction, profession: string): Promise<{ category: string; can_read: boolean }[]> =>
    trx('access_matrix').where({ profession }).forUpdate().select('category', 'can_read'),

  async setProfession(trx: Knex.Transaction, profession: string, cells: { category: string; can_read: boolean }[]): Promise<void> {
    if (!cells.length) return
    await trx('access_matrix')
      .insert(cells.map((c) => ({ profession, category: c.category, can_read: c.can_read, updated_at: trx.fn.now() })))
      .onConflict(['profession', 'category'])
      .merge(['can_read', 'updated_at'])
  },
}

/** The back office's changes to reference data, read back from the activity log. */
export const adminLogRepository = {
  /** The last changes of one kind (partial index activity_back_office_admin). */
  changes: (db: Knex, actions: readonly string[], limit: number, objectId?: string): Promise<AdminChangeRow[]> => {
    const q = db('activity_log').whereIn('action', actions).orderBy('id', 'desc').limit(limit)
    if (objectId) q.where('object_id', objectId)
    return q.select('id', 'occurred_at', 'actor_name', 'actor_organisation', 'action', 'object_id', 'details')
  },
}
