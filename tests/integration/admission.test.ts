import http from 'node:http'
import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { createDb, PoolQueueFullError } from '../../src/infrastructure/database'
import { isUnavailable } from '../../src/errors'

/**
 * Issue 20 §2: past what an instance serves, requests wait in a bounded queue, then get the French
 * 503 page with Retry-After; /health and /ready answer all the same (/ready: «occupe» while the queue
 * is full). Saturated deterministically: one request served at once, one waiting, the first one held
 * open by a form body that has not finished arriving.
 */

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

function get(base: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(base + path, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      })
      .on('error', reject)
  })
}

/** A form post whose body arrives only when `finish` is called: it holds its place in the admission limit. */
function heldPost(base: string): { answer: Promise<Answer>; finish(): void } {
  const body = 'login=x&password=y&_csrf=z'
  const req = http.request(base + '/connexion', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
  })
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }))
    })
    req.on('error', reject)
  })
  req.write(body.slice(0, 5))
  return { answer, finish: () => req.end(body.slice(5)) }
}

async function readyUntil(
  base: string,
  check: (r: { status: number; json: { admission: { enCours: number; enAttente: number } } }) => boolean,
) {
  for (let i = 0; i < 500; i++) {
    const r = await get(base, '/ready')
    const json = JSON.parse(r.body)
    if (check({ status: r.status, json })) return { status: r.status, json }
    await new Promise((res) => setTimeout(res, 20))
  }
  throw new Error("/ready n'a jamais atteint l'état attendu")
}

describe('admission : file bornée, puis 503 voulu avec Retry-After (issue 20)', () => {
  let t: TestApp
  let base: string
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        ADMISSION_CONCURRENCY: '1',
        ADMISSION_QUEUE_MAX: '1',
        ADMISSION_QUEUE_TIMEOUT_MS: '60000',
        ADMISSION_RETRY_AFTER_SECONDS: '7',
      },
    })
    base = await t.listen()
  })
  afterAll(async () => {
    await t?.close()
  })

  it('une demande servie, une en attente, la suivante reçoit la page 503 en français avec Retry-After ; /health et /ready répondent', async () => {
    expect((await get(base, '/ready')).status).toBe(200)
    const held = heldPost(base)
    await readyUntil(base, (r) => r.json.admission.enCours === 1)
    const waiting = get(base, '/connexion')
    const full = await readyUntil(base, (r) => r.json.admission.enAttente === 1)
    // The queue is full: a load balancer is told to send the next requests elsewhere.
    expect(full.status).toBe(503)
    expect(full.json).toMatchObject({ status: 'occupe' })

    const refused = await get(base, '/mon-espace')
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBe('7')
    expect(refused.headers['cache-control']).toContain('no-store')
    const $ = cheerio.load(refused.body)
    expect($('h1').text()).toBe('Service momentanément indisponible')
    expect($('main').text()).toContain('Réessayez dans quelques secondes')

    // Health answers even so (it is not behind the limit).
    const health = await get(base, '/health')
    expect(health.status).toBe(200)
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' })

    // The held request ends: the waiting one is served, the instance is ready again.
    held.finish()
    expect((await held.answer).status).toBe(403) // a form without a valid CSRF token, answered normally
    expect((await waiting).status).toBe(200)
    const ready = await readyUntil(base, (r) => r.status === 200 && r.json.admission.enCours === 0)
    expect(ready.json).toMatchObject({ status: 'pret', admission: { enCours: 0, enAttente: 0 } })
    expect((await get(base, '/connexion')).status).toBe(200)
  })

  it('une demande qui attend trop longtemps reçoit la page 503 avec Retry-After, et sa place est libérée', async () => {
    const u = await createTestApp({ env: { ADMISSION_CONCURRENCY: '1', ADMISSION_QUEUE_MAX: '5', ADMISSION_QUEUE_TIMEOUT_MS: '200' } })
    try {
      const ubase = await u.listen()
      const held = heldPost(ubase)
      await readyUntil(ubase, (r) => r.json.admission.enCours === 1)
      const late = await get(ubase, '/connexion')
      expect(late.status).toBe(503)
      expect(late.headers['retry-after']).toBe('5')
      const after = await readyUntil(ubase, (r) => r.json.admission.enAttente === 0)
      expect(after.status).toBe(200)
      held.finish()
      await held.answer
      expect((await get(ubase, '/connexion')).status).toBe(200)
    } finally {
      await u.close()
    }
  })
})

describe('pool de connexions : file d’attente bornée (DATABASE_POOL_QUEUE_MAX)', () => {
  it('au-delà de la file, une demande de connexion échoue aussitôt (503), les autres sont servies', async () => {
    const t = await createTestApp()
    const db = createDb(t.database.url, 1, { queueMax: 1, acquireTimeoutMs: 30_000 })
    try {
      let release!: () => void
      const holding = db.transaction(async (trx) => {
        await trx.raw('SELECT 1')
        await new Promise<void>((r) => (release = r))
      })
      while (!release) await new Promise((r) => setTimeout(r, 10))
      // (A knex query runs when its promise is asked for.)
      const waiting = db.raw('SELECT 2 AS n').then((r) => r)
      // The second one reaches the pool's waiting line.
      const pool = (db.client as { pool: { numPendingAcquires(): number } }).pool
      while (pool.numPendingAcquires() < 1) await new Promise((r) => setTimeout(r, 10))
      const third = await db.raw('SELECT 3').then(
        () => undefined,
        (err: unknown) => err,
      )
      expect(third).toBeInstanceOf(PoolQueueFullError)
      expect(isUnavailable(third)).toBe(true)
      release()
      await holding
      expect((await waiting).rows[0].n).toBe(2)
    } finally {
      await db.destroy()
      await t.close()
    }
  })
})
