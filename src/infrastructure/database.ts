import crypto from 'node:crypto'
import path from 'node:path'
import knexFactory, { type Knex } from 'knex'
import pg from 'pg'
import { ROOT } from '../root'
import { ServiceUnavailableError } from '../errors'

// DATE columns come back as 'YYYY-MM-DD' strings, never as Dates shifted by the server's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v)
// bigint counts fit in a JS number for everything we count.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v))

export type Db = Knex

const runningTs = __filename.endsWith('.ts')

export const migrationConfig: Knex.MigratorConfig = {
  directory: path.join(ROOT, runningTs ? 'migrations' : 'dist/migrations'),
  loadExtensions: [runningTs ? '.ts' : '.js'],
  tableName: 'knex_migrations',
}

/**
 * The session settings every connection needs (30 s per statement, Paris time for dates). Sent in
 * the connection's start-up packet (`options`), never by `SET`: a `SET` would stay on a server
 * connection that a transaction pooler hands to someone else. Behind PgBouncer (`pooler`), which
 * does not pass `options` on (1.18), the database carries them itself: the migration
 * `20261207_1420_s_database_defaults` sets them with `ALTER DATABASE … SET` (checked at boot by
 * `checkSessionDefaults`).
 */
export const SESSION_SETTINGS = { statement_timeout: '30s', TimeZone: 'Europe/Paris' } as const

export interface PoolOptions {
  /** Behind a transaction pooler (PgBouncer): no statement prepared on a connection. */
  pooler?: boolean
  /** How long a caller waits for a free connection before a 503 (DATABASE_POOL_ACQUIRE_TIMEOUT_MS). */
  acquireTimeoutMs?: number
  /** How many callers may wait for a connection at once; the next one gets a 503 at once (DATABASE_POOL_QUEUE_MAX, 0: no limit). */
  queueMax?: number
}

/** The pool's waiting line is full: answered 503 at once (issue 20), never a wait that ends in a timeout anyway. */
export class PoolQueueFullError extends ServiceUnavailableError {
  constructor(waiting: number) {
    super(`Trop de demandes attendent une connexion à la base (${waiting})`)
    this.name = 'PoolQueueFullError'
  }
}

/**
 * The application's pool. Within a transaction everything goes through that transaction (`trx`): a
 * request that holds a connection and asks the pool for another one can wait for ever once every
 * connection is held that way (issue 20). `npm run test:pool-of-one` runs the suites with a pool of one
 * connection, where any such nesting fails at once.
 */
export function createDb(url: string, poolMax = 10, opts: PoolOptions = {}): Db {
  const options = opts.pooler
    ? undefined
    : Object.entries(SESSION_SETTINGS)
        .map(([k, v]) => `-c ${k}=${v}`)
        .join(' ')
  // A fault in the database, or a pool held too long, must become a 503 quickly, not a hung request.
  const acquireTimeoutMillis = opts.acquireTimeoutMs ?? 5000
  const db = knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'mon-espace-sante', ...(options ? { options } : {}) },
    pool: { min: 0, max: poolMax, acquireTimeoutMillis },
    acquireConnectionTimeout: acquireTimeoutMillis,
  })
  if (opts.pooler) pooledClients.add(db.client)
  const queueMax = opts.queueMax ?? 0
  if (queueMax > 0) {
    // tarn has no bound on its waiting line: checked here, for every acquisition outside a transaction
    // (a transaction's own client hands out its connection and never comes here).
    const client = db.client as { pool?: { numPendingAcquires(): number; numFree(): number }; acquireConnection(): Promise<unknown> }
    const acquire = client.acquireConnection.bind(client)
    client.acquireConnection = function () {
      const waiting = client.pool?.numPendingAcquires() ?? 0
      if (waiting >= queueMax && !client.pool?.numFree()) return Promise.reject(new PoolQueueFullError(waiting))
      return acquire()
    }
  }
  return db
}

/** The knex clients created for a transaction pooler: no statement prepared on a connection. */
const pooledClients = new WeakSet<object>()
const isPooled = (db: Knex) => pooledClients.has(db.client)

/**
 * A small pool of its own on the same database, for a job that must read while its transaction
 * streams a write (the data export: the documents are read while the ZIP is copied into the
 * transaction's connection). It never takes a connection of the application's pool while the job
 * holds one (issue 20). The caller destroys it when done.
 */
export function sideDb(db: Knex, max = 1): Db {
  return knexFactory({
    client: 'pg',
    connection: connectionOf(db) as Knex.PgConnectionConfig,
    pool: { min: 0, max, acquireTimeoutMillis: 30_000 },
  })
}

/** The connection settings of knex's pool, for a small pool of another library on the same database. */
export function connectionOf(db: Knex): pg.ClientConfig {
  return { ...((db as unknown as { client: { config: { connection: pg.ClientConfig } } }).client.config.connection ?? {}) }
}

/**
 * Behind a pooler, the session settings come from the database: refuses to start when they are not
 * there (a wrong time zone would shift dates silently), and says what to do.
 */
