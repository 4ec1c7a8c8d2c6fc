import crypto from 'node:crypto'
import PgBoss from 'pg-boss'
import request from 'supertest'
import { createTestDatabase, type TestApp, type TestDatabase } from '../helpers/testApp'
import { TEST_REDIS_URL, TEST_SECRETS } from '../helpers/env'
import { freePort, startAppProcess, startHaproxy, type Started } from '../helpers/scaleOut'
import { startS3, type TestS3 } from '../helpers/s3'
import { connectService, fhirGet, oidcClient, type OAuthApp } from '../helpers/oauth'
import { csrfOf, signIn, type Agent } from '../helpers/http'
import { CAMILLE } from '../helpers/demo'
import { closeRedis, connectRedis, createRedis } from '../../src/infrastructure/redis'
import { createLogger } from '../../src/infrastructure/logger'
import { createActivityLog } from '../../src/features/history/activity'
import { createClientRegistry } from '../../src/features/fhir/clients'

jest.setTimeout(180_000)

/**
 * Issue 17 §6: two app processes (src/server.ts, as `npm start` runs it, jobs on in both) behind
 * Debian's haproxy, round robin request by request with no stickiness, sharing PostgreSQL, Redis
 * and an S3 store (s3rver). haproxy names the instance of each answer (X-Instance: a or b).
 * One set-up for every assertion (two processes take a while to start).
 */
