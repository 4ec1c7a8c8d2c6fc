import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import autocannon from 'autocannon'
import * as cheerio from 'cheerio'
import PDFDocument from 'pdfkit'
import { CAMILLE, PROS } from '../helpers/demo'
import { freePort, listening } from '../helpers/scaleOut'
import { mb } from './lib'

/**
 * `npm run bench -- load` (issue 20 §3): the application started as `npm start` starts it on a bare
 * machine (the embedded PostgreSQL, sessions in it, the development outbox), in its own process; demo
 * people signed in through the real pages (identifier and password, then the code read in «Courriels et
 * SMS envoyés»); then a mix of signed-in pages at 50, 200 and 500 connections.
 *
 * Each connection goes round the mix: Camille's eight main pages, a document upload, a message to her
 * doctor, and a professional's search (the «Trouver un patient» form, then the patient's record it leads
 * to: the search itself, a POST, is limited to 60 an hour per professional, so it is done once at sign-in).
 *
 * Printed per level: requests/s, p50 and p99 latency, responses by status, the errors (anything but
 * 2xx and 3xx, and failed connections), the 503s with and without `Retry-After`, the server's RSS before
 * and after, and after the load stops, how long until a page answers 200 again.
 *
 * Settings: BENCH_LOAD_SECONDS (per level, default 20), BENCH_LOAD_LEVELS (default 50,200,500),
 * BENCH_LOAD_SESSIONS=redis (sessions in the machine's Redis instead of PostgreSQL), BENCH_LOAD_ENV
 * (extra variables for the server, `A=1,B=2`). The server's log is kept in a temporary file (said at the end).
 */

const ROOT = path.resolve(__dirname, '../..')

interface Session {
  cookie: string
  csrf: string
}

/** A tiny browser: one cookie jar, no redirects followed. */
class Browser {
  private jar = new Map<string, string>()
  constructor(private base: string) {}
  get cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
  }
  async fetch(
    p: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<{ status: number; text: string; location?: string }> {
    const res = await fetch(this.base + p, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        cookie: this.cookie,
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const i = pair.indexOf('=')
      this.jar.set(pair.slice(0, i), pair.slice(i + 1))
    }
    return { status: res.status, text: await res.text(), location: res.headers.get('location') ?? undefined }
  }
  /** Opens the page and posts its main form with the page's CSRF token plus `fields`. */
  async submit(page: string, fields: Record<string, string>): Promise<{ status: number; text: string; location?: string }> {
    const r = await this.fetch(page)
    if (r.status !== 200) throw new Error(`${page} a répondu ${r.status}`)
    const $ = cheerio.load(r.text)
    const form = $('main form[method="post"]').first()
    const token = form.find('input[name="_csrf"]').attr('value') ?? ''
    return this.fetch(form.attr('action') || page, { method: 'POST', form: { _csrf: token, ...fields } })
  }
  async csrf(page: string): Promise<string> {
    const r = await this.fetch(page)
    const token = cheerio.load(r.text)('input[name="_csrf"]').first().attr('value')
    if (!token) throw new Error(`pas de jeton CSRF dans ${page} (${r.status})`)
    return token
  }
}

/** Signs in through the real pages: identifier and password, then the code the development outbox shows. */
async function signIn(base: string, signInUrl: string, login: string, password: string): Promise<Browser> {
  const b = new Browser(base)
  const first = await b.submit(signInUrl, { login, password })
  if (first.status !== 303) throw new Error(`connexion de ${login} refusée (${first.status})`)
  // The newest message is this sign-in's code (the people sign in one after the other).
  const outbox = await b.fetch('/dev/outbox')
  const code = cheerio
    .load(outbox.text)('pre')
    .first()
    .text()
    .match(/\b(\d{6})\b/)?.[1]
  if (!code) throw new Error(`pas de code pour ${login} dans la boîte d'envoi de développement`)
  const second = await b.submit(`${signInUrl}/code`, { code })
  if (second.status !== 303) throw new Error(`code de ${login} refusé (${second.status})`)
  return b
}

function rssOf(pid: number): number {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)
  return m ? Number(m[1]) * 1024 : 0
}

async function smallPdf(): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4' })
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<void>((resolve) => doc.on('end', () => resolve()))
  doc.fontSize(14).text('Compte rendu de consultation (banc de charge)', 50, 60)
  doc.end()
  await done
  return Buffer.concat(chunks)
}

function multipart(
  fields: Record<string, string>,
  file: { name: string; type: string; bytes: Buffer },
): { boundary: string; body: Buffer } {
  const boundary = `----banc${Date.now().toString(16)}`
  const parts: Buffer[] = []
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
    ),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  )
  return { boundary, body: Buffer.concat(parts) }
}

interface Level {
  connections: number
  requestsPerSecond: number
  total: number
  p50: number
  p99: number
  statuses: Record<string, number>
  errors: number
  socketErrors: number
  timeouts: number
  with503: { retryAfter: number; without: number }
  rssBefore: number
  rssAfter: number
  recoveryMs?: number
}

