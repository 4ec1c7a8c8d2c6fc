import request from 'supertest'
import pg from 'pg'
import { ADMIN_DATABASE_URL } from '../helpers/env'
import { Writable } from 'node:stream'
import { createApp } from '../../src/app'
import { createLogger } from '../../src/infrastructure/logger'
import { CAMILLE, DEMO_PERSONS, LOUIS } from '../helpers/demo'
import {
  connectService,
  fhirGet,
  registerClient,
  startOAuthApp,
  oidcClient,
  type OAuthApp,
  discover,
  authorizationUrl,
} from '../helpers/oauth'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'

let o: OAuthApp
let camilleId: string
let leoId: string
let camille: Agent

beforeAll(async () => {
  o = await startOAuthApp({ FHIR_RATE_LIMIT_PER_MINUTE: '12' })
  camilleId = (await o.t.db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()).id
  leoId = (await o.t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
  // One browser for Camille, signed in once (the one-time codes are limited per account).
  camille = request.agent(o.base)
  await signIn(camille, o.t.db, 'patient', CAMILLE.login, CAMILLE.password)
})
afterAll(async () => {
  await o?.close()
})

describe('FHIR API behind the OAuth flow (openid-client)', () => {
  test('code + PKCE, consent per category, then Patient; the token carries only what was ticked', async () => {
    const client = await registerClient(o.t, { scopes: ['patient.read', 'observation.read', 'observation.write'] })
    const { tokens, config } = await connectService(
      o,
      client,
      ['patient.read', 'observation.read', 'observation.write'],
      ['patient.read', 'observation.read'],
      camille,
    )
    expect(tokens.access_token).toEqual(expect.any(String))
    expect(tokens.refresh_token).toEqual(expect.any(String))
    expect(tokens.expires_in).toBeLessThanOrEqual(600)
    expect(tokens.scope.split(' ')).toEqual(expect.arrayContaining(['patient.read', 'observation.read']))
    expect(tokens.scope.split(' ')).not.toContain('observation.write')

    const me = await fhirGet(o, `/Patient/${camilleId}`, tokens.access_token)
    expect(me.status).toBe(200)
    expect(me.headers['content-type']).toMatch(/^application\/fhir\+json/)
    expect(me.headers['cache-control']).toBe('no-store')
    // Mounted before the page middlewares: its own security headers, no session cookie.
    expect(me.headers['x-content-type-options']).toBe('nosniff')
    expect(me.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'")
    expect(me.headers['set-cookie']).toBeUndefined()
    expect(me.headers['content-length']).toBe(String(Buffer.byteLength(me.text)))
    expect(me.body).toMatchObject({
      resourceType: 'Patient',
      id: camilleId,
      name: [{ family: 'Martin', given: ['Camille'] }],
      birthDate: '1968-03-14',
      gender: 'female',
    })
    expect(JSON.stringify(me.body)).not.toContain(DEMO_PERSONS.camille.nir)

    const search = await fhirGet(o, '/Patient', tokens.access_token)
    expect(search.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 })

    // Every call is in Camille's history, by the service.
    const rows = await o.t.db('activity_log').where({ subject_person_id: camilleId, actor_role: 'service' }).orderBy('id')
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['fhir.read']))
    expect(rows[0].actor_name).toBe('Withings Health Mate')

    // Refresh: a new access token that works; the old refresh token is rotated.
    const refreshed = await oidcClient.refreshTokenGrant(config, tokens.refresh_token)
    expect(refreshed.access_token).not.toBe(tokens.access_token)
    expect((await fhirGet(o, `/Patient/${camilleId}`, refreshed.access_token)).status).toBe(200)
    await expect(oidcClient.refreshTokenGrant(config, tokens.refresh_token)).rejects.toThrow()
  })

  test('another patient id: 404 OperationOutcome; wrong scope: 403; no token, bad token: 401', async () => {
    const client = await registerClient(o.t, { scopes: ['patient.read', 'document.read'] })
    const { tokens } = await connectService(o, client, ['document.read'], ['document.read'], camille)
    const other = await fhirGet(o, `/Patient/${leoId}`, tokens.access_token)
    expect(other.status).toBe(403) // patient.read was not even asked: the scope check comes first
    expect(other.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden' }] })

    const c2 = await registerClient(o.t, { scopes: ['patient.read'] })
    const t2 = (await connectService(o, c2, ['patient.read'], ['patient.read'], camille)).tokens
    const leo = await fhirGet(o, `/Patient/${leoId}`, t2.access_token)
    expect(leo.status).toBe(404)
    expect(leo.body.resourceType).toBe('OperationOutcome')
    expect(JSON.stringify(leo.body)).not.toContain('Léo')

    const none = await fhirGet(o, `/Patient/${camilleId}`)
    expect(none.status).toBe(401)
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/)
    expect(none.body.issue[0].code).toBe('login')
    const bad = await fhirGet(o, `/Patient/${camilleId}`, 'not-a-real-token')
    expect(bad.status).toBe(401)
    expect(bad.headers['www-authenticate']).toContain('invalid_token')

    const unknown = await fhirGet(o, '/Nothing/1', t2.access_token)
    expect(unknown.status).toBe(404)
    expect(unknown.body.resourceType).toBe('OperationOutcome')
  })

  test('a search whose subject or patient names another person: 403 OperationOutcome, recorded; the token’s own patient: 200', async () => {
    const client = await registerClient(o.t, { scopes: ['patient.read', 'observation.read'] })
    const { tokens } = await connectService(o, client, ['patient.read', 'observation.read'], ['patient.read', 'observation.read'], camille)
    for (const query of [
      `/Observation?subject=Patient/${leoId}`,
      `/Observation?patient=${leoId}`,
      `/Observation?subject:Patient=${leoId}`,
      `/Observation?subject=${o.base}/fhir/Patient/${leoId}`,
      `/Observation?patient=${camilleId},${leoId}`,
      `/Patient?_id=${leoId}`,
    ]) {
      const r = await fhirGet(o, query, tokens.access_token)
      expect([query, r.status]).toEqual([query, 403])
      expect(r.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden' }] })
    }
    const denied = await o.t.db('activity_log').where({ subject_person_id: camilleId, action: 'fhir.denied' }).orderBy('id', 'desc').first()
    expect(denied.details).toMatchObject({ reason: 'other-subject' })
    for (const query of [
      `/Observation?subject=Patient/${camilleId}`,
      `/Observation?patient=${o.base}/fhir/Patient/${camilleId}`,
      `/Patient?_id=${camilleId}`,
    ]) {
      const r = await fhirGet(o, query, tokens.access_token)
      expect([query, r.status]).toEqual([query, 200])
    }
  })

  test('the database out of reach (backends killed, connections refused): 503 OperationOutcome «transient», never 500; then served again', async () => {
    const client = await registerClient(o.t, { scopes: ['patient.read'] })
    const { tokens } = await connectService(o, client, ['patient.read'], ['patient.read'], camille)
    expect((await fhirGet(o, '/Patient', tokens.access_token)).status).toBe(200)
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
    await admin.connect()
    const name = o.t.database.name
    try {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`)
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name])
      for (let i = 0; i < 3; i++) {
        const r = await fhirGet(o, '/Patient', tokens.access_token)
        expect(r.status).toBe(503)
        expect(r.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] })
      }
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)
      await admin.end()
    }
    expect((await fhirGet(o, '/Patient', tokens.access_token)).status).toBe(200)
  })

  test('malformed JSON → 400, oversized body → 413, both OperationOutcome', async () => {
    const client = await registerClient(o.t, { scopes: ['patient.read'] })
    const { tokens } = await connectService(o, client, ['patient.read'], ['patient.read'], camille)
    const malformed = await request(o.base)
      .post('/fhir/Observation')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .set('Content-Type', 'application/fhir+json')
      .send('{"resourceType": "Observation",')
    expect(malformed.status).toBe(400)
    expect(malformed.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'structure' }] })
    const huge = await request(o.base)
      .post('/fhir/Observation')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify({ resourceType: 'Observation', note: 'x'.repeat(15 * 1024 * 1024) }))
    expect(huge.status).toBe(413)
    expect(huge.body.issue[0].code).toBe('too-long')
  })

  test('«Désynchroniser» revokes at once: access token refused, refresh token dead, history row', async () => {
    const client = await registerClient(o.t, { name: 'FreeStyle LibreLink', scopes: ['patient.read'] })
    const { tokens, config, agent: browser } = await connectService(o, client, ['patient.read'], ['patient.read'], camille)
    expect((await fhirGet(o, `/Patient/${camilleId}`, tokens.access_token)).status).toBe(200)

    const page = await browser.get('/mon-espace/services-connectes')
    expect(page.status).toBe(200)
    expect(page.text).toContain('FreeStyle LibreLink')
    const res = await submitForm(
      browser,
      '/mon-espace/services-connectes',
      {},
      `/mon-espace/services-connectes/${client.id}/desynchroniser`,
    )
    expect(res.status).toBe(303)

    const after = await fhirGet(o, `/Patient/${camilleId}`, tokens.access_token)
    expect(after.status).toBe(401)
    expect(after.body.resourceType).toBe('OperationOutcome')
    await expect(oidcClient.refreshTokenGrant(config, tokens.refresh_token)).rejects.toThrow()
    const row = await o.t
      .db('activity_log')
      .where({ subject_person_id: camilleId, action: 'service.disconnect', object_id: client.id })
      .first()
    expect(row).toBeTruthy()
  })

  test('a token the service revokes itself is refused at once, even just after a successful call', async () => {
    const client = await registerClient(o.t, { scopes: ['patient.read'] })
    const { tokens, config } = await connectService(o, client, ['patient.read'], ['patient.read'], camille)
    // A first call puts the checked token in the API's short cache...
    expect((await fhirGet(o, `/Patient/${camilleId}`, tokens.access_token)).status).toBe(200)
    await oidcClient.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' })
    // ...and the revocation empties it: no grace period for a revoked token.
    const after = await fhirGet(o, `/Patient/${camilleId}`, tokens.access_token)
    expect(after.status).toBe(401)
    expect(after.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] })
  })

  test('a new category requested later needs a new consent', async () => {
    const client = await registerClient(o.t, { scopes: ['patient.read', 'immunization.read'] })
    const first = await connectService(o, client, ['patient.read'], ['patient.read'], camille)
    expect(first.tokens.scope).not.toContain('immunization.read')
    const config = await discover(o.base, client)
    // Even with nothing new asked, no code is issued behind the person's back: our page again.
    const same = await authorizationUrl(config, 'openid offline_access patient.read')
    const again = await first.agent.get(same.url.pathname + same.url.search)
    expect(again.status).toBe(303)
    expect(new URL(again.headers.location, o.base).pathname).toMatch(/^\/mon-espace\/services-connectes\/autoriser\//)
    const { url } = await authorizationUrl(config, 'openid offline_access patient.read immunization.read')
    // The same browser, already signed in: the consent page comes back, listing the new category.
    let res = await first.agent.get(url.pathname + url.search)
    const loc = new URL(res.headers.location, o.base)
    expect(loc.pathname).toMatch(/^\/mon-espace\/services-connectes\/autoriser\//)
    res = await first.agent.get(loc.pathname)
    expect(res.status).toBe(200)
    expect(res.text).toContain('Lire vos vaccinations')
  })

  test('rate limit per client: past the limit, 429 OperationOutcome with Retry-After; another client is not affected', async () => {
    const client = await registerClient(o.t, { scopes: ['patient.read'] })
    const { tokens } = await connectService(o, client, ['patient.read'], ['patient.read'], camille)
    const statuses: number[] = []
    for (let i = 0; i < 13; i++) statuses.push((await fhirGet(o, '/Patient', tokens.access_token)).status)
    expect(statuses.slice(0, 12).every((s) => s === 200)).toBe(true)
    const over = await fhirGet(o, '/Patient', tokens.access_token)
    expect(over.status).toBe(429)
    expect(over.headers['retry-after']).toBeTruthy()
    expect(over.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'throttled' }] })
    const other = await registerClient(o.t, { scopes: ['patient.read'] })
    const t2 = (await connectService(o, other, ['patient.read'], ['patient.read'], camille)).tokens
    expect((await fhirGet(o, '/Patient', t2.access_token)).status).toBe(200)
  })

  test('one log line per call, as for pages: id, method, path and status; never the query string or the token', async () => {
    const lines: string[] = []
    const logger = createLogger('info', new Writable({ write: (chunk, _enc, cb) => (lines.push(chunk.toString()), cb()) }))
    const app = createApp({ ...o.t.services, logger }, { requestLogging: true })
    const res = await request(app)
      .get('/fhir/Observation?code=29463-7&patient=secret')
      .set('Authorization', 'Bearer jeton-inconnu-123')
      .set('X-Request-Id', 'appel-fhir-0001')
    expect(res.status).toBe(401)
    expect(res.headers['x-request-id']).toBe('appel-fhir-0001')
    expect(lines).toHaveLength(1)
    const line = JSON.parse(lines[0])
    expect(line).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'appel-fhir-0001', method: 'GET', path: '/fhir/Observation' },
      res: { statusCode: 401 },
    })
    expect(typeof line.responseTime).toBe('number')
    expect(lines[0]).not.toMatch(/secret|29463|jeton-inconnu/)
  })

  test('the metadata and the discovery document', async () => {
    const meta = await request(o.base).get('/fhir/metadata')
    expect(meta.status).toBe(200)
    expect(meta.body).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' })
    const disco = await request(o.base).get('/oidc/.well-known/openid-configuration')
    expect(disco.body.code_challenge_methods_supported).toEqual(['S256'])
    expect(disco.body.response_types_supported).toEqual(['code'])
  })

  test('an authorisation request without PKCE is refused, on our French error page', async () => {
    const client = await registerClient(o.t, { scopes: ['patient.read'] })
    const res = await request(o.base).get(
      `/oidc/auth?client_id=${client.id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://evil.example/cb')}`,
    )
    expect(res.status).toBe(400)
    expect(res.text).toContain('La connexion du service a échoué')
  })
})

describe('Back office: client registration', () => {
  test('an operator registers a service; the secret is shown once; bad input keeps the form', async () => {
    const a = agent(o.t.app)
    await signIn(a, o.t.db, 'operator', 'louis.garnier', LOUIS.password)
    const bad = await submitForm(a, '/back-office/clients/nouveau', { name: '', redirectUris: 'ftp://x' })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('Erreur : ')
    expect(bad.text).toContain('Saisissez le nom du service')
    expect(bad.text).toContain('ftp://x')
    expect(await o.t.db('oauth_clients').where({ name: '' }).first()).toBeUndefined()

    const ok = await submitForm(a, '/back-office/clients/nouveau', {
      name: 'Mémo Santé Enfant',
      redirectUris: 'https://memo.example/cb',
      'scopes[]': ['immunization.read'],
    })
    expect(ok.status).toBe(303)
    const list = await a.get('/back-office/clients')
    const secret = /class="fhir-secret">([^<]+)</.exec(list.text)?.[1]
    expect(secret).toBeTruthy()
    const again = await a.get('/back-office/clients')
    expect(again.text).not.toContain(secret!)
    expect(again.text).toContain('Mémo Santé Enfant')
    // A patient cannot reach it.
    expect((await camille.get('/back-office/clients')).status).toBe(403)
  })
})
