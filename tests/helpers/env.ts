import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/** Where the tests find the machine's PostgreSQL and Redis (real ones, over real connections). */
export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** An RSA signing key for the authorisation server, as a JWK (any RSA key will do). */
export function newTestSigningKey(): string {
  return JSON.stringify({
    ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    kid: 'test',
    alg: 'RS256',
    use: 'sig',
  })
}

/**
 * What globalSetup hands every test file through the environment (set once per run, read by the
 * workers it starts): the RSA key, the template database's name, the run's own folder, the run's broker (runBroker.ts).
 */
export const RUN_ENV = {
  signingKey: 'TEST_OIDC_SIGNING_KEY',
  template: 'TEST_TEMPLATE_DATABASE',
  dir: 'TEST_RUN_DIR',
  broker: 'TEST_RUN_BROKER',
} as const

export const TEST_SECRETS = {
  SESSION_SECRET: 'secret-de-session-pour-les-tests-uniquement-0123456789',
  DOCUMENT_MASTER_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
  CODE_HASH_KEY: 'cle-de-hachage-des-codes-pour-les-tests-0123456789',
  AUDIT_CHECKPOINT_KEY: 'cle-des-points-de-controle-du-journal-pour-les-tests',
  // Generated once per run by globalSetup (2048-bit RSA costs a noticeable fraction of a second on
  // a loaded machine); a script that runs without it (a bench) generates its own.
  OIDC_SIGNING_KEY: process.env[RUN_ENV.signingKey] ?? newTestSigningKey(),
}

const ROOT = path.resolve(__dirname, '../..')

/** A short tag for this checkout, so that several checkouts can run their tests side by side. */
export const CHECKOUT = crypto.createHash('sha256').update(ROOT).digest('hex').slice(0, 6)

/**
 * The two database roles of the tests (issue 15 §5), as in production: the template is migrated by the
 * owner, the app connects as the application's role (no UPDATE, DELETE or TRUNCATE on the activity
 * log). Roles are cluster-wide: one pair per checkout, created once and kept (globalSetup).
 */
export const TEST_ROLES = { owner: `mes_${CHECKOUT}_owner`, app: `mes_${CHECKOUT}_app` }

/** `url` signed in as `role` (the machine's PostgreSQL trusts local connections). */
export function asRole(url: string, role: string): string {
  const u = new URL(url)
  u.username = role
  u.password = ''
  return u.toString()
}

/**
 * The template database of this run: named once by globalSetup, so that a file that starts after
 * midnight (or after an edit of src/) still copies the template that was built for the run.
 */
export function runTemplate(): string {
  return process.env[RUN_ENV.template] ?? templateName()
}

/** The template database's name: per checkout, and changes when the code, a migration or the day changes. */
export function templateName(): string {
  // The demo data are dated relative to the day the template is built.
  const h = crypto.createHash('sha256').update(new Date().toISOString().slice(0, 10))
  const walk = (dir: string) => {
    for (const f of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, f)
      if (fs.statSync(p).isDirectory()) walk(p)
      else h.update(f).update(fs.readFileSync(p))
    }
  }
  walk(path.join(ROOT, 'migrations'))
  walk(path.join(ROOT, 'src'))
  return `mes_tpl_${CHECKOUT}_${h.digest('hex').slice(0, 10)}`
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}
