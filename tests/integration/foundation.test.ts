import request from 'supertest'
import express from 'express'
import helmet from 'helmet'
import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm } from '../helpers/http'
import { CAMILLE } from '../helpers/demo'
import { helmetOptions } from '../../src/middleware/security'

/** Helmet as it was used per request before its headers were computed once (same options). */
function setUpSecurityReference(app: express.Express, nonce: string): void {
  app.use((_req, res, next) => {
    res.locals.cspNonce = nonce
    next()
  })
  app.use(helmet(helmetOptions({ production: false })))
  app.get('/', (_req, res) => {
    res.send('ok')
  })
}

describe('socle : en-têtes, sessions, erreurs', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  it('sert l’accueil en français avec une CSP stricte à nonce', async () => {
    const res = await request(t.app).get('/')
    expect(res.status).toBe(200)
    const csp = res.headers['content-security-policy']
    const nonce = csp.match(/'nonce-([^']+)'/)?.[1]
    expect(nonce).toBeTruthy()
    for (const d of ["object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'", "default-src 'self'"])
      expect(csp).toContain(d)
    expect(csp).not.toContain('unsafe-inline')
    const $ = cheerio.load(res.text)
    expect($('html').attr('lang')).toBe('fr')
    $('script').each((_i, el) => {
      if (!$(el).attr('src')) expect($(el).attr('nonce')).toBe(nonce)
    })
    expect($('h1')).toHaveLength(1)
    expect(res.text).toContain('Activer mon profil')
    expect(res.text).toContain("M'opposer à la création")
    expect(res.text).toContain('Me connecter')
    expect(res.headers['x-powered-by']).toBeUndefined()
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers['strict-transport-security']).toBeUndefined()
    // A visitor reading a public page gets no session.
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it("les en-têtes de sécurité calculés une fois sont ceux d'helmet, avec un nonce neuf à chaque requête", async () => {
    const [one, two] = [await request(t.app).get('/'), await request(t.app).get('/')]
    const nonceOf = (csp: string) => csp.match(/'nonce-([^']+)'/)![1]
    const [n1, n2] = [nonceOf(one.headers['content-security-policy']), nonceOf(two.headers['content-security-policy'])]
    expect(n1).not.toBe(n2)
    expect(Buffer.from(n1, 'base64')).toHaveLength(16)
    // The reference: helmet's own middlewares on a bare Express app with the same options.
    const ref = express()
    setUpSecurityReference(ref, n1)
    const expected = await request(ref).get('/')
    const names = [
      'content-security-policy',
      'cross-origin-opener-policy',
      'cross-origin-resource-policy',
      'origin-agent-cluster',
      'referrer-policy',
      'x-content-type-options',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-frame-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
    ]
    for (const name of names) {
      expect(expected.headers[name]).toBeTruthy()
      expect([name, one.headers[name]]).toEqual([name, expected.headers[name]])
    }
    expect(one.headers['permissions-policy']).toBe('camera=(), microphone=(), geolocation=(), payment=(), usb=()')
    expect(one.headers['strict-transport-security']).toBeUndefined()
    expect(one.headers['cross-origin-embedder-policy']).toBeUndefined()
  })

  it('compresse les pages et sert les fichiers statiques pré-compressés, en cache un an', async () => {
    const home = await request(t.app).get('/').set('Accept-Encoding', 'br, gzip')
    expect(home.headers['content-encoding']).toMatch(/br|gzip/)
    const $ = cheerio.load(home.text)
    const css = $('link[rel="stylesheet"]').attr('href')!
    expect(css).toMatch(/^\/assets\/application\.[0-9a-f]{12}\.css$/)
    const res = await request(t.app).get(css).set('Accept-Encoding', 'br')
    expect(res.status).toBe(200)
    expect(res.headers['content-encoding']).toBe('br')
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(res.headers['content-type']).toContain('text/css')
    expect((await request(t.app).get('/assets/inconnu.css')).status).toBe(404)
  })

  it('répond 404 en français pour une page inconnue', async () => {
    const res = await request(t.app).get('/page-qui-n-existe-pas')
    expect(res.status).toBe(404)
    expect(res.text).toContain('Page introuvable')
    expect(res.text).toContain('<title>Page introuvable – Mon espace santé</title>')
  })

  it('refuse un formulaire sans jeton CSRF avec la page « session expirée », sans rien changer', async () => {
    const a = agent(t.app)
    const before = await t.db('outbox').count('* as n').first()
    const res = await a.post('/connexion').type('form').send({ login: CAMILLE.login, password: CAMILLE.password })
    expect(res.status).toBe(403)
    expect(res.text).toContain('Votre session a expiré')
    expect(res.headers['cache-control']).toBe('no-store')
    const stale = await a.post('/connexion').type('form').send({ _csrf: 'jeton-perime', login: CAMILLE.login, password: CAMILLE.password })
    expect(stale.status).toBe(403)
    const after = await t.db('outbox').count('* as n').first()
    expect(after).toEqual(before)
  })

  it('pose un cookie de session HttpOnly, SameSite=Lax, au nom non standard, de 15 minutes', async () => {
    const res = await request(t.app).get('/connexion')
    const cookie = res.headers['set-cookie']?.[0] ?? ''
    expect(cookie).toMatch(/^mes_session=/)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    expect(cookie).not.toContain('Secure')
    const expires = new Date(cookie.match(/Expires=([^;]+)/)![1]).getTime()
    // 15 minutes idle (a minute of margin: the machine may be slow, this is not a speed check).
    expect(Math.abs(expires - Date.now() - 15 * 60 * 1000)).toBeLessThan(60_000)
  })

  it("ne réécrit pas la session d'un parcours sur une requête annexe (icône, page inconnue) : l'étape enregistrée ne peut pas être écrasée", async () => {
    const first = await request(t.app).get('/connexion')
    const cookie = first.headers['set-cookie'][0].split(';')[0]
    // The browser's own request for an icon never reaches the session.
    const icon = await request(t.app).get('/favicon.ico').set('Cookie', cookie)
    expect(icon.status).toBe(301)
    expect(icon.headers.location).toMatch(/^\/assets\/favicon\.[0-9a-f]+\.svg$/)
    expect(icon.headers['set-cookie']).toBeUndefined()
    // A side page read with the session of a journey does not save it again (an older copy
    // written back after the next step was recorded would lose that step).
    const side = await request(t.app).get('/page-inconnue').set('Cookie', cookie)
    expect(side.status).toBe(404)
    expect(side.headers['set-cookie']).toBeUndefined()
    // The journey goes on with the same session.
    const again = await request(t.app).get('/connexion').set('Cookie', cookie)
    expect(again.headers['set-cookie']).toBeUndefined()
  })

  it('refuse un corps trop volumineux avec une page 413', async () => {
    const res = await request(t.app)
      .post('/connexion')
      .type('form')
      .send({ login: 'x'.repeat(100_000) })
    expect(res.status).toBe(413)
    expect(res.text).toContain('Envoi trop volumineux')
  })

  it('ne met jamais en cache une page derrière la connexion', async () => {
    const a = agent(t.app)
    await signIn(a, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const res = await a.get('/mon-espace')
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    // Even a public page, once signed in, shows the person's name: not cached either.
    expect((await a.get('/')).headers['cache-control']).toBe('no-store')
  })

  it('renvoie vers la connexion pour une page protégée sans session', async () => {
    const res = await request(t.app).get('/mon-espace')
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/connexion')
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('/health vérifie la base et le stockage des sessions', async () => {
    const res = await request(t.app).get('/health')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'ok', sessionStore: { kind: 'redis', status: 'ok' } } })
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it('affiche les courriels envoyés sur la page de développement', async () => {
    const a = agent(t.app)
    await submitForm(a, '/connexion', { login: CAMILLE.login, password: CAMILLE.password })
    const res = await a.get('/dev/outbox')
    expect(res.status).toBe(200)
    expect(res.text).toContain('Courriels et SMS envoyés')
    expect(res.text).toContain('Votre code de connexion')
    expect(res.text).toContain(CAMILLE.email)
  })
})

