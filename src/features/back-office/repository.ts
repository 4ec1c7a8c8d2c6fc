import type { Knex } from 'knex'
import type pg from 'pg'
import type { RowFault } from '../../domain/personRow'

/** SQL of the back office. None of it reads a health table. */

/** The staging table's columns, in COPY order: the file's line, the id a new person would get, then the person. */
export const STAGING_COLUMNS = [
  'line',
  'id',
  'nir',
  'last_name',
  'first_names',
  'sex',
  'birth_date',
  'birth_place',
  'address_line1',
  'address_line2',
  'postcode',
  'city',
  'email',
  'mobile',
] as const
const PERSON_COLUMNS = STAGING_COLUMNS.filter((c) => c !== 'line' && c !== 'id')

/**
 * A temporary table for one batch (no WAL), created in the batch's transaction and dropped at its
 * end: nothing of it outlives the transaction (a pooler in transaction mode may give the next one
 * another server connection).
 */
export const CREATE_STAGING = `CREATE TEMP TABLE person_import_staging (line integer, id uuid, nir varchar(15), last_name varchar(100), first_names varchar(150), sex varchar(1), birth_date date, birth_place varchar(100), address_line1 varchar(150), address_line2 varchar(150), postcode varchar(10), city varchar(100), email varchar(254), mobile varchar(20)) ON COMMIT DROP`

export interface ImportRow {
  id: number
  operator_account_id: string | null
  source: string
  filename: string | null
  status: string
  rows_total: number
  rows_ok: number
  rows_bad: number
  inserted: number
  updated: number
  started_at: Date
  finished_at: Date | null
}

export const importsRepository = {
  async start(db: Knex, r: { operatorAccountId: string | null; source: string; filename: string | null }): Promise<number> {
    const [row] = await db('person_imports')
      .insert({ operator_account_id: r.operatorAccountId, source: r.source, filename: r.filename, status: 'running' })
      .returning<{ id: string }[]>('id')
    return Number(row.id)
  },

  /**
   * Staging → registry, one set-based statement. Within one batch the last line for a NIR wins (the
   * batches are merged one after the other, so across the file too): when the caller saw the same NIR
   * twice in the batch the lines are sorted to keep the last one, otherwise there is nothing to sort;
   * a new person gets the id made for it in Node (`groupedUuid`: the ids of a few hundred lines share
   * their first 48 bits, so the primary key and `spaces` take them in a few pages instead of one
   * random page per row) and a space in `not_notified` (the campaign notifies
   * it; the person was created by this very statement, so the space cannot exist yet: a plain
   * insert). A person whose line changes nothing is left as it is (a re-import of the same file
   * writes nothing). Returns how many persons were created and updated.
   */
  async merge(conn: pg.Client, opts: { duplicates: boolean }): Promise<{ inserted: number; updated: number }> {
    const cols = PERSON_COLUMNS.join(', ')
    const changed = PERSON_COLUMNS.filter((c) => c !== 'nir')
    const set = changed.map((c) => `${c} = EXCLUDED.${c}`).join(', ')
    const { rows } = await conn.query<{ inserted: number; updated: number; spaces: number }>(`
      WITH src AS (${opts.duplicates ? `SELECT DISTINCT ON (nir) id, ${cols} FROM person_import_staging ORDER BY nir, line DESC` : `SELECT id, ${cols} FROM person_import_staging`}),
      up AS (
        INSERT INTO insured_persons (id, ${cols}) SELECT id, ${cols} FROM src
        ON CONFLICT (nir) DO UPDATE SET ${set}, updated_at = now()
        WHERE (${changed.map((c) => `insured_persons.${c}`).join(', ')}) IS DISTINCT FROM (${changed.map((c) => `EXCLUDED.${c}`).join(', ')})
        RETURNING id, (xmax = 0) AS inserted
      ),
      sp AS (INSERT INTO spaces (person_id, state) SELECT id, 'not_notified' FROM up WHERE inserted RETURNING 1)
      SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated, (SELECT count(*) FROM sp)::int AS spaces FROM up`)
    return { inserted: rows[0].inserted, updated: rows[0].updated }
  },

  async saveFaults(conn: pg.Client, importId: number, lines: { line: number; faults: RowFault[] }[]): Promise<void> {
    const flat = lines.flatMap((l) => l.faults.map((f) => ({ line: l.line, column: f.column, message: f.message })))
    if (!flat.length) return
    await conn.query(
      `INSERT INTO person_import_errors (import_id, line, "column", message) SELECT $1, l, c, m FROM unnest($2::int[], $3::text[], $4::text[]) AS f(l, c, m)`,
      [importId, flat.map((f) => f.line), flat.map((f) => f.column), flat.map((f) => f.message)],
    )
  },

  async progress(
    conn: pg.Client,
    id: number,
    c: { rowsTotal: number; rowsOk: number; rowsBad: number; inserted: number; updated: number },
  ): Promise<void> {
    await conn.query('UPDATE person_imports SET rows_total = $2, rows_ok = $3, rows_bad = $4, inserted = $5, updated = $6 WHERE id = $1', [
      id,
      c.rowsTotal,
      c.rowsOk,
      c.rowsBad,
      c.inserted,
      c.updated,
    ])
  },

  async finish(
    db: Knex | Knex.Transaction,
    id: number,
    status: string,
    c: { rowsTotal: number; rowsOk: number; rowsBad: number; inserted: number; updated: number },
  ): Promise<void> {
    await db('person_imports').where({ id }).update({
      status,
      rows_total: c.rowsTotal,
      rows_ok: c.rowsOk,
      rows_bad: c.rowsBad,
      inserted: c.inserted,
      updated: c.updated,
      finished_at: db.fn.now(),
    })
  },

  find: (db: Knex, id: number): Promise<ImportRow | undefined> => db('person_imports').where({ id }).first(),
  recent: (db: Knex, limit: number): Promise<(ImportRow & { operator_name: string | null })[]> =>
    db('person_imports as i')
      .leftJoin('accounts as a', 'a.id', 'i.operator_account_id')
      .select('i.*', 'a.display_name as operator_name')
      .orderBy('i.id', 'desc')
      .limit(limit),
  streamFaults: (db: Knex, id: number) =>
    db('person_import_errors')
      .where({ import_id: id })
      .orderBy('line')
      .select<{ line: number; column: string; message: string }[]>('line', 'column', 'message')
      .stream(),
}