async function startServer(): Promise<{ child: ChildProcess; base: string; logFile: string; stop(): Promise<void> }> {
  // As `npm start`: the build, then the server with the same Node flags (package.json).
  execFileSync(process.execPath, ['scripts/build.js', '--quiet'], { cwd: ROOT, stdio: 'inherit' })
  const port = await freePort()
  const pgPort = await freePort()
  const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-banc-charge-pg-'))
  const logFile = path.join(os.tmpdir(), `mes-banc-charge-${process.pid}.log`)
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of ['DATABASE_URL', 'DATABASE_OWNER_URL', 'REDIS_URL', 'NODE_ENV', 'TEST_DB_POOL', 'BENCH_ONLY']) delete env[k]
  Object.assign(env, { PORT: String(port), HOST: '127.0.0.1', EMBEDDED_PG_DIR: pgDir, EMBEDDED_PG_PORT: String(pgPort) })
  if (process.env.BENCH_LOAD_SESSIONS === 'redis') env.REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
  for (const pair of (process.env.BENCH_LOAD_ENV ?? '').split(',').filter(Boolean)) {
    const i = pair.indexOf('=')
    env[pair.slice(0, i)] = pair.slice(i + 1)
  }
  const log = fs.openSync(logFile, 'w')
  const child = spawn(process.execPath, ['--max-semi-space-size=32', 'dist/src/server.js'], { cwd: ROOT, env, stdio: ['ignore', log, log] })
  const output = () => fs.readFileSync(logFile, 'utf8').slice(-4000)
  // The first start of the embedded database (initdb, migrations, demo data) takes a while on a busy machine.
  await listening(port, child, 300_000, output)
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    logFile,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        const t = setTimeout(() => child.kill('SIGKILL'), 30_000)
        await exited
        clearTimeout(t)
      }
      fs.closeSync(log)
      fs.rmSync(pgDir, { recursive: true, force: true })
    },
  }
}

