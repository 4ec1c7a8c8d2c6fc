import type { Knex } from 'knex'

/** The postal address kept with a letter, as it was when the letter was queued. */
export interface LetterAddress {
  name: string
  line1: string | null
  line2: string | null
  postcode: string | null
  city: string | null
}

export interface LetterRow {
  id: number
  kind: string
  address: LetterAddress
  sealed_payload: Buffer | null
  created_at: Date
}

export interface LetterBatchRow {
  id: number
  operator_account_id: string | null
  letters: number
  created_at: Date
  downloaded_at: Date | null
  sent_at: Date | null
}

/**
 * All SQL of the letters for the print house (SPEC §12): the features that send a letter queue it
 * here (provisional code, opposition receipt); the back office gathers, prints and marks them sent.
 */
export const lettersRepository = {
  /** Queues a letter; its payload is sealed by the caller (wiped once the letter is sent). */
  async queue(trx: Knex.Transaction, personId: string, kind: string, address: LetterAddress, sealedPayload: Buffer): Promise<void> {
    await trx('letters').insert({ person_id: personId, kind, address: JSON.stringify(address), sealed_payload: sealedPayload })
  },

  /** How many letters of each kind wait for a batch. */
  waitingByKind: (db: Knex): Promise<{ kind: string; count: number }[]> =>
    db('letters')
      .whereNull('printed_at')
      .whereNull('batch_id')
      .select('kind')
      .count<{ kind: string; count: number }[]>('* as count')
      .groupBy('kind'),

  /** The latest batches, with the name of the operator who made each. */
  latestBatches: (db: Knex, limit = 10): Promise<(LetterBatchRow & { operator_name: string | null })[]> =>
    db('letter_batches as b')
      .leftJoin('accounts as a', 'a.id', 'b.operator_account_id')
      .select('b.*', 'a.display_name as operator_name')
      .orderBy('b.id', 'desc')
      .limit(limit),

  /** A new, empty batch; its id. */
  async insertBatch(trx: Knex.Transaction, operatorAccountId: string): Promise<number> {
    const [b] = await trx('letter_batches').insert({ operator_account_id: operatorAccountId, letters: 0 }).returning<{ id: string }[]>('id')
    return Number(b.id)
  },

  /** Puts up to `max` waiting letters (the oldest first) into the batch; how many. Letters locked elsewhere are skipped. */
  async fillBatch(trx: Knex.Transaction, batchId: number, max: number): Promise<number> {
    const r = await trx.raw<{ rowCount: number }>(
      `UPDATE letters SET batch_id = ? WHERE id IN (SELECT id FROM letters WHERE printed_at IS NULL AND batch_id IS NULL ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)`,
      [batchId, max],
    )
    return r.rowCount
  },

  async setBatchSize(trx: Knex.Transaction, batchId: number, letters: number): Promise<void> {
    await trx('letter_batches').where({ id: batchId }).update({ letters })
  },

  findBatch: (db: Knex, id: number): Promise<LetterBatchRow | undefined> => db('letter_batches').where({ id }).first(),

  findBatchForUpdate: (trx: Knex.Transaction, id: number): Promise<LetterBatchRow | undefined> =>
    trx('letter_batches').where({ id }).forUpdate().first(),

  async markBatchDownloaded(trx: Knex.Transaction, id: number): Promise<void> {
    await trx('letter_batches').where({ id }).update({ downloaded_at: trx.fn.now() })
  },

  /** The batch's letters in order, streamed (a batch may hold thousands). */
  streamBatch: (db: Knex, id: number): AsyncIterable<LetterRow> =>
    db('letters')
      .where({ batch_id: id })
      .orderBy('id')
      .select<LetterRow[]>('id', 'kind', 'address', 'sealed_payload', 'created_at')
      .stream(),

  /** The batch went to the print house: its letters printed, their sealed content wiped. */
  async markBatchSent(trx: Knex.Transaction, id: number): Promise<void> {
    await trx('letters').where({ batch_id: id }).update({ printed_at: trx.fn.now(), sealed_payload: null })
    await trx('letter_batches').where({ id }).update({ sent_at: trx.fn.now() })
  },
}
