import fs from 'node:fs'
import path from 'node:path'
import { ConfigError, loadConfig } from '../../src/config'
import { ROOT } from '../../src/root'
import { TEST_SECRETS } from '../helpers/env'

// The run's RSA key (generated once by globalSetup).
const OIDC_KEY = TEST_SECRETS.OIDC_SIGNING_KEY

const SECRETS = {
  SESSION_SECRET: 'x'.repeat(40),
  DOCUMENT_MASTER_KEY: 'ab'.repeat(32),
  CODE_HASH_KEY: 'y'.repeat(40),
  AUDIT_CHECKPOINT_KEY: 'z'.repeat(40),
  OIDC_SIGNING_KEY: OIDC_KEY,
}

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

describe('configuration', () => {
  it('refuse une valeur invalide en nommant la variable', () => {
    expect(problems({ PORT: 'abc', ...SECRETS })[0]).toMatch(/^PORT : /)
    expect(problems({ DATABASE_URL: 'mysql://x', ...SECRETS })[0]).toMatch(/^DATABASE_URL : doit commencer par postgres/)
    expect(problems({ DOCUMENT_MASTER_KEY: 'court', SESSION_SECRET: SECRETS.SESSION_SECRET })[0]).toMatch(
      /^DOCUMENT_MASTER_KEY : doit contenir 32 octets/,
    )
    expect(problems({ LOG_LEVEL: 'bavard', ...SECRETS })[0]).toMatch(/^LOG_LEVEL : /)
  })
  it('exige les secrets en production', () => {
    const p = problems({ NODE_ENV: 'production', DATABASE_URL: 'postgres://h/db' })
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SESSION_SECRET : obligatoire en production/),
        expect.stringMatching(/^DOCUMENT_MASTER_KEY/),
        expect.stringMatching(/^CODE_HASH_KEY/),
        expect.stringMatching(/^AUDIT_CHECKPOINT_KEY : obligatoire en production/),
      ]),
    )
  })
  it('lit le propriétaire de la base (migrations) à part de la connexion de l’application', () => {
    const c = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://mes_app@h/db',
      DATABASE_OWNER_URL: 'postgres://mes_owner@h/db',
      ...SECRETS,
    })
    expect(c.databaseOwnerUrl).toBe('postgres://mes_owner@h/db')
    expect(c.auditCheckpointKey.toString()).toBe(SECRETS.AUDIT_CHECKPOINT_KEY)
    expect(problems({ DATABASE_OWNER_URL: 'mysql://x', ...SECRETS })[0]).toMatch(/^DATABASE_OWNER_URL : doit commencer par postgres/)
  })
  it('exige une base de données en production', () => {
    expect(problems({ NODE_ENV: 'production', ...SECRETS })[0]).toMatch(/^DATABASE_URL : obligatoire en production/)
  })
  it('accepte une production complète, sans page de développement', () => {
    const c = loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://h/db', REDIS_URL: 'redis://h:6379', ...SECRETS })
    expect(c.production).toBe(true)
    expect(c.devOutbox).toBe(false)
    expect(c.seedDemo).toBe(false)
    expect(c.documentMasterKey).toHaveLength(32)
    expect(c.generatedSecrets).toEqual([])
  })
  it('refuse une clé de signature OIDC qui n’est pas une clé privée RSA en JWK, et l’exige en production', () => {
    expect(problems({ NODE_ENV: 'development', OIDC_SIGNING_KEY: '{"kty":"EC"}' })[0]).toMatch(
      /^OIDC_SIGNING_KEY : doit être une clé privée RSA/,
    )
    expect(problems({ NODE_ENV: 'development', OIDC_SIGNING_KEY: 'pas du json' })[0]).toMatch(/^OIDC_SIGNING_KEY/)
    const { OIDC_SIGNING_KEY: _omit, ...withoutKey } = SECRETS
    expect(problems({ NODE_ENV: 'production', DATABASE_URL: 'postgres://h/db', ...withoutKey })).toEqual([
      'OIDC_SIGNING_KEY : obligatoire en production',
    ])
  })
  it('documents : un dossier par défaut, S3 dès que S3_BUCKET est là ; des réglages S3 incomplets sont refusés', () => {
    const disk = loadConfig({ NODE_ENV: 'test', ...SECRETS })
    expect(disk.documents).toEqual({ kind: 'disk', dir: expect.stringMatching(/\.data\/documents$/) })
    expect(loadConfig({ NODE_ENV: 'test', DOCUMENTS_DIR: '/srv/documents', ...SECRETS }).documents).toEqual({
      kind: 'disk',
      dir: '/srv/documents',
    })
    const s3 = loadConfig({ NODE_ENV: 'test', S3_BUCKET: 'mes-docs', S3_ENDPOINT: 'http://127.0.0.1:9000', ...SECRETS })
    expect(s3.documents).toMatchObject({ kind: 's3', s3: { bucket: 'mes-docs', region: 'us-east-1', forcePathStyle: true } })
    expect(loadConfig({ NODE_ENV: 'test', S3_BUCKET: 'mes-docs', ...SECRETS }).documents).toMatchObject({
      s3: { region: 'eu-west-3', forcePathStyle: false },
    })
    expect(problems({ S3_ENDPOINT: 'http://127.0.0.1:9000', ...SECRETS })).toEqual(['S3_BUCKET : obligatoire avec S3_ENDPOINT'])
    expect(problems({ S3_BUCKET: 'mes-docs', S3_ACCESS_KEY_ID: 'id', ...SECRETS })[0]).toMatch(/^S3_ACCESS_KEY_ID et S3_SECRET_ACCESS_KEY/)
    expect(problems({ S3_BUCKET: 'X', ...SECRETS })[0]).toMatch(/^S3_BUCKET : nom de compartiment S3 invalide/)
    expect(problems({ DATABASE_POOLER: 'pgpool', ...SECRETS })[0]).toMatch(/^DATABASE_POOLER : /)
    expect(loadConfig({ NODE_ENV: 'test', ...SECRETS })).toMatchObject({ databasePooler: 'none', jobsDatabasePoolMax: 4 })
  })
  it("n'ouvre la boîte d'envoi de développement que sur demande ou dans le mode embarqué, et refuse de démarrer en production avec elle", () => {
    // A deployment with its own database (NODE_ENV forgotten: «development» by default): no outbox.
    expect(loadConfig({ DATABASE_URL: 'postgres://h/db', ...SECRETS }).devOutbox).toBe(false)
    expect(loadConfig({ NODE_ENV: 'development', DATABASE_URL: 'postgres://h/db', ...SECRETS }).devOutbox).toBe(false)
    // Asked for explicitly, or the embedded default of `npm start` (no DATABASE_URL).
    expect(loadConfig({ DATABASE_URL: 'postgres://h/db', DEV_OUTBOX: 'true', ...SECRETS }).devOutbox).toBe(true)
    expect(loadConfig({ NODE_ENV: 'development', ...SECRETS }).devOutbox).toBe(true)
    expect(loadConfig({ NODE_ENV: 'development', DEV_OUTBOX: 'false', ...SECRETS }).devOutbox).toBe(false)
    expect(problems({ NODE_ENV: 'production', DATABASE_URL: 'postgres://h/db', DEV_OUTBOX: 'true', ...SECRETS })).toEqual([
      'DEV_OUTBOX : interdit en production (la page /dev/outbox montrerait les codes envoyés)',
    ])
  })
  it('génère des secrets de développement et le dit', () => {
    const c = loadConfig({ NODE_ENV: 'development' })
    expect(c.generatedSecrets).toEqual([
      'SESSION_SECRET',
      'DOCUMENT_MASTER_KEY',
      'CODE_HASH_KEY',
      'AUDIT_CHECKPOINT_KEY',
      'OIDC_SIGNING_KEY',
    ])
    expect(c.sessionSecret.length).toBeGreaterThanOrEqual(32)
    expect(c.devOutbox).toBe(true)
    // Kept between runs: the documents encrypted yesterday stay readable.
    expect(loadConfig({ NODE_ENV: 'development' }).documentMasterKey.equals(c.documentMasterKey)).toBe(true)
  })
  it('un secret ajouté plus tard est généré seul : ceux déjà enregistrés sur la machine restent', () => {
    const file = path.join(ROOT, '.data', 'dev-secrets.json')
    loadConfig({ NODE_ENV: 'development' })
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'))
    // A machine set up before the checkpoint key existed.
    const { AUDIT_CHECKPOINT_KEY: _old, ...before } = saved
    fs.writeFileSync(file, JSON.stringify(before))
    const c = loadConfig({ NODE_ENV: 'development' })
    const after = JSON.parse(fs.readFileSync(file, 'utf8'))
    expect(after).toMatchObject(before)
    expect(c.documentMasterKey.toString('hex')).toBe(before.DOCUMENT_MASTER_KEY)
    expect(after.AUDIT_CHECKPOINT_KEY).toMatch(/^[0-9a-f]{64}$/)
    expect(c.auditCheckpointKey.toString()).toBe(after.AUDIT_CHECKPOINT_KEY)
  })
})