describe('deux instances derrière haproxy', () => {
  let database: TestDatabase
  let s3: TestS3
  let apps: Started[] = []
  let lb: Started
  let base: string
  const prefix = `test:scale-${crypto.randomBytes(4).toString('hex')}:`
  const served: string[] = []
  const instance = (r: { headers: Record<string, string> }) => {
    const who = r.headers['x-instance']
    served.push(who)
    return who
  }

  beforeAll(async () => {
    ;[database, s3] = await Promise.all([createTestDatabase(), startS3()])
    // A deployment that already ran: pg-boss installed and the job scheduled (so the first cron
    // check of the processes, at their start, sends it: no waiting for pg-boss's next check, 30 s later).
    const boss = new PgBoss({ connectionString: database.url, schema: 'pgboss', schedule: false, supervise: false, max: 1 })
    await boss.start()
    await boss.createQueue('object-removals')
    await boss.schedule('object-removals', '* * * * *', {}, { tz: 'Europe/Paris' })
    await boss.stop({ graceful: false, wait: true })
    const [lbPort, portA, portB] = [await freePort(), await freePort(), await freePort()]
    base = `http://127.0.0.1:${lbPort}`
    const env = {
      ...TEST_SECRETS,
      ...s3.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      DATABASE_POOL_MAX: '4',
      JOBS_DATABASE_POOL_MAX: '2',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      PUBLIC_URL: base,
      TRUST_PROXY: 'loopback',
      RUN_JOBS: 'true',
      DEV_OUTBOX: 'true',
    }
    // Started together: both apply the (already applied) migrations and start pg-boss at once.
    apps = await Promise.all([startAppProcess(env, portA), startAppProcess(env, portB)])
    lb = await startHaproxy([portA, portB], lbPort)
  })
  afterAll(async () => {
    await lb?.stop()
    await Promise.all(apps.map((a) => a.stop()))
    await s3?.close()
    const redis = createRedis(TEST_REDIS_URL, createLogger('silent'))
    await connectRedis(redis, createLogger('silent'), 1000)
    const keys = await redis.keys(`${prefix}*`).catch(() => [] as string[])
    if (keys.length) await redis.del(keys)
    await closeRedis(redis)
    await database?.drop()
  })

  it('les requêtes alternent entre les deux instances', async () => {
    const who = []
    for (let i = 0; i < 4; i++) who.push(instance(await request(base).get('/health')))
    expect(new Set(who)).toEqual(new Set(['a', 'b']))
    expect(who[0]).not.toBe(who[1])
  })

  let camille: Agent
  it('connexion, session et formulaire à moitié rempli passent d’une instance à l’autre', async () => {
    camille = request.agent(base)
    const start = served.length
    // Password on one instance, code on the other (CSRF token and pending sign-in in the shared session).
    await signIn(camille, database.db, 'patient', CAMILLE.login, CAMILLE.password)
    const pages = [await camille.get('/'), await camille.get('/'), await camille.get('/documents')]
    for (const p of pages) {
      expect(p.status).toBe(200)
      expect(p.text).toContain('Camille')
      instance(p)
    }
    expect(new Set(served.slice(start))).toEqual(new Set(['a', 'b']))
    // A journey in steps (activation): step 1 on one instance, step 2 on the other, which finds
    // step 1's answer in the session and takes the person to step 3.
    const jean = request.agent(base)
    const form = await jean.get('/activer-mon-profil')
    const first = await jean
      .post('/activer-mon-profil')
      .type('form')
      .send({ _csrf: csrfOf(form.text), code: '7K3M Q9TX 4WPB' })
    expect(first.status).toBe(303)
    const second = await jean.get(first.headers.location)
    const [firstBy, secondBy] = [instance(first), instance(second)]
    expect(secondBy).not.toBe(firstBy)
    expect(second.text).toContain('7K3M Q9TX 4WPB')
    const identity = await jean
      .post('/activer-mon-profil/identite')
      .type('form')
      .send({
        _csrf: csrfOf(second.text),
        nir: '1 50 11 69 123 045 32',
        'birthDate-day': '2',
        'birthDate-month': '11',
        'birthDate-year': '1950',
      })
    expect(identity.headers.location).toBe('/activer-mon-profil/identifiant')
    expect(instance(identity)).not.toBe(secondBy)
  })

  it('les limites sont communes : 6 essais ratés répartis sur les deux instances font attendre l’identifiant', async () => {
    // Sign-in throttling (issue 15): 5 free failures per login and address, then a wait that doubles.
    // The failures are counted in Redis, so both instances see all of them.
    const a = request.agent(base)
    const page = await a.get('/connexion')
    const token = csrfOf(page.text)
    const seen: string[] = []
    for (let i = 0; i < 6; i++) {
      const r = await a
        .post('/connexion')
        .type('form')
        .send({ _csrf: token, login: 'cible.partagee', password: `essai ${i}` })
      expect(r.status).toBe(400)
      seen.push(instance(r))
    }
    expect(seen.filter((s) => s === 'a').length).toBe(3)
    expect(seen.filter((s) => s === 'b').length).toBe(3)
    const last = await a.post('/connexion').type('form').send({ _csrf: token, login: 'cible.partagee', password: 'encore' })
    expect(last.status).toBe(429)
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0)
    expect(last.text).toContain('Trop de tentatives de connexion incorrectes pour cet identifiant')
  })

  it('un document déposé par une instance se télécharge par l’autre (stockage S3 commun)', async () => {
    const bytes = crypto.randomBytes(300 * 1024)
    bytes.write('%PDF-1.4\n', 0, 'latin1')
    const form = await camille.get('/documents/ajouter')
    const up = await camille
      .post('/documents/ajouter')
      .field('_csrf', csrfOf(form.text))
      .field('title', 'Deux instances')
      .field('category', 'AUTR_DOC')
      .field('date-day', '1')
      .field('date-month', '2')
      .field('date-year', '2026')
      .attach('file', bytes, 'deux.pdf')
    expect(up.status).toBe(303)
    const uploadedBy = instance(up)
    const id = up.headers.location.split('/').pop()
    const download = () =>
      camille
        .get(`/documents/${id}/telecharger`)
        .buffer(true)
        .parse((res, cb) => {
          const parts: Buffer[] = []
          res.on('data', (c: Buffer) => parts.push(c))
          res.on('end', () => cb(null, Buffer.concat(parts)))
        })
    let dl = await download()
    if (instance(dl) === uploadedBy) dl = await download()
    expect(served[served.length - 1]).not.toBe(uploadedBy)
    expect(dl.status).toBe(200)
    expect((dl.body as Buffer).equals(bytes)).toBe(true)
    expect((await database.db('documents').where({ id }).first()).object_key).toBe(`documents/${id}`)
  })

  it('un jeton FHIR révoqué par une instance est refusé aussitôt par les deux', async () => {
    const clients = createClientRegistry({
      db: database.db,
      activity: createActivityLog(database.db),
      masterKey: Buffer.from(TEST_SECRETS.DOCUMENT_MASTER_KEY, 'hex'),
    })
    const client = { id: `svc_scale_${crypto.randomBytes(3).toString('hex')}`, secret: `secret-${crypto.randomBytes(8).toString('hex')}` }
    await clients.createWithSecret(database.db, client.id, client.secret, {
      name: 'Balance connectée',
      redirectUris: ['http://127.0.0.1:9/callback'],
      scopes: ['patient.read'],
    })
    const o = { t: { db: database.db } as TestApp, base } as OAuthApp
    const { tokens, config } = await connectService(o, client, ['patient.read'], ['patient.read'], camille)
    const patientId = (await database.db('accounts').where({ login: CAMILLE.login }).first()).person_id
    // Both instances accept it, and keep it in their cache.
    const before = [
      await fhirGet(o, `/Patient/${patientId}`, tokens.access_token),
      await fhirGet(o, `/Patient/${patientId}`, tokens.access_token),
    ]
    expect(before.map((r) => r.status)).toEqual([200, 200])
    expect(new Set(before.map(instance))).toEqual(new Set(['a', 'b']))
    await oidcClient.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' })
    // At once, on both (well within the caches' 5 seconds).
    const after = [
      await fhirGet(o, `/Patient/${patientId}`, tokens.access_token),
      await fhirGet(o, `/Patient/${patientId}`, tokens.access_token),
    ]
    expect(after.map((r) => r.status)).toEqual([401, 401])
    expect(new Set(after.map(instance))).toEqual(new Set(['a', 'b']))
  })

  it('une tâche planifiée (chaque minute) ne tourne qu’une fois par échéance, pas une fois par instance', async () => {
    const jobs = async () =>
      (
        await database.db.raw(
          "SELECT date_trunc('minute', created_on) AS minute, state FROM pgboss.job WHERE name = 'object-removals' ORDER BY created_on",
        )
      ).rows as { minute: Date; state: string }[]
    // pg-boss's cron check runs every 30 s in each process: wait for the first run (bounded).
    const until = Date.now() + 100_000
    while (!(await jobs()).some((j) => j.state === 'completed') && Date.now() < until) await new Promise((r) => setTimeout(r, 500))
    const rows = await jobs()
    expect(rows.some((j) => j.state === 'completed')).toBe(true)
    // One job per minute, whatever the number of instances; and it ran in one process only.
    const minutes = rows.map((j) => new Date(j.minute).toISOString())
    expect(new Set(minutes).size).toBe(minutes.length)
    const done = rows.filter((j) => j.state === 'completed').length
    const runs = apps.map(
      (a) =>
        a
          .output()
          .split('\n')
          .filter((l) => l.includes('"job":"object-removals"') && l.includes('tâche terminée')).length,
    )
    expect(runs[0] + runs[1]).toBe(done)
    // Both processes run the job queue (each could have scheduled it).
    for (const a of apps) expect(a.output()).toContain('file de tâches démarrée')
  })
})