export async function loadBench(): Promise<string[]> {
  const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 20)
  const levels = (process.env.BENCH_LOAD_LEVELS ?? '50,200,500').split(',').map(Number)
  const server = await startServer()
  const out: string[] = []
  try {
    const { base } = server
    // Camille in four sessions (four devices), Dr Bernard in two.
    const patients: Session[] = []
    let writeTo: string | undefined
    for (let i = 0; i < 4; i++) {
      const b = await signIn(base, '/connexion', CAMILLE.login, CAMILLE.password)
      const page = await b.fetch('/messagerie/ecrire')
      const $ = cheerio.load(page.text)
      writeTo ??= $('input[name="professional"]').first().attr('value')
      patients.push({ cookie: b.cookie, csrf: $('input[name="_csrf"]').first().attr('value') ?? '' })
    }
    if (!writeTo) throw new Error('Camille ne peut écrire à aucun professionnel : mesure invalide')
    const pros: Session[] = []
    for (let i = 0; i < 2; i++) {
      const b = await signIn(base, '/pro/connexion', PROS.bernard.login, PROS.bernard.password)
      const found = await b.submit('/pro/patient', {
        nir: CAMILLE.nir,
        'birthDate-day': '14',
        'birthDate-month': '3',
        'birthDate-year': '1968',
        lastName: 'Martin',
      })
      if (found.location !== '/pro/patient/dossier') throw new Error(`la recherche du professionnel échoue (${found.status})`)
      pros.push({ cookie: b.cookie, csrf: '' })
    }

    const pdf = await smallPdf()
    const pages = [
      '/mon-espace',
      '/documents',
      '/messagerie',
      '/profil-medical',
      '/mes-professionnels',
      '/agenda',
      '/remboursements',
      '/mes-autorisations',
    ]
    // Each connection is one person's device: a patient session, or a professional's for the professional's requests.
    let nextConnection = 0
    type Ctx = { n?: number; i?: number }
    const patientOf = (ctx: Ctx) => patients[(ctx.n ??= nextConnection++) % patients.length]
    const proOf = (ctx: Ctx) => pros[(ctx.n ??= nextConnection++) % pros.length]
    const with503 = { retryAfter: 0, without: 0 }
    const onResponse = (status: number, _body: string, _ctx: Ctx, headers: Record<string, string>) => {
      // autocannon keeps the header names as the server wrote them.
      const retryAfter = Object.keys(headers).some((k) => k.toLowerCase() === 'retry-after')
      if (status === 503) {
        if (retryAfter) with503.retryAfter++
        else with503.without++
      }
    }
    type Req = { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: Buffer | string }
    const mix: ((ctx: Ctx) => Req)[] = [
      ...pages.map((p) => (ctx: Ctx): Req => ({ method: 'GET', path: p, headers: { cookie: patientOf(ctx).cookie } })),
      (ctx: Ctx): Req => {
        const s = patientOf(ctx)
        const { boundary, body } = multipart(
          { _csrf: s.csrf, title: 'Compte rendu', category: 'AUTR_DOC', 'date-day': '3', 'date-month': '2', 'date-year': '2026' },
          { name: 'compte-rendu.pdf', type: 'application/pdf', bytes: pdf },
        )
        return {
          method: 'POST',
          path: '/documents/ajouter',
          body,
          headers: { cookie: s.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
        }
      },
      (ctx: Ctx): Req => {
        const s = patientOf(ctx)
        const body = new URLSearchParams({
          _csrf: s.csrf,
          professional: writeTo,
          body: 'Bonjour docteur, une question sur mon traitement.',
        }).toString()
        return {
          method: 'POST',
          path: '/messagerie/ecrire',
          body,
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        }
      },
      ...['/pro/patient', '/pro/patient/dossier'].map((p) => (ctx: Ctx): Req => ({
        method: 'GET',
        path: p,
        headers: { cookie: proOf(ctx).cookie },
      })),
    ]
    // BENCH_LOAD_ONLY=/remboursements[,/mes-autorisations]: only those requests of the mix (one page under load).
    const only = (process.env.BENCH_LOAD_ONLY ?? '').split(',').filter(Boolean)
    const chosen = only.length ? mix.filter((m) => only.includes(m({}).path)) : mix
    if (!chosen.length) throw new Error(`BENCH_LOAD_ONLY : aucune requête du mélange ne correspond (${only.join(', ')})`)
    // Every connection goes round the mix, each starting at its own place in it: at any moment the
    // requests in flight are spread over the whole mix (not every connection on the same page).
    const requests = [
      {
        setupRequest: (req: Record<string, unknown>, ctx: Ctx) => {
          const n = (ctx.n ??= nextConnection++)
          ctx.i = (ctx.i ?? n) + 1
          return { ...req, ...chosen[ctx.i % chosen.length](ctx) }
        },
        onResponse,
      },
    ]

    const results: Level[] = []
    for (const connections of levels) {
      with503.retryAfter = 0
      with503.without = 0
      const rssBefore = rssOf(server.child.pid!)
      const r = await autocannon({ url: base, connections, duration: seconds, requests: requests as never, timeout: 30 })
      const rssAfter = rssOf(server.child.pid!)
      // Recovery: how long until Camille's home page answers 200 again, once the load stops.
      const t0 = Date.now()
      let recoveryMs: number | undefined
      while (Date.now() - t0 < 60_000) {
        const res = await fetch(`${base}/mon-espace`, { headers: { cookie: patients[0].cookie } }).catch(() => undefined)
        await res?.arrayBuffer()
        if (res?.status === 200) {
          recoveryMs = Date.now() - t0
          break
        }
        await new Promise((res) => setTimeout(res, 100))
      }
      const statuses: Record<string, number> = {}
      for (const [code, s] of Object.entries(r.statusCodeStats as Record<string, { count: number }>)) statuses[code] = s.count
      const bad = Object.entries(statuses).reduce((n, [code, c]) => n + (Number(code) >= 400 ? c : 0), 0)
      results.push({
        connections,
        requestsPerSecond: Math.round(r.requests.average),
        total: r.requests.total,
        p50: r.latency.p50,
        p99: r.latency.p99,
        statuses,
        errors: bad + r.errors,
        socketErrors: r.errors,
        timeouts: r.timeouts,
        with503: { ...with503 },
        rssBefore,
        rssAfter,
        recoveryMs,
      })
      // A pause between levels: the queues drain, the next level starts on a quiet server.
      await new Promise((res) => setTimeout(res, 3000))
    }

    out.push(
      `Charge (issue 20) : serveur lancé comme \`npm start\` (base embarquée, sessions ${process.env.BENCH_LOAD_SESSIONS === 'redis' ? 'dans Redis' : 'dans PostgreSQL'}), ${seconds} s par palier, ${os.cpus().length} cœurs, charge de la machine au départ ${os.loadavg()[0].toFixed(1)}`,
      only.length
        ? `  Seulement : ${only.join(', ')}`
        : `  Mélange par connexion : ${pages.length} pages de Camille, un envoi de document, un message, 2 pages du professionnel (recherche faite à la connexion)`,
    )
    for (const l of results) {
      const codes = Object.entries(l.statuses)
        .map(([c, n]) => `${c}:${n}`)
        .join(' ')
      out.push(
        `  ${String(l.connections).padStart(3)} connexions : ${String(l.requestsPerSecond).padStart(5)} req/s, ${l.total} requêtes, p50 ${l.p50} ms, p99 ${l.p99} ms ; erreurs ${l.errors} (hors 2xx/3xx ; dont connexions échouées ${l.socketErrors}, délais dépassés ${l.timeouts})`,
        `      statuts ${codes} ; 503 avec Retry-After ${l.with503.retryAfter}, sans ${l.with503.without} ; RSS du serveur ${mb(l.rssBefore)} → ${mb(l.rssAfter)} ; de nouveau 200 après ${l.recoveryMs === undefined ? 'plus de 60 s' : `${l.recoveryMs} ms`}`,
      )
    }
    const timeoutsInLog = fs
      .readFileSync(server.logFile, 'utf8')
      .split('\n')
      .filter((l) => /Timeout acquiring a connection/.test(l)).length
    out.push(`  Journal du serveur : ${server.logFile} (« Timeout acquiring a connection » : ${timeoutsInLog} fois)`)
  } finally {
    await server.stop()
  }
  return out
}
