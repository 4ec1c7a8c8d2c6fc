import type { Knex } from 'knex'

export interface ProvisionalCodeRow {
  id: number
  person_id: string
  code_hash: string
  channel: 'email' | 'post' | 'sms'
  created_at: Date
  expires_at: Date
  used_at: Date | null
  voided_at: Date | null
}

/** All SQL of provisional codes. Every function takes the connection or transaction it runs in. */
export const codesRepository = {
  /** Serialises code requests for one person until the transaction ends (two clicks at once). */
  async lockPerson(trx: Knex.Transaction, personId: string): Promise<void> {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 7))', [personId])
  },

  /** When the person's latest code was made (undefined when they never had one). */
  async lastIssuedAt(trx: Knex, personId: string): Promise<Date | undefined> {
    const last = await trx('provisional_codes')
      .where({ person_id: personId })
      .orderBy('created_at', 'desc')
      .first<{ created_at: Date } | undefined>('created_at')
    return last ? new Date(last.created_at) : undefined
  },

  /** Voids the person's codes still in force. */
  async voidActive(trx: Knex.Transaction, personId: string, at: Date): Promise<void> {
    await trx('provisional_codes').where({ person_id: personId }).whereNull('used_at').whereNull('voided_at').update({ voided_at: at })
  },

  async insert(
    trx: Knex.Transaction,
    row: { personId: string; codeHash: string; channel: 'email' | 'post' | 'sms'; createdAt: Date; expiresAt: Date },
  ): Promise<void> {
    await trx('provisional_codes').insert({
      person_id: row.personId,
      code_hash: row.codeHash,
      channel: row.channel,
      created_at: row.createdAt,
      expires_at: row.expiresAt,
    })
  },

  /** The person's latest codes (the newest first): the ones a typed code is compared with. */
  latestForPerson: (db: Knex, personId: string, limit = 5): Promise<ProvisionalCodeRow[]> =>
    db('provisional_codes').where({ person_id: personId }).orderBy('created_at', 'desc').limit(limit),

  /** The person's codes in force (not used, not voided, not expired), locked until the transaction ends. */
  activeForPersonForUpdate: (trx: Knex.Transaction, personId: string): Promise<ProvisionalCodeRow[]> =>
    trx('provisional_codes')
      .where({ person_id: personId })
      .whereNull('used_at')
      .whereNull('voided_at')
      .where('expires_at', '>', trx.fn.now())
      .forUpdate(),

  /** Marks a code used; with `onlyIfActive`, only if it is still in force. True when a row changed. */
  async markUsed(trx: Knex.Transaction, personId: string, id: number, onlyIfActive: boolean): Promise<boolean> {
    const q = trx('provisional_codes').where({ id, person_id: personId })
    if (onlyIfActive) q.whereNull('used_at').whereNull('voided_at').where('expires_at', '>', trx.fn.now())
    return (await q.update({ used_at: trx.fn.now() })) === 1
  },
}