/** Counts by state, from the summary table (refreshed by the figures job). */
export const figuresRepository = {
  async refresh(trx: Knex.Transaction, since: string): Promise<void> {
    await trx.raw('SET LOCAL statement_timeout = 0')
    await trx('figures_states').del()
    await trx.raw(`INSERT INTO figures_states (state, count) SELECT state, count(*) FROM spaces GROUP BY state`)
    await trx('figures_daily').where('day', '>=', since).del()
    await trx.raw(
      `INSERT INTO figures_daily (day, activations, oppositions, auto_created, codes_email, codes_post)
       SELECT day, sum(a), sum(o), sum(ac), sum(ce), sum(cp) FROM (
         SELECT activated_at::date AS day, 1 AS a, 0 AS o, 0 AS ac, 0 AS ce, 0 AS cp FROM spaces WHERE activated_at >= ?::date
         UNION ALL SELECT opposed_at::date, 0, 1, 0, 0, 0 FROM spaces WHERE opposed_at >= ?::date
         UNION ALL SELECT auto_created_at::date, 0, 0, 1, 0, 0 FROM spaces WHERE auto_created_at >= ?::date
         UNION ALL SELECT created_at::date, 0, 0, 0, (channel = 'email')::int, (channel = 'post')::int FROM provisional_codes WHERE created_at >= ?::date
       ) x GROUP BY day`,
      [since, since, since, since],
    )
  },
  states: (db: Knex): Promise<{ state: string; count: number }[]> => db('figures_states').select('state', 'count'),
  daily: (
    db: Knex,
    since: string,
  ): Promise<{ day: string; activations: number; oppositions: number; auto_created: number; codes_email: number; codes_post: number }[]> =>
    db('figures_daily').where('day', '>=', since).orderBy('day'),
  lastRefresh: (db: Knex): Promise<{ refreshed_at: Date; duration_ms: number } | undefined> =>
    db('figures_refreshes').orderBy('id', 'desc').first(),
  saveRefresh: (trx: Knex.Transaction, ms: number) => trx('figures_refreshes').insert({ duration_ms: ms }),
}
