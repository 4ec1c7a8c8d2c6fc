import crypto from 'node:crypto'
import type { Knex } from 'knex'
import pg from 'pg'
import { errorCode } from '../errors'
import { isPooled, poolOf } from './database'

/*
 * The round-trip engine: named prepared statements, reads gathered into one statement, transactions
 * sent in one or two round trips (several statements per round trip, values as literals), guards,
 * grouped commits. Its ONE interface is `./roundTrips.ts`, which only repositories import
 * (tests/unit/roundTripsImports.test.ts); nothing else imports this file but its own tests.
 * Why it exists: docs/decisions/0002-grouped-round-trips.md.
 */

/**
 * A hot read statement run as a named prepared statement on a connection of knex's pool (same pool,
 * timeouts and session settings). PostgreSQL then parses it once per connection and can reuse its plan:
 * for the statements run on every signed-in page, planning cost more than executing (EXPLAIN: ~0,5 ms
 * against ~0,2 ms). `text` uses $1…$n; `name` must be unique per text. Behind a transaction pooler
 * (`createDb(…, { pooler: true })`) an unnamed statement: the next call may run on another server
 * connection, which would not know the name (PgBouncer before 1.21).
 */
export async function preparedQuery<T extends pg.QueryResultRow>(db: Knex, name: string, text: string, values: unknown[]): Promise<T[]> {
  // Its own pool connection: never inside a transaction (which has one connection of its own).
  if ('isTransaction' in db && db.isTransaction) throw new Error('preparedQuery: pas dans une transaction')
  const client = poolOf(db)
  const conn = await client.acquireConnection()
  try {
    const result = isPooled(db) ? await conn.query<T>(text, values) : await conn.query<T>({ name, text, values })
    return result.rows
  } finally {
    await client.releaseConnection(conn)
  }
}

/** A string as a PostgreSQL literal (quotes doubled, backslashes escaped: safe in any statement). */
export const sqlLiteral = (value: string): string => pg.escapeLiteral(value)

/**
 * `$n` SQL with its parameters replaced by literals, for several statements sent in one
 * simple-protocol round trip (`BEGIN; SELECT …` or `…; COMMIT`), which parameters cannot do. Strings
 * go through `sqlLiteral`; only strings, finite numbers, booleans, null and dates are accepted
 * (anything else throws: never a guessed conversion).
 */
function inlined(sql: string, bindings: readonly unknown[]): string {
  // $n outside quoted literals and identifiers only.
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g, (m, n: string | undefined) =>
    n === undefined ? m : literalOf(bindings[Number(n) - 1]),
  )
}

function literalOf(v: unknown): string {
  if (v === null || v === undefined) return 'NULL'
  if (typeof v === 'string') return sqlLiteral(v)
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE'
  if (v instanceof Date) return `${sqlLiteral(v.toISOString())}::timestamptz`
  throw new Error(`valeur SQL non prise en charge : ${typeof v}`)
}

/** Statements prepared on each pooled connection (by the name derived from their text). */
const preparedOn = new WeakMap<pg.Client, Set<string>>()
const MAX_PREPARED = 200

/**
 * A knex statement compiled once (`$n` SQL, its values, the name it is prepared under), for a caller
 * that sends the same statement again and again: knex builds and compiles a query anew on every call,
 * which costs more processor time than PostgreSQL's own work for a small indexed read.
 */
export interface CompiledStatement {
  readonly sql: string
  readonly bindings: readonly unknown[]
  readonly name: string
}

export function compileStatement(q: Knex.QueryBuilder | Knex.Raw): CompiledStatement {
  const { sql, bindings } = q.toSQL().toNative()
  return { sql, bindings, name: `${PREPARED_PREFIX}${crypto.createHash('sha1').update(sql).digest('hex').slice(0, 24)}` }
}

const isCompiled = (q: Knex.QueryBuilder | Knex.Raw | CompiledStatement): q is CompiledStatement =>
  'name' in q && typeof q.name === 'string' && 'bindings' in q

/**
 * A knex statement as `EXECUTE name(literals…)` of a statement prepared once per connection (its
 * `PREPARE` put in front the first time): PostgreSQL plans it once per connection, not on every
 * call, and it still fits in a multi-statement round trip. `done()` once the round trip succeeded
 * (the statement is then known to exist); after a failure, `resyncPrepared`. `pooled`: behind a
 * transaction pooler, where a prepared statement would be on a server connection that the next round
 * trip may not get: the statement with its values as literals (`statementText`), planned every time.
 */
