import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { createDb, migrateLatest } from '../../src/infrastructure/database'
import { ensureRoles, grantAppRole } from '../../src/infrastructure/databaseRoles'
import { seedDemo } from '../../src/seed/demo'
import { startRunBroker, type RunBroker } from './runBroker'
import { ADMIN_DATABASE_URL, CHECKOUT, RUN_ENV, TEST_ROLES, TEST_SECRETS, asRole, templateName, withDatabase } from './env'

/** What globalTeardown closes (jest runs both in its main process). */
export interface RunResources {
  broker?: RunBroker
  dir?: string
}
export const RUN_RESOURCES = Symbol.for('mon-espace-sante.test-run')

/**
 * Once per `npm test`, before any test file: the fixed costs of the run, paid once and handed to
 * every file through the environment (jest's workers are started after this, with its environment):
 * - a template database with every migration and the demo data set (each test file then gets its
 *   own database, copied from it), named once for the run (a run that crosses midnight keeps it);
 * - the authorisation server's RSA signing key;
 * - a folder of the run's own (caches of the page checks), removed by globalTeardown;
 * - the run's broker: its one Chromium, the copies of the template made ahead (runBroker.ts).
 */
export default async function globalSetup(): Promise<void> {
  const root = path.resolve(__dirname, '../..')
  if (!fs.existsSync(path.join(root, 'public', 'assets-manifest.json'))) {
    throw new Error('Les fichiers statiques ne sont pas construits : lancez `npm run build:assets` (npm test le fait).')
  }
  const name = templateName()
  await ensureTemplate(name)
  process.env[RUN_ENV.template] = name
  process.env[RUN_ENV.signingKey] = TEST_SECRETS.OIDC_SIGNING_KEY
  const resources: RunResources = {}
  ;(globalThis as Record<symbol, unknown>)[RUN_RESOURCES] = resources
  resources.dir = fs.mkdtempSync(path.join(os.tmpdir(), `mes-tests-${CHECKOUT}-`))
  process.env[RUN_ENV.dir] = resources.dir
  resources.broker = await startRunBroker(name)
  process.env[RUN_ENV.broker] = resources.broker.url
}

/** The test roles, and the template database `name` with every migration and the demo data set (built unless it exists). */
async function ensureTemplate(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
  await admin.connect()
  try {
    // The owner and the application's roles of this checkout (idempotent: roles are cluster-wide).
    await ensureRoles(admin, TEST_ROLES)
    // Tests only: the test roles' commits do not wait for the WAL to reach the disk (a few ms each on
    // this machine, thousands per run). What a transaction sees, and when, is unchanged: only a crash
    // of the machine's PostgreSQL could lose the last commits of a test database, which is dropped anyway.
    // The machine's cluster keeps its own settings (fsync stays on for everyone else).
    for (const role of [TEST_ROLES.owner, TEST_ROLES.app]) await admin.query(`ALTER ROLE ${role} SET synchronous_commit = off`)
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (exists.rowCount) return
    // Old templates of this checkout (the name changes with the code).
    const old = await admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2', [
      `mes_tpl_${CHECKOUT}_%`,
      name,
    ])
    for (const r of old.rows) {
      await admin.query(`ALTER DATABASE ${r.datname} WITH IS_TEMPLATE false`).catch(() => undefined)
      await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`).catch(() => undefined)
    }
    await admin.query(`CREATE DATABASE ${name}_building OWNER ${TEST_ROLES.owner}`).catch(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name}_building WITH (FORCE)`)
      await admin.query(`CREATE DATABASE ${name}_building OWNER ${TEST_ROLES.owner}`)
    })
    // As in production: the owner migrates and grants the application's role its rights; the demo
    // data are written by the application's role.
    const building = withDatabase(ADMIN_DATABASE_URL, `${name}_building`)
    const owner = createDb(asRole(building, TEST_ROLES.owner), 2)
    const db = createDb(asRole(building, TEST_ROLES.app), 2)
    try {
      await migrateLatest(owner)
      await grantAppRole(owner, TEST_ROLES.app)
      await seedDemo(db, Buffer.from(TEST_SECRETS.CODE_HASH_KEY, 'utf8'), new Date(), Buffer.from(TEST_SECRETS.DOCUMENT_MASTER_KEY, 'hex'))
    } finally {
      await owner.destroy()
      await db.destroy()
    }
    await admin.query(`ALTER DATABASE ${name}_building RENAME TO ${name}`)
    await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true`)
  } finally {
    await admin.end()
  }
}