describe('socle : pannes', () => {
  it('répond 503 sur une page derrière la connexion quand Redis est injoignable, et /health le dit', async () => {
    const t = await createTestApp({ redisUrl: 'redis://127.0.0.1:1' })
    try {
      const page = await request(t.app).get('/mon-espace')
      expect(page.status).toBe(503)
      expect(page.text).toContain('Service momentanément indisponible')
      expect(page.text).not.toContain('Bonjour')
      const form = await request(t.app).get('/connexion')
      expect(form.status).toBe(503)
      const health = await request(t.app).get('/health')
      expect(health.status).toBe(503)
      expect(health.body.checks.sessionStore.status).toBe('indisponible')
      expect(health.body.checks.database).toBe('ok')
    } finally {
      await t.close()
    }
  })

  it('répond 500 avec une référence et sans trace technique quand une erreur survient', async () => {
    const t = await createTestApp()
    try {
      // A real fault: the table behind the page disappears.
      await t.database.admin.raw('ALTER TABLE outbox RENAME TO outbox_cache')
      const res = await request(t.app).get('/dev/outbox')
      expect(res.status).toBe(500)
      expect(res.text).toContain('Une erreur est survenue')
      const ref = cheerio.load(res.text)('#reference').text().trim()
      expect(ref).toMatch(/^[0-9A-F]{8}$/)
      expect(res.headers['x-request-id'].replace(/-/g, '').slice(0, 8).toUpperCase()).toBe(ref)
      expect(res.text).not.toMatch(/at \w+ \(|relation "outbox"|stack/i)
    } finally {
      await t.close()
    }
  })

  it('en production : HSTS d’un an, cookie Secure, pas de page de développement', async () => {
    const t = await createTestApp({ env: { NODE_ENV: 'production', DEV_OUTBOX: 'false' } })
    try {
      const res = await request(t.app).get('/connexion').set('X-Forwarded-Proto', 'https')
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')
      expect((await request(t.app).get('/dev/outbox')).status).toBe(404)
    } finally {
      await t.close()
    }
  })

  it('fonctionne aussi avec les sessions dans PostgreSQL', async () => {
    const t = await createTestApp({ sessions: 'postgres' })
    try {
      const a = agent(t.app)
      await signIn(a, t.db, 'patient', CAMILLE.login, CAMILLE.password)
      expect((await a.get('/mon-espace')).status).toBe(200)
      const rows = await t.db('sessions').count('* as n').first()
      expect(Number(rows!.n)).toBeGreaterThan(0)
      const health = await request(t.app).get('/health')
      expect(health.body.checks.sessionStore).toEqual({ kind: 'postgres', status: 'ok' })
    } finally {
      await t.close()
    }
  })
})