export async function checkSessionDefaults(db: Knex): Promise<void> {
  const { rows } = await db.raw("SELECT current_setting('TimeZone') AS tz, current_setting('statement_timeout') AS timeout")
  const { tz, timeout } = rows[0] as { tz: string; timeout: string }
  if (tz !== SESSION_SETTINGS.TimeZone || timeout === '0') {
    throw new Error(
      `derrière PgBouncer, la base doit porter ses réglages de session (trouvé : TimeZone=${tz}, statement_timeout=${timeout}) : ` +
        `lancez les migrations avec un rôle propriétaire de la base, ou exécutez ALTER DATABASE <base> SET timezone TO 'Europe/Paris' ` +
        `et ALTER DATABASE <base> SET statement_timeout TO '30s'`,
    )
  }
}

/**
 * Applies the pending migrations. Nothing pending: nothing else is done (not even knex's lock), so a
 * process connected as the application's role, which may not write the migration tables, starts on
 * an up-to-date database.
 */
export async function migrateLatest(db: Db): Promise<string[]> {
  const [, pending] = (await db.migrate.list(migrationConfig)) as [unknown[], unknown[]]
  if (!pending.length) return []
  const [, applied] = (await db.migrate.latest(migrationConfig)) as [number, string[]]
  return applied
}

export { startEmbeddedPostgres, type EmbeddedPostgres } from './embeddedPostgres'

/** knex's pool, for the few callers that need a raw node-pg connection of it (acquire, then release). */
export function poolOf(db: Knex): { acquireConnection(): Promise<pg.Client>; releaseConnection(c: pg.Client): Promise<void> } {
  return (db as unknown as { client: { acquireConnection(): Promise<pg.Client>; releaseConnection(c: pg.Client): Promise<void> } }).client
}

/**
 * A hot read statement run as a named prepared statement on a connection of knex's pool (same pool,
 * timeouts and session settings). PostgreSQL then parses it once per connection and can reuse its plan:
 * for the statements run on every signed-in page, planning cost more than executing (EXPLAIN: ~0,5 ms
 * against ~0,2 ms). `text` uses $1…$n; `name` must be unique per text. Behind a transaction pooler
 * (`createDb(…, { pooler: true })`) an unnamed statement: the next call may run on another server
 * connection, which would not know the name (PgBouncer before 1.21).
 */
export async function preparedQuery<T>(db: Knex, name: string, text: string, values: unknown[]): Promise<T[]> {
  // Its own pool connection: never inside a transaction (which has one connection of its own).
  if ((db as Knex.Transaction).isTransaction) throw new Error('preparedQuery: pas dans une transaction')
  const client = poolOf(db)
  const conn = await client.acquireConnection()
  try {
    const result = isPooled(db) ? await conn.query(text, values) : await conn.query({ name, text, values })
    return result.rows as T[]
  } finally {
    await client.releaseConnection(conn)
  }
}

/** A string as a PostgreSQL literal (quotes doubled, backslashes escaped: safe in any statement). */
export const sqlLiteral = (value: string): string => pg.escapeLiteral(value)

/**
 * A knex statement as plain SQL text, its `$n` parameters replaced by literals, for a caller that
 * sends several statements in one simple-protocol round trip (`BEGIN; SELECT …` or `…; COMMIT`),
 * which parameters cannot do. Strings go through `sqlLiteral`; only strings, finite numbers,
 * booleans, null and dates are accepted (anything else throws: never a guessed conversion).
 */
export function inlineStatement(q: Knex.QueryBuilder | Knex.Raw): string {
  const { sql, bindings } = q.toSQL().toNative()
  return inlined(sql, bindings)
}

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
  typeof (q as CompiledStatement).name === 'string' && 'bindings' in q

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
  const r = await conn.query(`SELECT name FROM pg_prepared_statements WHERE starts_with(name, '${PREPARED_PREFIX}')`)
  preparedOn.set(conn, new Set((r.rows as { name: string }[]).map((x) => x.name)))
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
    const r1 = (await conn.query(p1 ? `BEGIN; ${p1.text}` : 'BEGIN')) as unknown as pg.QueryResult[]
    p1?.done()
    const next = await then(p1 ? r1[r1.length - 1].rows[0] : undefined)
    if (!next) {
      await conn.query('ROLLBACK')
      open = false
      return { committed: false }
    }
    const p2 = next.query ? preparedStatement(conn, next.query, pooled) : undefined
    const r2 = (await conn.query(p2 ? `${p2.text}; ${next.last}; COMMIT` : `${next.last}; COMMIT`)) as unknown as pg.QueryResult[]
    p2?.done()
    open = false
    // The query's rows: the result just before `last`'s and COMMIT's.
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
    const r = (await conn.query(trip.text)) as unknown as pg.QueryResult[]
    return { committed: true, rows: r[trip.at[0]].rows as R[] }
  } catch (err) {
    // The error came after BEGIN (the transaction is open, failed) or before it (ROLLBACK only warns).
    await conn.query('ROLLBACK').catch(() => undefined)
    if (!pooled) await resyncPrepared(conn).catch(() => undefined)
    if ((err as { code?: string }).code === GUARD_FAILED) return { committed: false }
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
      r = (await conn.query(trip.text)) as unknown as pg.QueryResult[]
    } catch {
      await conn.query('ROLLBACK').catch(() => undefined)
      if (!isPooled(db)) await resyncPrepared(conn).catch(() => undefined)
    } finally {
      await client.releaseConnection(conn)
    }
    if (!r || !trip) return calls.forEach(alone)
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
