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
  if (opts.pooler) pooledClients.add(poolOf(db))
  const queueMax = opts.queueMax ?? 0
  if (queueMax > 0) {
    // tarn has no bound on its waiting line: checked here, for every acquisition outside a transaction
    // (a transaction's own client hands out its connection and never comes here).
    // knex types `db.client` as any: its pool is tarn's, and acquireConnection() may be wrapped.
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
/** Behind a transaction pooler (`createDb(…, { pooler: true })`): no statement may stay prepared on a connection. */
export const isPooled = (db: Knex) => pooledClients.has(poolOf(db))

/**
 * A small pool of its own on the same database, for a job that must read while its transaction
 * streams a write (the data export: the documents are read while the ZIP is copied into the
 * transaction's connection). It never takes a connection of the application's pool while the job
 * holds one (issue 20). The caller destroys it when done.
 */
export function sideDb(db: Knex, max = 1): Db {
  return knexFactory({
    client: 'pg',
    // knex's PgConnectionConfig and node-pg's ClientConfig disagree on `types.getTypeParser` only; it is node-pg's own object.
    connection: connectionOf(db) as Knex.PgConnectionConfig,
    pool: { min: 0, max, acquireTimeoutMillis: 30_000 },
  })
}

/** The connection settings of knex's pool, for a small pool of another library on the same database. */
export function connectionOf(db: Knex): pg.ClientConfig {
  // knex types `db.client` as any: createDb() above gives it a node-pg connection object.
  return { ...((db.client as { config: { connection: pg.ClientConfig } }).config.connection ?? {}) }
}

/**
 * Behind a pooler, the session settings come from the database: refuses to start when they are not
 * there (a wrong time zone would shift dates silently), and says what to do.
 */
export async function checkSessionDefaults(db: Knex): Promise<void> {
  const { rows } = await db.raw<{ rows: { tz: string; timeout: string }[] }>(
    "SELECT current_setting('TimeZone') AS tz, current_setting('statement_timeout') AS timeout",
  )
  const { tz, timeout } = rows[0]
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
  // knex types the migrator's results as any: list() gives [done, pending],
  const [, pending] = (await db.migrate.list(migrationConfig)) as [unknown[], unknown[]]
  if (!pending.length) return []
  // and latest() [batch number, file names applied].
  const [, applied] = (await db.migrate.latest(migrationConfig)) as [number, string[]]
  return applied
}

/** knex's pool, for the few callers that need a raw node-pg connection of it (acquire, then release). */
export function poolOf(db: Knex): { acquireConnection(): Promise<pg.Client>; releaseConnection(c: pg.Client): Promise<void> } {
  // knex types `db.client` as any: the pg client's connections are node-pg Clients.
  return db.client as { acquireConnection(): Promise<pg.Client>; releaseConnection(c: pg.Client): Promise<void> }
}
