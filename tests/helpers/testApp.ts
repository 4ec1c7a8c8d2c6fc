import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import type { Express } from 'express'
import { loadConfig, type Config } from '../../src/config'
import { createLogger } from '../../src/infrastructure/logger'
import { createDb, type Db, type PoolOptions } from '../../src/infrastructure/database'
import { closeRedis, connectRedis, createRedis, type RedisClient } from '../../src/infrastructure/redis'
import { postgresSessionBackend, redisSessionBackend, type SessionBackend } from '../../src/infrastructure/sessionStore'
import { createServices, type Services } from '../../src/services'
import { createApp } from '../../src/app'
import { ADMIN_DATABASE_URL, TEST_REDIS_URL, TEST_ROLES, TEST_SECRETS, asRole, runTemplate, withDatabase } from './env'
import { askBroker, copyTemplate, testDatabaseName } from './brokerClient'
import { withAxeScript } from './axeScript'

export interface TestDatabase {
  name: string
  /** The application's connection: its role may not UPDATE, DELETE or TRUNCATE the activity log (issue 15 §5). */
  url: string
  /** A pool on `url`: what the app's services use. */
  db: Db
  /** The owner's connection (migrations, schema changes). */
  ownerUrl: string
  /** A superuser's connection, for what a test does that nobody in production may (e.g. tamper with the log). */
  adminUrl: string
  /** A small pool on `adminUrl` (opened on first use). */
  admin: Db
  drop(): Promise<void>
}

/**
 * The app's pool in the tests: TEST_DB_POOL connections (5 by default). With one (`npm run
 * test:pool-of-one`), a request that holds a connection (a transaction) and asks the pool for another
 * one waits until the acquire timeout and gets a 503: the test fails, and the waiting call is printed
 * with its stack, which names the nested acquisition.
 */
function testPool(url: string, opts: PoolOptions = {}): Db {
  const size = Number(process.env.TEST_DB_POOL ?? 5)
  const db = createDb(url, size, { ...opts, acquireTimeoutMs: Number(process.env.TEST_DB_ACQUIRE_TIMEOUT_MS ?? 5000) })
  if (size === 1) {
    const client = db.client as { acquireConnection(): Promise<unknown> }
    const acquire = client.acquireConnection.bind(client)
    client.acquireConnection = function () {
      const at = new Error('connexion demandée ici')
      return acquire().catch((err: Error) => {
        if (/Timeout acquiring a connection/.test(err.message))
          process.stderr.write(`\n[pool de une connexion] attente d'une seconde connexion (imbrication ?) :\n${at.stack}\n`)
        throw err
      })
    }
  }
  return db
}

/**
 * A database of its own for a test file, copied from the template (migrations + demo data): made
 * ahead by the run's broker (runBroker.ts), or here when no broker runs (a bench).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  let name = await askBroker('database', 'POST')
  if (!name) {
    name = testDatabaseName()
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
    await admin.connect()
    try {
      await copyTemplate(admin, runTemplate(), name)
    } finally {
      await admin.end()
    }
  }
  const adminUrl = withDatabase(ADMIN_DATABASE_URL, name)
  const url = asRole(adminUrl, TEST_ROLES.app)
  // Benchmarks may ask for a bigger pool (concurrent uploads each hold a transaction);
  // `npm run test:pool-of-one` a pool of one connection (issue 20).
  const db = testPool(url)
  const adminDb = createDb(adminUrl, 2)
  return {
    name,
    url,
    db,
    ownerUrl: asRole(adminUrl, TEST_ROLES.owner),
    adminUrl,
    admin: adminDb,
    async drop() {
      await db.destroy()
      await adminDb.destroy()
      // The broker drops it while the next file runs (globalTeardown waits for it).
      if (await askBroker(`drop?name=${name}`, 'POST')) return
      const a = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
      await a.connect()
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await a.end()
    },
  }
}

export interface TestAppOptions {
  /** Sessions in Redis (default) or in PostgreSQL. */
  sessions?: 'redis' | 'postgres'
  /** Another Redis address (e.g. a closed port, to test an outage). */
  redisUrl?: string
  env?: Record<string, string>
  /**
   * Behind a pooler (issue 17 §5): given the test database, starts what the app connects through and
   * returns its address; the app then runs with DATABASE_POOLER=pgbouncer on it. Stopped at close.
   */
  pooler?: (database: TestDatabase) => Promise<{ url: string; stop(): Promise<void> }>
}

export interface TestApp {
  app: Express
  services: Services
  config: Config
  db: Db
  database: TestDatabase
  redis?: RedisClient
  /** Starts listening on a free port (for the browser). */
  listen(): Promise<string>
  close(): Promise<void>
}

/** The real app, built by the real factory with the real services, on a test database. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase()
  const sessionsKind = options.sessions ?? 'redis'
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL
  // Documents' bytes in a folder of this app's own (unless the test gives an S3 store), removed at close.
  const documentsDir = options.env?.S3_BUCKET ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'mes-documents-'))
  const pooler = options.pooler ? await options.pooler(database) : undefined
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: pooler?.url ?? database.url,
    ...(pooler ? { DATABASE_POOLER: 'pgbouncer' } : {}),
    ...(sessionsKind === 'redis' ? { REDIS_URL: redisUrl } : {}),
    REDIS_PREFIX: `test:${database.name}:`,
    ...TEST_SECRETS,
    DEV_OUTBOX: 'true',
    // The admission limit sized on the test pool (as the default is on DATABASE_POOL_MAX); a busy
    // machine may make a burst of a test wait: never a 503 for waiting in its queue.
    ADMISSION_CONCURRENCY: String(2 * Number(process.env.TEST_DB_POOL ?? 5)),
    ADMISSION_QUEUE_TIMEOUT_MS: '60000',
    ...(documentsDir ? { DOCUMENTS_DIR: documentsDir } : {}),
    ...options.env,
  })
  const logger = createLogger(config.logLevel)
  let redis: RedisClient | undefined
  let sessions: SessionBackend
  if (sessionsKind === 'redis') {
    redis = createRedis(redisUrl, logger)
    await connectRedis(redis, logger, 1000) // an unreachable Redis is a case under test
    sessions = redisSessionBackend(redis, config.redisPrefix)
  } else {
    sessions = postgresSessionBackend(database.url)
  }
  const db = pooler ? testPool(pooler.url, { pooler: true }) : database.db
  const services = createServices({ config, logger, db, sessions, redis })
  const app = createApp(services, { requestLogging: false })
  let server: http.Server | undefined
  return {
    app,
    services,
    config,
    db,
    database,
    redis,
    async listen() {
      server = http.createServer(withAxeScript(app))
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    },
    async close() {
      if (server) {
        server.closeAllConnections()
        await new Promise((resolve) => server!.close(resolve))
      }
      await sessions.close()
      await services.invalidation.close()
      if (redis?.isReady) {
        const keys = await redis.keys(`${config.redisPrefix}*`).catch(() => [] as string[])
        if (keys.length) await redis.del(keys).catch(() => undefined)
      }
      if (redis) await closeRedis(redis)
      await services.documentStore.close()
      if (pooler) {
        await db.destroy()
        await pooler.stop()
      }
      await database.drop()
      if (documentsDir) fs.rmSync(documentsDir, { recursive: true, force: true })
    },
  }
}