export function preparedStatement(
  conn: pg.Client,
  q: Knex.QueryBuilder | Knex.Raw | CompiledStatement,
  pooled = false,
): { text: string; done: () => void } {
  if (pooled) return { text: statementText(q), done: () => undefined }
  const { sql, bindings, name } = isCompiled(q) ? q : compileStatement(q)
  let known = preparedOn.get(conn)
  if (!known) preparedOn.set(conn, (known = new Set()))
  const values = bindings.length ? `(${bindings.map(literalOf).join(', ')})` : ''
  const execute = `EXECUTE ${name}${values}`
  if (known.has(name)) return { text: execute, done: () => undefined }
  if (known.size >= MAX_PREPARED) return { text: inlined(sql, bindings), done: () => undefined }
  return { text: `PREPARE ${name} AS ${sql}; ${execute}`, done: () => known.add(name) }
}

const PREPARED_PREFIX = 'inl_'

/** A statement as SQL text with its values as literals, for a multi-statement round trip (no `PREPARE`). */
export function statementText(q: Knex.QueryBuilder | Knex.Raw | CompiledStatement): string {
  const { sql, bindings } = isCompiled(q) ? q : q.toSQL().toNative()
  return inlined(sql, bindings)
}

/**
 * After a failed round trip, which of our statements exist on `conn` is not known: asks PostgreSQL
 * (a PREPARE survives a rollback; node-pg's own named statements are left alone).
 */
