import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { z } from 'zod'
import { ROOT } from './root'
import { isRecord } from './validation'

/** A private RSA key in JWK form (what the authorisation server signs with). */
function isRsaPrivateKey(k: unknown): boolean {
  return typeof k === 'object' && k !== null && 'kty' in k && k.kty === 'RSA' && 'd' in k && typeof k.d === 'string'
}

/**
 * One schema for the whole environment. Boot fails fast, naming the variable and why.
 * Outside production, missing secrets are generated once and kept in `.data/dev-secrets.json`
 * (git-ignored) so that documents encrypted yesterday can still be read today.
 */

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes')

const key32 = z.string().refine((v) => decodeKey(v)?.length === 32, {
  message: 'doit contenir 32 octets en hexadécimal (64 caractères) ou en base64',
})

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'doit commencer par postgres:// ou postgresql://')
    .optional(),
  /**
   * The database owner's connection, for the migrations only (the application itself connects with
   * DATABASE_URL, a role that cannot UPDATE, DELETE or TRUNCATE the activity log). Unset: the
   * migrations use DATABASE_URL (one role for both, not for production).
   */
  DATABASE_OWNER_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'doit commencer par postgres:// ou postgresql://')
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  // Issue 20: how long a request may wait for a pooled connection, and how many may wait at once.
  DATABASE_POOL_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  DATABASE_POOL_QUEUE_MAX: z.coerce.number().int().min(0).max(10_000).default(200),
  // Issue 20 §2: requests served at once, then waiting in a bounded queue, then a 503 with Retry-After.
  // Unset: twice DATABASE_POOL_MAX (requests then wait in the admission queue, not on the pool's timeout).
  ADMISSION_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).optional(),
  ADMISSION_QUEUE_MAX: z.coerce.number().int().min(0).max(100_000).default(400),
  ADMISSION_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  ADMISSION_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  EMBEDDED_PG_DIR: z.string().optional(),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'doit commencer par redis:// ou rediss://')
    .optional(),
  REDIS_PREFIX: z.string().default('mes:'),
  SESSION_SECRET: z.string().min(32, 'doit contenir au moins 32 caractères').optional(),
  DOCUMENT_MASTER_KEY: key32.optional(),
  CODE_HASH_KEY: z.string().min(32, 'doit contenir au moins 32 caractères').optional(),
  /** Signs the activity log's checkpoints (chain heads): kept out of the database. */
  AUDIT_CHECKPOINT_KEY: z.string().min(32, 'doit contenir au moins 32 caractères').optional(),
  FHIR_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  OIDC_SIGNING_KEY: z
    .string()
    .refine((v) => {
      try {
        const k: unknown = JSON.parse(v)
        return isRsaPrivateKey(k)
      } catch {
        return false
      }
    }, 'doit être une clé privée RSA au format JWK (JSON)')
    .optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'doit commencer par smtp:// ou smtps://')
    .optional(),
  MAIL_FROM: z.string().default('Mon espace santé <ne-pas-repondre@monespacesante.example>'),
  SMS_HTTP_URL: z.url().optional(),
  SMS_HTTP_TOKEN: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RUN_JOBS: bool.default(true),
  SEED_DEMO: bool.optional(),
  TRUST_PROXY: z.string().optional(),
  DEV_OUTBOX: bool.optional(),
  // Scale-out (issue 17 §4, §5): the object store, the pooler, the other pools.
  DATABASE_POOLER: z.enum(['none', 'pgbouncer']).default('none'),
  JOBS_DATABASE_POOL_MAX: z.coerce.number().int().min(2).max(50).default(4),
  DOCUMENTS_DIR: z.string().min(1).optional(),
  S3_BUCKET: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'nom de compartiment S3 invalide (3 à 63 caractères : minuscules, chiffres, points, tirets)',
    )
    .optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: bool.optional(),
  S3_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._/-]*$/, 'lettres, chiffres, points, tirets et barres obliques seulement')
    .optional(),
  S3_SPOOL_DIR: z.string().min(1).optional(),
})

export type Env = z.infer<typeof schema>

