import { Readable } from 'node:stream'
import request from 'supertest'
import { ADMIN_DATABASE_URL, TEST_ROLES } from '../helpers/env'
import { startPgBouncer } from '../helpers/scaleOut'
import { connectService, fhirGet, registerClient, startOAuthApp, type OAuthApp } from '../helpers/oauth'
import { csrfOf, signIn, type Agent } from '../helpers/http'
import { CAMILLE } from '../helpers/demo'
import { CSV_HEADER, nirFor } from '../helpers/backoffice'
import type { TestDatabase } from '../helpers/testApp'
import { SYSTEM_ACTOR } from '../../src/domain/actor'
import { simplePdf } from '../../src/infrastructure/simplePdf'
import { startJobs } from '../../src/infrastructure/jobs'
import { createLogger } from '../../src/infrastructure/logger'

jest.setTimeout(120_000)

/**
 * Issue 17 §5: the app behind PgBouncer (Debian's, started here) in TRANSACTION pooling mode, with
 * fewer server connections than the app's pool: consecutive transactions of one client run on
 * different server connections, so anything kept on a session (a prepared statement, a `SET`, a
 * temporary table, a session advisory lock) breaks. Sign-in, documents, the FHIR search (its one
 * round-trip fast path), the bulk import (two connections, batches), a pg-boss job.
 */
describe('derrière PgBouncer en mode transaction', () => {
  let o: OAuthApp
  let camille: Agent
  beforeAll(async () => {
    const admin = new URL(ADMIN_DATABASE_URL)
    o = await startOAuthApp(
      {},
      {
        async pooler(database: TestDatabase) {
          // A copy of the template does not inherit the database's settings: set them as on a real
          // database (the migration 20261207_1420 does it there).
          await database.admin.raw(`ALTER DATABASE ${database.name} SET timezone TO 'Europe/Paris'`)
          await database.admin.raw(`ALTER DATABASE ${database.name} SET statement_timeout TO '30s'`)
          const bouncer = await startPgBouncer({
            host: admin.hostname,
            port: Number(admin.port || 5432),
            database: database.name,
            user: TEST_ROLES.app, // the application's own role, as everywhere else
            poolSize: 2,
          })
          return {
            url: `postgres://${TEST_ROLES.app}@127.0.0.1:${bouncer.port}/${database.name}`,
            stop: () => bouncer.stop(),
          }
        },
      },
    )
    camille = request.agent(o.base)
  })
  afterAll(async () => {
    await o?.close()
  })

  it('passe bien par PgBouncer, en mode transaction, avec les réglages de session de la base', async () => {
    expect(o.t.config.databasePooler).toBe('pgbouncer')
    const conf = o.t.db.client.config.connection as { connectionString: string; options?: string }
    expect(conf.options).toBeUndefined() // PgBouncer 1.18 would refuse the start-up `options`
    const { rows } = await o.t.db.raw("SELECT current_setting('TimeZone') AS tz, current_setting('statement_timeout') AS timeout")
    expect(rows[0]).toEqual({ tz: 'Europe/Paris', timeout: '30s' })
    // Two transactions of one client, side by side: PgBouncer gives each a server connection of its own.
    const pids = await Promise.all(
      [1, 2].map(() => o.t.db.transaction(async (trx) => (await trx.raw('SELECT pg_backend_pid() AS p')).rows[0].p)),
    )
    expect(pids).toHaveLength(2)
  })

  it('connexion (mot de passe puis code), pages, dépôt et téléchargement d’un document', async () => {
    await signIn(camille, o.t.db, 'patient', CAMILLE.login, CAMILLE.password)
    for (const page of ['/', '/documents', '/profil-medical', '/historique']) expect((await camille.get(page)).status).toBe(200)
    const form = await camille.get('/documents/ajouter')
    const pdf = simplePdf(['Derrière PgBouncer'])
    const up = await camille
      .post('/documents/ajouter')
      .field('_csrf', csrfOf(form.text))
      .field('title', 'Par PgBouncer')
      .field('category', 'AUTR_DOC')
      .field('date-day', '1')
      .field('date-month', '2')
      .field('date-year', '2026')
      .attach('file', pdf, 'pgbouncer.pdf')
    expect(up.status).toBe(303)
    const id = up.headers.location.split('/').pop()
    const dl = await camille
      .get(`/documents/${id}/telecharger`)
      .buffer(true)
      .parse((res, cb) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () => cb(null, Buffer.concat(parts)))
      })
    expect(dl.status).toBe(200)
    expect((dl.body as Buffer).equals(pdf)).toBe(true)
  })

  it('API FHIR : jeton, recherche (le chemin rapide en un aller-retour), plusieurs fois de suite', async () => {
    const client = await registerClient(o.t, { scopes: ['patient.read', 'observation.read'] })
    const { tokens } = await connectService(o, client, ['patient.read', 'observation.read'], ['patient.read', 'observation.read'], camille)
    // The first search decides in two round trips, the next ones in one; at once, they share one.
    for (let i = 0; i < 3; i++) {
      const r = await fhirGet(o, '/Observation?code=29463-7', tokens.access_token)
      expect(r.status).toBe(200)
      expect(r.body.resourceType).toBe('Bundle')
      expect(r.body.total).toBeGreaterThan(0)
    }
    const together = await Promise.all(Array.from({ length: 6 }, () => fhirGet(o, '/Observation?code=29463-7', tokens.access_token)))
    expect(together.map((r) => r.status)).toEqual(Array(6).fill(200))
  })

  it('import des assurés : lots sur deux connexions, table de travail et réglages dans la transaction de chaque lot', async () => {
    const people = Array.from({ length: 7 }, (_, i) => {
      const birth = `19${70 + i}-0${(i % 9) + 1}-1${i}`
      return `${nirFor(i % 2 ? 'M' : 'F', birth, 300 + i)};Bouncer;Personne${i};${i % 2 ? 'M' : 'F'};${birth};;${i} rue du Pool;;75011;Paris;;`
    })
    const csv = [CSV_HEADER, ...people, 'pas;une;ligne'].join('\n')
    const s = await o.t.services.imports.run(Readable.from([csv]), {
      actor: SYSTEM_ACTOR,
      source: 'cli',
      filename: 'pool.csv',
      batchSize: 2,
    })
    expect(s).toMatchObject({ status: 'done', rowsOk: 7, rowsBad: 1, inserted: 7 })
    expect(await o.t.db('insured_persons').where({ last_name: 'Bouncer' })).toHaveLength(7)
    // The staging table did not outlive its transactions.
    expect((await o.t.db.raw("SELECT count(*)::int AS n FROM pg_class WHERE relname = 'person_import_staging'")).rows[0].n).toBe(0)
  })

  it('pg-boss : la file de tâches démarre et fait une tâche à travers PgBouncer', async () => {
    let done!: () => void
    const ran = new Promise<void>((r) => (done = r))
    const jobs = await startJobs(
      String((o.t.db.client.config.connection as { connectionString: string }).connectionString),
      [{ name: 'essai-pgbouncer', description: 'essai', run: async () => void done() }],
      createLogger('silent'),
      { poolMax: 2 },
    )
    try {
      await jobs.send('essai-pgbouncer', {})
      await ran
    } finally {
      await jobs.stop()
    }
  })
})