export async function resyncPrepared(conn: pg.Client): Promise<void> {
  preparedOn.delete(conn)
  const r = await conn.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE starts_with(name, '${PREPARED_PREFIX}')`)
  preparedOn.set(conn, new Set(r.rows.map((x) => x.name)))
}

/**
 * A transaction in TWO round trips: (1) `BEGIN; <first>` (a prepared statement, or none); `then`
 * gets its first row and decides in Node — undefined rolls back (nothing else is sent) — or gives
 * (2) `<query>; <last>; COMMIT`, sent together (`last`: SQL text whose values are already literals,
 * e.g. an activity row). Any error rolls back and is rethrown. Several statements per round trip need
 * the simple protocol, without parameters: statements are prepared once per connection and executed
 * with literals (`preparedStatement`). `rows`: the result of `query` (empty without one).
 */
export async function transactionInTwoRoundTrips<R>(
  db: Knex,
  first: Knex.QueryBuilder | Knex.Raw | undefined,
  then: (row: Record<string, unknown> | undefined) => Promise<{ query?: Knex.QueryBuilder | Knex.Raw; last: string } | undefined>,
): Promise<{ committed: true; rows: R[] } | { committed: false }> {
  const client = poolOf(db)
  const pooled = isPooled(db)
  const conn = await client.acquireConnection()
  let open = false
  try {
    open = true
    const p1 = first ? preparedStatement(conn, first, pooled) : undefined
    // node-pg types query() as one result: a string of several statements gives one result per statement.
    const r1 = (await conn.query(p1 ? `BEGIN; ${p1.text}` : 'BEGIN')) as unknown as pg.QueryResult<Record<string, unknown>>[]
    p1?.done()
    const next = await then(p1 ? r1[r1.length - 1].rows[0] : undefined)
    if (!next) {
      await conn.query('ROLLBACK')
      open = false
      return { committed: false }
    }
    const p2 = next.query ? preparedStatement(conn, next.query, pooled) : undefined
    // node-pg: one result per statement (see above); R is the row type of the caller's query.
    const r2 = (await conn.query(p2 ? `${p2.text}; ${next.last}; COMMIT` : `${next.last}; COMMIT`)) as unknown as pg.QueryResult[]
    p2?.done()
    open = false
    // The query's rows (node-pg types them any; R is the caller's): the result just before `last`'s and COMMIT's.
    return { committed: true, rows: p2 ? (r2[r2.length - 3].rows as R[]) : [] }
  } catch (err) {
    if (open) await conn.query('ROLLBACK').catch(() => undefined)
    if (!pooled) await resyncPrepared(conn).catch(() => undefined)
    throw err
  } finally {
    await client.releaseConnection(conn)
  }
}

/** The SQLSTATE a guard raises when what a decision was made on has changed (`facts_unchanged`). */
export const GUARD_FAILED = 'MS001'

type Statement = Knex.QueryBuilder | Knex.Raw | CompiledStatement
type OneRoundTripResult<R> = { committed: true; rows: R[] } | { committed: false }
type GuardedRead = { guard: Statement; query: Statement; last: string }

/**
 * The text of ONE round trip for guarded reads: `BEGIN; <guard₁>; <query₁>; <guard₂>; <query₂>; …;
 * <last₁>; <last₂>; …; COMMIT`, every `last` after every query, so that a lock one takes (a history
 * chain's) is held only for the last statements and the commit, not while the queries run. `at[i]`:
 * the index of read i's query result; `results`: how many results PostgreSQL returns (each `last`
 * is one statement). Statements are marked prepared at once (the same one twice is prepared once);
 * after a failure the caller runs `resyncPrepared`.
 */
function guardedRoundTrip(conn: pg.Client, reads: GuardedRead[], pooled: boolean): { text: string; at: number[]; results: number } {
  const parts = ['BEGIN']
  const at: number[] = []
  let results = 1
  for (const r of reads) {
    for (const st of [r.guard, r.query]) {
      const p = preparedStatement(conn, st, pooled)
      p.done()
      parts.push(p.text)
      results += p.text.startsWith('PREPARE ') ? 2 : 1
    }
    at.push(results - 1)
  }
  for (const r of reads) parts.push(r.last)
  parts.push('COMMIT')
  return { text: parts.join('; '), at, results: results + reads.length + 1 }
}

/**
 * A transaction in ONE round trip: `BEGIN; <guard>; <query>; <last>; COMMIT`, for a caller that
 * already decided in Node on data read earlier. `guard` reads them again and raises `GUARD_FAILED`
 * when they changed: PostgreSQL skips the rest of the round trip, everything is rolled back, nothing
 * was read or written, and the answer is `{ committed: false }` (the caller decides again on fresh
 * data). Any other error rolls back and is rethrown. Statements are prepared once per connection, as
 * in `transactionInTwoRoundTrips`; `rows`: the result of `query`.
 */
export async function transactionInOneRoundTrip<R>(
  db: Knex,
  guard: Statement,
  query: Statement,
  last: string,
): Promise<OneRoundTripResult<R>> {
  const client = poolOf(db)
  const pooled = isPooled(db)
  const conn = await client.acquireConnection()
  try {
    const trip = guardedRoundTrip(conn, [{ guard, query, last }], pooled)
    // node-pg types query() as one result: a string of several statements gives one result per statement,
    const r = (await conn.query(trip.text)) as unknown as pg.QueryResult[]
    // and node-pg types rows as any: R is the row type of the caller's query.
    return { committed: true, rows: r[trip.at[0]].rows as R[] }
  } catch (err) {
    // The error came after BEGIN (the transaction is open, failed) or before it (ROLLBACK only warns).
    await conn.query('ROLLBACK').catch(() => undefined)
    if (!pooled) await resyncPrepared(conn).catch(() => undefined)
    if (errorCode(err) === GUARD_FAILED) return { committed: false }
    throw err
  } finally {
    await client.releaseConnection(conn)
  }
}

/**
 * `transactionInOneRoundTrip` for callers that come together: the calls made during one turn of the
 * event loop (at most `max`) share ONE transaction, one round trip and one commit —
 * `BEGIN; <guard₁>; <query₁>; <guard₂>; <query₂>; …; <last₁>; <last₂>; …; COMMIT` — so concurrent reads that each record a
 * row of history (FHIR searches) wait for one WAL flush, not one each, and take their history
 * chain's lock once. Each call's rows and record are in that transaction, as they would be in a
 * transaction of its own. If anything in it fails (a guard, a statement), nothing of it is kept and
 * every call runs again alone (`transactionInOneRoundTrip`), so each gets its own outcome: its rows,
 * `{ committed: false }` for its changed guard, or its own error. `last`: one statement.
 */
export function groupedOneRoundTrips(
  db: Knex,
  max = 16,
): <R>(guard: Statement, query: Statement, last: string) => Promise<OneRoundTripResult<R>> {
  type Call = GuardedRead & { resolve: (r: OneRoundTripResult<unknown>) => void; reject: (e: unknown) => void }
  let pending: Call[] = []
  const alone = (c: Call) => transactionInOneRoundTrip(db, c.guard, c.query, c.last).then(c.resolve, c.reject)
  const together = async (calls: Call[]) => {
    const client = poolOf(db)
    let conn: pg.Client
    try {
      conn = await client.acquireConnection()
    } catch (err) {
      calls.forEach((c) => c.reject(err))
      return
    }
    let trip: ReturnType<typeof guardedRoundTrip> | undefined
    let r: pg.QueryResult[] | undefined
    try {
      trip = guardedRoundTrip(conn, calls, isPooled(db))
      // node-pg types query() as one result: a string of several statements gives one result per statement.
      r = (await conn.query(trip.text)) as unknown as pg.QueryResult[]
    } catch {
      await conn.query('ROLLBACK').catch(() => undefined)
      if (!isPooled(db)) await resyncPrepared(conn).catch(() => undefined)
    } finally {
      await client.releaseConnection(conn)
    }
    if (!r || !trip) {
      // Each alone, settling its own caller (`alone` never rejects).
      for (const c of calls) void alone(c)
      return
    }
    // Committed: never replayed. A count that does not match (a `last` of several statements) is a
    // programming error, reported to every caller rather than guessed.
    if (r.length !== trip.results) {
      const err = new Error(`groupedOneRoundTrips : ${r.length} résultats pour ${trip.results} instructions`)
      return calls.forEach((c) => c.reject(err))
    }
    calls.forEach((c, i) => c.resolve({ committed: true, rows: r[trip.at[i]].rows }))
  }
  const flush = () => {
    const all = pending
    pending = []
    for (let i = 0; i < all.length; i += max) {
      const group = all.slice(i, i + max)
      void (group.length === 1 ? alone(group[0]) : together(group))
    }
  }
  return <R>(guard: Statement, query: Statement, last: string) =>
    new Promise<OneRoundTripResult<R>>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush)
      // The queue holds the calls of every R; each one is resolved with the rows of its own query (not expressible in TS).
      pending.push({ guard, query, last, resolve: resolve as (r: OneRoundTripResult<unknown>) => void, reject })
    })
}

/**
 * Gathers the keys asked for during one turn of the event loop and reads them with ONE statement
 * (`read` gets the keys in order and returns one result per key, in the same order): under load the
 * requests that arrive together (a pipelined batch of Redis session replies, for one) share one round
 * trip and one pool connection instead of one each. Nothing is cached or shared between keys, even
 * equal ones: every caller gets its own row of a statement run after it asked. At most `max` keys per
 * statement.
 */
export function batchedReader<K, R>(read: (keys: K[]) => Promise<R[]>, max = 64): (key: K) => Promise<R> {
  let pending: { key: K; resolve: (r: R) => void; reject: (e: unknown) => void }[] = []
  const flush = () => {
    const all = pending
    pending = []
    for (let i = 0; i < all.length; i += max) {
      const batch = all.slice(i, i + max)
      // Through a promise even if `read` throws at once: every caller is answered, the process never crashes.
      Promise.resolve(batch.map((p) => p.key))
        .then(read)
        .then((results) => {
          if (results.length !== batch.length) throw new Error('batchedReader : un résultat par clé attendu')
          batch.forEach((p, j) => p.resolve(results[j]))
        })
        .catch((err: unknown) => batch.forEach((p) => p.reject(err)))
    }
  }
  return (key) =>
    new Promise<R>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush)
      pending.push({ key, resolve, reject })
    })
}

/** A decision made in Node on a row of facts: `allow` says whether the read goes on. */
export interface Decision {
  readonly allow: boolean
}

/** A read decided in Node on a row of facts read in the same transaction, and recorded by `last` (see `decidedReads`). */
export interface DecidedRead<D extends Decision> {
  /** Whose facts these are: an allowed read's facts are remembered under this key (e.g. a client and a person). */
  key: string
  /** The statement that reads the facts: one row, or none (`decide` then gets undefined); undefined: nothing to read. */
  facts: () => Knex.QueryBuilder | Knex.Raw | undefined
  /**
   * The statement that reads the same facts again and raises `GUARD_FAILED` unless they are still
   * those of `row` (undefined: no later read may decide on `row`).
   */
  guard: (row: Record<string, unknown>) => Knex.QueryBuilder | Knex.Raw | undefined
  /** Decides on the facts' row; an error thrown on fresh facts is the caller's answer. */
  decide: (row: Record<string, unknown> | undefined) => Promise<D>
  /** The read, unsent (undefined: none). */
  query: () => Knex.QueryBuilder | Knex.Raw | undefined
  /** Given when the read depends on nothing but this key (no clock): it is then compiled once per remembered facts. */
  queryKey?: string
  /** ONE statement sent last, just before COMMIT, as SQL text whose values are literals (`sqlLiteral`): e.g. an activity row. */
  last: () => string
}

/**
 * Reads decided in Node on facts read in the same transaction, each committed with its `last`
 * statement. `read(r)` answers the decision and, when it allows, the rows of `r.query`:
 * - the usual way, in TWO round trips (`transactionInTwoRoundTrips`): (1) `BEGIN; <facts>` — `decide`
 *   decides on them before anything is read; a refusal rolls back and nothing is read or written —
 *   (2) `<query>; <last>; COMMIT`: `last` (an activity row, whose chain lock is then held only inside
 *   PostgreSQL, never across a turn of Node's event loop) is committed in the same round trip;
 * - when a read under the same key was allowed before, in ONE round trip (`groupedOneRoundTrips`):
 *   `decide` decides on the facts that read read, then `BEGIN; <guard>; <query>; <last>; COMMIT`, where
 *   the guard reads the facts again and stops everything (nothing read, nothing written) if they
 *   differ in any way; then the usual way, on fresh facts. A refusal is never decided on remembered
 *   facts: it too goes the usual way. Reads decided during the same turn of the event loop share that
 *   transaction (one commit for all).
 * Remembered: at most `remember` keys, each with its guard and at most `queriesPerKey` compiled
 * queries (knex builds and compiles a statement anew on each call, which costs more than
 * PostgreSQL's part of a small indexed read); all forgotten with the facts.
 */
export function decidedReads(
  db: Knex,
  { remember = 10_000, queriesPerKey = 32, group = 16 }: { remember?: number; queriesPerKey?: number; group?: number } = {},
): <R, D extends Decision>(r: DecidedRead<D>) => Promise<{ decision: D; rows: R[] }> {
  const remembered = new Map<string, { row: Record<string, unknown>; guard: CompiledStatement; queries: Map<string, CompiledStatement> }>()
  const oneRoundTrip = groupedOneRoundTrips(db, group)
  return async <R, D extends Decision>(r: DecidedRead<D>): Promise<{ decision: D; rows: R[] }> => {
    const known = remembered.get(r.key)
    if (known) {
      let decision: D | undefined
      try {
        decision = await r.decide(known.row)
      } catch {
        // Never an answer decided on remembered facts: the usual way below reads them again.
      }
      let query = r.queryKey === undefined ? undefined : known.queries.get(r.queryKey)
      if (decision?.allow && !query) {
        const built = r.query()
        query = built && compileStatement(built)
        if (query && r.queryKey !== undefined && known.queries.size < queriesPerKey) known.queries.set(r.queryKey, query)
      }
      if (decision?.allow && query) {
        const done = await oneRoundTrip<R>(known.guard, query, r.last())
        if (done.committed) return { decision, rows: done.rows }
      }
      // Refused, changed, or nothing to read: the usual way decides on the facts as they are now.
      remembered.delete(r.key)
    }
    let decision: D | undefined
    let row: Record<string, unknown> | undefined
    const done = await transactionInTwoRoundTrips<R>(db, r.facts(), async (facts) => {
      row = facts
      decision = await r.decide(facts)
      return decision.allow ? { query: r.query(), last: r.last() } : undefined
    })
    if (!done.committed) return { decision: decision!, rows: [] }
    const guard = row && r.guard(row)
    if (row && guard) {
      if (remembered.size >= remember) remembered.delete(remembered.keys().next().value!)
      remembered.set(r.key, { row, guard: compileStatement(guard), queries: new Map() })
    }
    return { decision: decision!, rows: done.rows }
  }
}
