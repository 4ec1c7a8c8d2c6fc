import type { Knex } from 'knex'
import { ARCHIVE_YEARS, DELETION_MONTHS } from '../../domain/lifecycle'

/** A column of another table that refers to a person. */
export interface PersonReference {
  table: string
  column: string
  /** 'n': ON DELETE SET NULL (the row belongs to someone else: the reference is cleared). */
  onDelete: string
}

/** The spaces due on a Paris day (the two `?`), as SQL conditions on `s`: the same rule as canReopen (lifecycle.ts). */
const DUE = `s.state = 'closed' AND s.data_deleted_at IS NULL AND (
    (s.deletion_requested_at IS NOT NULL AND ((s.deletion_requested_at AT TIME ZONE 'Europe/Paris')::date + interval '${DELETION_MONTHS} months')::date <= ?::date)
    OR (s.deletion_requested_at IS NULL AND coalesce(s.archive_until, ((s.closed_at AT TIME ZONE 'Europe/Paris')::date + interval '${ARCHIVE_YEARS} years')::date) < ?::date))`

/** All SQL of the daily deletion of closed spaces' data (spaces/deletion.ts has the use case). */
export const deletionRepository = {
  /** Every single-column foreign key to `insured_persons`, read from the catalogue. */
  async personReferences(db: Knex): Promise<PersonReference[]> {
    const { rows } = await db.raw<{ rows: PersonReference[] }>(
      `SELECT c.conrelid::regclass::text AS "table", a.attname AS "column", c.confdeltype AS "onDelete"
         FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.confrelid = 'insured_persons'::regclass AND array_length(c.conkey, 1) = 1
        ORDER BY 1, 2`,
    )
    return rows
  },

  /** A batch deletes a lot: no statement time limit for this transaction. */
  async withoutStatementTimeout(trx: Knex.Transaction): Promise<void> {
    await trx.raw('SET LOCAL statement_timeout = 0')
  },

  /** Up to `limit` spaces due on `today`, locked (skipping those another run holds); `asked`: deletion requested. */
  async lockDueSpaces(trx: Knex.Transaction, today: string, limit: number): Promise<{ person_id: string; asked: boolean }[]> {
    const { rows } = await trx.raw<{ rows: { person_id: string; asked: boolean }[] }>(
      `SELECT s.person_id, s.deletion_requested_at IS NOT NULL AS asked FROM spaces s WHERE ${DUE} ORDER BY s.person_id LIMIT ? FOR UPDATE SKIP LOCKED`,
      [today, today, limit],
    )
    return rows
  },

  /** Deletes the persons' rows of a table, or clears the reference when the row is someone else's (ON DELETE SET NULL). */
  async deleteReferences(trx: Knex.Transaction, ref: PersonReference, personIds: string[]): Promise<void> {
    if (ref.onDelete === 'n')
      await trx.raw(`UPDATE ${ref.table} SET "${ref.column}" = NULL WHERE "${ref.column}" = ANY(?::uuid[])`, [personIds])
    else await trx.raw(`DELETE FROM ${ref.table} WHERE "${ref.column}" = ANY(?::uuid[])`, [personIds])
  },

  /** The accounts of the persons: their sessions, one-time codes and tokens go with them (ON DELETE CASCADE). */
  async deleteAccounts(trx: Knex.Transaction, personIds: string[]): Promise<void> {
    await trx.raw('DELETE FROM accounts WHERE person_id = ANY(?::uuid[])', [personIds])
  },

  async markDataDeleted(trx: Knex.Transaction, personIds: string[]): Promise<void> {
    await trx.raw('UPDATE spaces SET data_deleted_at = now(), state_changed_at = now() WHERE person_id = ANY(?::uuid[])', [personIds])
  },
}
