import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { z } from 'zod'
import { ROOT } from './root'

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
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
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
  FHIR_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  OIDC_SIGNING_KEY: z
    .string()
    .refine((v) => {
      try {
        const k = JSON.parse(v)
        return k && typeof k === 'object' && k.kty === 'RSA' && typeof k.d === 'string'
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
})

export type Env = z.infer<typeof schema>

export interface Config {
  env: 'development' | 'test' | 'production'
  production: boolean
  port: number
  host: string
  publicUrl: string
  databaseUrl?: string
  databasePoolMax: number
  embeddedPg: { dir: string; port: number }
  redisUrl?: string
  redisPrefix: string
  sessionSecret: string
  documentMasterKey: Buffer
  codeHashKey: Buffer
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
  /** The development outbox page: never in production. */
  devOutbox: boolean
  /** Secrets generated for this machine (development only), to be said in the log. */
  generatedSecrets: string[]
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

const SECRETS = ['SESSION_SECRET', 'DOCUMENT_MASTER_KEY', 'CODE_HASH_KEY'] as const

function devSecrets(dataDir: string): Record<(typeof SECRETS)[number], string> & { fresh: boolean } {
  const file = path.join(dataDir, 'dev-secrets.json')
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'))
    if (SECRETS.every((k) => typeof saved[k] === 'string')) return { ...saved, fresh: false }
  } catch {
    /* generated below */
  }
  const generated = {
    SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
    DOCUMENT_MASTER_KEY: crypto.randomBytes(32).toString('hex'),
    CODE_HASH_KEY: crypto.randomBytes(32).toString('hex'),
  }
  fs.mkdirSync(dataDir, { recursive: true })
  fs.writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 })
  return { ...generated, fresh: true }
}

/** The development signing key of the authorisation server, generated once (its own file, so older dev secrets stay). */
function devOidcKey(dataDir: string): string {
  const file = path.join(dataDir, 'dev-oidc-key.json')
  try {
    const saved = fs.readFileSync(file, 'utf8')
    if (JSON.parse(saved).kty === 'RSA') return saved
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

  const devOutbox = !production && (e.DEV_OUTBOX ?? !e.SMTP_URL)
  return {
    env: e.NODE_ENV,
    production,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    embeddedPg: { dir: e.EMBEDDED_PG_DIR ?? path.join(dataDir, 'postgres'), port: e.EMBEDDED_PG_PORT },
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    sessionSecret: secrets.SESSION_SECRET!,
    documentMasterKey: decodeKey(secrets.DOCUMENT_MASTER_KEY!)!,
    codeHashKey: Buffer.from(secrets.CODE_HASH_KEY!, 'utf8'),
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
  }
}