export interface Config {
  env: 'development' | 'test' | 'production'
  production: boolean
  port: number
  host: string
  publicUrl: string
  databaseUrl?: string
  /** The owner's connection, for the migrations (DATABASE_OWNER_URL). */
  databaseOwnerUrl?: string
  databasePoolMax: number
  /** The knex pool: wait at most `acquireTimeoutMs` for a connection; at most `queueMax` waiting (past it: 503 at once). */
  databasePool: { acquireTimeoutMs: number; queueMax: number }
  /** The admission limit (src/middleware/admission.ts): requests served at once, waiting, how long, and the Retry-After said past it. */
  admission: { concurrency: number; queueMax: number; queueTimeoutMs: number; retryAfterSeconds: number }
  embeddedPg: { dir: string; port: number }
  redisUrl?: string
  redisPrefix: string
  sessionSecret: string
  documentMasterKey: Buffer
  codeHashKey: Buffer
  /** The HMAC key of the activity log's checkpoints (AUDIT_CHECKPOINT_KEY). */
  auditCheckpointKey: Buffer
  /** The private JWK (RSA) that signs the ID tokens of the authorisation server for connected services. */
  oidcSigningKey: string
  /** FHIR API calls allowed per connected service (OAuth client) and per minute. */
  fhirRateLimitPerMinute: number
  smtpUrl?: string
  mailFrom: string
  /** The SMS provider's HTTP endpoint (POST, JSON), and its bearer token: without it, SMS stay in the outbox. */
  smsHttpUrl?: string
  smsHttpToken?: string
  logLevel: Env['LOG_LEVEL']
  runJobs: boolean
  seedDemo: boolean
  trustProxy?: string
  /** The development outbox page: explicitly enabled (or the embedded default); never in production. */
  devOutbox: boolean
  /** Secrets generated for this machine (development only), to be said in the log. */
  generatedSecrets: string[]
  /** `pgbouncer`: behind a pooler in transaction mode (session settings from the database, see database.ts). */
  databasePooler: 'none' | 'pgbouncer'
  /** pg-boss's own pool, in a process that runs the jobs. */
  jobsDatabasePoolMax: number
  /** Where documents' bytes go: an S3-compatible store when S3_BUCKET is set, else a folder on disk. */
  documents: { kind: 'disk'; dir: string } | { kind: 's3'; s3: S3Config }
}

export interface S3Config {
  bucket: string
  endpoint?: string
  region: string
  accessKeyId?: string
  secretAccessKey?: string
  forcePathStyle: boolean
  prefix?: string
  spoolDir?: string
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration invalide :\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

export function decodeKey(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex')
  try {
    const b = Buffer.from(value, 'base64')
    return b.length === 32 ? b : undefined
  } catch {
    return undefined
  }
}

const SECRETS = ['SESSION_SECRET', 'DOCUMENT_MASTER_KEY', 'CODE_HASH_KEY', 'AUDIT_CHECKPOINT_KEY'] as const

/**
 * The development secrets of this machine: those already saved are kept (documents encrypted
 * yesterday stay readable), a secret added by a later version is generated alone and saved with them.
 */
function devSecrets(dataDir: string): Record<(typeof SECRETS)[number], string> & { fresh: boolean } {
  const file = path.join(dataDir, 'dev-secrets.json')
  let saved: Record<string, unknown> = {}
  try {
    const read: unknown = JSON.parse(fs.readFileSync(file, 'utf8'))
    if (isRecord(read)) saved = read
  } catch {
    /* generated below */
  }
  const missing = SECRETS.filter((k) => typeof saved[k] !== 'string')
  const secret = (k: (typeof SECRETS)[number]) => {
    const v = saved[k]
    return typeof v === 'string' ? v : crypto.randomBytes(32).toString('hex')
  }
  const secrets = {
    ...saved,
    SESSION_SECRET: secret('SESSION_SECRET'),
    DOCUMENT_MASTER_KEY: secret('DOCUMENT_MASTER_KEY'),
    CODE_HASH_KEY: secret('CODE_HASH_KEY'),
    AUDIT_CHECKPOINT_KEY: secret('AUDIT_CHECKPOINT_KEY'),
  }
  if (!missing.length) return { ...secrets, fresh: false }
  fs.mkdirSync(dataDir, { recursive: true })
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 })
  return { ...secrets, fresh: true }
}

