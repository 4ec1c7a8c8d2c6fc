import path from 'node:path'
import knexFactory, { type Knex } from 'knex'
import pg from 'pg'
import { ROOT } from '../root'

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

export function createDb(url: string, poolMax = 10, opts: { pooler?: boolean } = {}): Db {
  const options = opts.pooler
    ? undefined
    : Object.entries(SESSION_SETTINGS)
        .map(([k, v]) => `-c ${k}=${v}`)
        .join(' ')
  const db = knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'mon-espace-sante', ...(options ? { options } : {}) },
    pool: {
      min: 0,
      max: poolMax,
      // A fault in the database must become a 503 quickly, not a hung request.
      acquireTimeoutMillis: 5000,
    },
    acquireConnectionTimeout: 5000,
  })
  if (opts.pooler) pooledClients.add(db.client)
  return db
}

/** The knex clients created for a transaction pooler: no statement prepared on a connection. */
const pooledClients = new WeakSet<object>()
/** Behind a transaction pooler (`createDb(…, { pooler: true })`): no statement may stay prepared on a connection. */
export const isPooled = (db: Knex) => pooledClients.has(db.client)

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

/** knex's pool, for the few callers that need a raw node-pg connection of it (acquire, then release). */
export function poolOf(db: Knex): { acquireConnection(): Promise<pg.Client>; releaseConnection(c: pg.Client): Promise<void> } {
  return (db as unknown as { client: { acquireConnection(): Promise<pg.Client>; releaseConnection(c: pg.Client): Promise<void> } }).client
}
