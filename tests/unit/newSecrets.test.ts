import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { loadConfig } from '../../src/config'

/** `node scripts/new-secrets.js > .env`, read back as docker compose reads a .env file. */
function newSecrets(): Record<string, string> {
  const out = execFileSync(process.execPath, [path.join(__dirname, '../../scripts/new-secrets.js')], { encoding: 'utf8' })
  const env: Record<string, string> = {}
  for (const line of out.split('\n')) {
    const m = /^([A-Z_0-9]+)=(.*)$/.exec(line)
    if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1')
  }
  return env
}

describe('scripts/new-secrets.js', () => {
  it('fabrique tous les secrets que la production exige : la configuration de production se charge avec eux seuls', () => {
    const secrets = newSecrets()
    const c = loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://mes_app@db/mon_espace_sante', ...secrets })
    expect(c.production).toBe(true)
    expect(c.generatedSecrets).toEqual([])
    expect(Object.keys(secrets).sort()).toEqual([
      'AUDIT_CHECKPOINT_KEY',
      'CODE_HASH_KEY',
      'DOCUMENT_MASTER_KEY',
      'MES_APP_PASSWORD',
      'MES_OWNER_PASSWORD',
      'OIDC_SIGNING_KEY',
      'POSTGRES_PASSWORD',
      'SESSION_SECRET',
    ])
  })

  it('tire des secrets neufs à chaque appel', () => {
    expect(newSecrets().SESSION_SECRET).not.toBe(newSecrets().SESSION_SECRET)
  })
})