/** The development signing key of the authorisation server, generated once (its own file, so older dev secrets stay). */
function devOidcKey(dataDir: string): string {
  const file = path.join(dataDir, 'dev-oidc-key.json')
  try {
    const saved = fs.readFileSync(file, 'utf8')
    if (isRsaPrivateKey(JSON.parse(saved))) return saved
  } catch {
    /* generated below */
  }
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' }
  const text = JSON.stringify(jwk)
  fs.mkdirSync(dataDir, { recursive: true })
  fs.writeFileSync(file, text, { mode: 0o600 })
  return text
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(source)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(environnement)'} : ${i.message}`))
  }
  const e = parsed.data
  const production = e.NODE_ENV === 'production'
  const dataDir = path.join(ROOT, '.data')
  const generatedSecrets: string[] = []

  const secrets: Record<string, string | undefined> = {
    SESSION_SECRET: e.SESSION_SECRET,
    DOCUMENT_MASTER_KEY: e.DOCUMENT_MASTER_KEY,
    CODE_HASH_KEY: e.CODE_HASH_KEY,
    AUDIT_CHECKPOINT_KEY: e.AUDIT_CHECKPOINT_KEY,
  }
  const missing = SECRETS.filter((k) => !secrets[k])
  if (missing.length > 0) {
    if (production) {
      throw new ConfigError(missing.map((k) => `${k} : obligatoire en production`))
    }
    const dev = devSecrets(dataDir)
    for (const k of missing) {
      secrets[k] = dev[k]
      generatedSecrets.push(k)
    }
  }
  let oidcSigningKey = e.OIDC_SIGNING_KEY
  if (!oidcSigningKey) {
    if (production) throw new ConfigError(['OIDC_SIGNING_KEY : obligatoire en production'])
    oidcSigningKey = devOidcKey(dataDir)
    generatedSecrets.push('OIDC_SIGNING_KEY')
  }
  if (production && !e.DATABASE_URL) {
    throw new ConfigError(['DATABASE_URL : obligatoire en production (la base embarquée sert au développement)'])
  }

  const s3Set = (['S3_ENDPOINT', 'S3_REGION', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_PREFIX', 'S3_SPOOL_DIR'] as const).filter(
    (k) => e[k],
  )
  if (!e.S3_BUCKET && s3Set.length) throw new ConfigError([`S3_BUCKET : obligatoire avec ${s3Set.join(', ')}`])
  if (!e.S3_ACCESS_KEY_ID !== !e.S3_SECRET_ACCESS_KEY)
    throw new ConfigError(['S3_ACCESS_KEY_ID et S3_SECRET_ACCESS_KEY : les deux ou aucun (sans eux : rôle de la machine)'])
  if (e.S3_BUCKET && e.DOCUMENTS_DIR)
    throw new ConfigError(['DOCUMENTS_DIR : inutile avec S3_BUCKET (les documents vont dans le stockage S3)'])
  const documents: Config['documents'] = e.S3_BUCKET
    ? {
        kind: 's3',
        s3: {
          bucket: e.S3_BUCKET,
          endpoint: e.S3_ENDPOINT,
          region: e.S3_REGION ?? (e.S3_ENDPOINT ? 'us-east-1' : 'eu-west-3'),
          accessKeyId: e.S3_ACCESS_KEY_ID,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY,
          // Stores other than AWS mostly need path-style addresses.
          forcePathStyle: e.S3_FORCE_PATH_STYLE ?? Boolean(e.S3_ENDPOINT),
          prefix: e.S3_PREFIX,
          spoolDir: e.S3_SPOOL_DIR,
        },
      }
    : { kind: 'disk', dir: path.resolve(e.DOCUMENTS_DIR ?? path.join(dataDir, 'documents')) }

  // The development outbox shows every code and letter sent: only when asked for (DEV_OUTBOX=true), or
  // by default in the embedded mode of `npm start` on a bare machine (no DATABASE_URL, no SMTP). A
  // deployment with its own database never has it by accident, and production refuses to boot with it.
  const devOutbox = e.DEV_OUTBOX ?? (!e.DATABASE_URL && !e.SMTP_URL)
  if (production && devOutbox) {
    throw new ConfigError(['DEV_OUTBOX : interdit en production (la page /dev/outbox montrerait les codes envoyés)'])
  }
  return {
    env: e.NODE_ENV,
    production,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    databaseUrl: e.DATABASE_URL,
    databaseOwnerUrl: e.DATABASE_OWNER_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    databasePool: { acquireTimeoutMs: e.DATABASE_POOL_ACQUIRE_TIMEOUT_MS, queueMax: e.DATABASE_POOL_QUEUE_MAX },
    admission: {
      concurrency: e.ADMISSION_CONCURRENCY ?? 2 * e.DATABASE_POOL_MAX,
      queueMax: e.ADMISSION_QUEUE_MAX,
      queueTimeoutMs: e.ADMISSION_QUEUE_TIMEOUT_MS,
      retryAfterSeconds: e.ADMISSION_RETRY_AFTER_SECONDS,
    },
    embeddedPg: { dir: e.EMBEDDED_PG_DIR ?? path.join(dataDir, 'postgres'), port: e.EMBEDDED_PG_PORT },
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    sessionSecret: secrets.SESSION_SECRET!,
    documentMasterKey: decodeKey(secrets.DOCUMENT_MASTER_KEY!)!,
    codeHashKey: Buffer.from(secrets.CODE_HASH_KEY!, 'utf8'),
    auditCheckpointKey: Buffer.from(secrets.AUDIT_CHECKPOINT_KEY!, 'utf8'),
    oidcSigningKey,
    fhirRateLimitPerMinute: e.FHIR_RATE_LIMIT_PER_MINUTE,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    smsHttpUrl: e.SMS_HTTP_URL,
    smsHttpToken: e.SMS_HTTP_TOKEN,
    logLevel: e.LOG_LEVEL,
    runJobs: e.RUN_JOBS,
    seedDemo: e.SEED_DEMO ?? !production,
    trustProxy: e.TRUST_PROXY,
    devOutbox,
    generatedSecrets,
    databasePooler: e.DATABASE_POOLER,
    jobsDatabasePoolMax: e.JOBS_DATABASE_POOL_MAX,
    documents,
  }
}

/** The configuration of a process, or its problems said to a person and exit code 1 (before anything else is loaded). */
export function configOrExit(): Config {
  try {
    return loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Mon espace santé ne peut pas démarrer.\n${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
}
