import pg from 'pg'
import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, signIn, type Agent } from '../helpers/http'
import { CAMILLE } from '../helpers/demo'
import { ADMIN_DATABASE_URL } from '../helpers/env'

/**
 * Issue 15, §3: when PostgreSQL's connections are killed (a restart, a fail-over), requests during the
 * fault get the 503 page with a reference, never a 500, and nobody is signed out: afterwards the same
 * browser is still signed in, and a form sent again goes through. With both session stores.
 */

const PAGES = ['/mon-espace', '/documents', '/profil-medical', '/agenda', '/historique', '/messagerie']

async function killBackends(admin: pg.Client, database: string): Promise<number> {
  const r = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
    database,
  ])
  return r.rowCount ?? 0
}

for (const sessions of ['redis', 'postgres'] as const) {
  describe(`panne de PostgreSQL sous une navigation connectée (sessions dans ${sessions})`, () => {
    let t: TestApp
    let admin: pg.Client
    let camille: Agent
    beforeAll(async () => {
      t = await createTestApp({ sessions })
      admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
      await admin.connect()
      camille = agent(t.app)
      await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    })
    afterAll(async () => {
      await admin?.query(`ALTER DATABASE ${t.database.name} ALLOW_CONNECTIONS true`).catch(() => undefined)
      await admin?.end()
      await t?.close()
    })

    it('pendant la panne : 503 avec une référence, jamais 500 ; après : toujours connecté, et le formulaire renvoyé passe', async () => {
      expect((await camille.get('/mon-espace')).status).toBe(200)
      const settings = await camille.get('/documents/parametres')
      const token = csrfOf(settings.text)

      // Signed-in traffic under way when the backends are killed.
      const seen: Record<number, number> = {}
      let stop = false
      const traffic = async () => {
        for (let i = 0; !stop; i++) {
          const res = await camille.get(PAGES[i % PAGES.length])
          seen[res.status] = (seen[res.status] ?? 0) + 1
          if (res.status === 303) throw new Error(`déconnecté pendant la panne (${res.headers.location})`)
        }
      }
      const runners = [traffic(), traffic(), traffic()]
      try {
        // The database restarts: it refuses new connections and its backends are killed, twice.
        await admin.query(`ALTER DATABASE ${t.database.name} ALLOW_CONNECTIONS false`)
        await killBackends(admin, t.database.name)
        await new Promise((r) => setTimeout(r, 200))
        await killBackends(admin, t.database.name)

        // Every page during the fault: the 503 page with a reference (and the session left alone).
        for (const page of PAGES) {
          const res = await camille.get(page)
          expect([page, res.status]).toEqual([page, 503])
          expect(res.text).toContain('Service momentanément indisponible')
          expect(cheerio.load(res.text)('.mes-reference').text().trim()).toMatch(/^[0-9A-F]{8}$/)
          expect(res.headers['set-cookie']).toBeUndefined()
        }
        const post = await camille.post('/documents/parametres').type('form').send({ _csrf: token, maskNew: 'oui' })
        expect(post.status).toBe(503)

        // Back up; the traffic goes on across the last kills.
        await admin.query(`ALTER DATABASE ${t.database.name} ALLOW_CONNECTIONS true`)
        for (let k = 0; k < 5; k++) {
          await killBackends(admin, t.database.name)
          await new Promise((r) => setTimeout(r, 30))
        }
      } finally {
        stop = true
      }
      const ended = await Promise.allSettled(runners)
      expect(ended.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([])
      expect(seen[500]).toBeUndefined()
      expect(seen[503]).toBeGreaterThan(0)

      // Still signed in, with the same session (its form token still good): the form sent again passes.
      const home = await camille.get('/mon-espace')
      expect(home.status).toBe(200)
      expect(home.text).toContain('Camille')
      const again = await camille.post('/documents/parametres').type('form').send({ _csrf: token, maskNew: 'oui' })
      expect(again.status).toBe(303)
      expect(again.headers.location).toBe('/documents')
    })
  })
}
