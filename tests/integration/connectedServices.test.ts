import http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as cheerio from 'cheerio'
import request from 'supertest'
import { startOAuthApp, type OAuthApp } from '../helpers/oauth'
import { signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, LOUIS } from '../helpers/demo'
import { createAccount } from '../helpers/lifecycle'
import { CATALOGUE } from '../../src/features/catalogue/data'
import { requestKey } from '../../src/domain/consent'
import { scopesOfRequests } from '../../src/domain/serviceScopes'
import { DEMO_SCALE, scaleRedirectUri, scaleStartUri } from '../../src/demo/scaleSimulator'

/**
 * Issue 19 §1: connected services are real OAuth clients. Every catalogue service is backed by a
 * registered client (managed in the back office); «Connecter ce service» opens the application,
 * which asks for the consent through the authorisation server; «Services connectés» and «Mes
 * autorisations» show one truth. (The whole pairing with the scale, in Chromium: tests/e2e/joined.test.ts.)
 */
let o: OAuthApp
let camille: Agent

const main = (html: string) => cheerio.load(html)('main').text().replace(/\s+/g, ' ')
const h2s = (html: string) =>
  cheerio
    .load(html)('main h2')
    .map((_i, e) => cheerio.load(html)(e).text().trim())
    .get()

beforeAll(async () => {
  o = await startOAuthApp()
  camille = request.agent(o.base)
  await signIn(camille, o.t.db, 'patient', CAMILLE.login, CAMILLE.password)
})
afterAll(async () => {
  await o?.close()
})

test('chaque service du catalogue est adossé à un client OAuth enregistré, avec les catégories qu’il demande', async () => {
  const services = await o.t.db('catalogue_services').select('id', 'slug')
  expect(services).toHaveLength(CATALOGUE.length)
  for (const s of services) {
    const clients = await o.t.db('oauth_clients').where({ catalogue_service_id: s.id }).whereNull('disabled_at')
    expect({ slug: s.slug, clients: clients.length }).toEqual({ slug: s.slug, clients: 1 })
    const data = CATALOGUE.find((c) => c.slug === s.slug)!
    expect(clients[0].allowed_scopes).toEqual(scopesOfRequests(data.requests.map(requestKey)))
  }
  const scale = await o.t.db('oauth_clients').where({ id: DEMO_SCALE.clientId }).first()
  expect(scale.redirect_uris).toEqual([scaleRedirectUri(DEMO_SCALE.port)])
  expect(scale.initiate_login_uri).toBe(scaleStartUri(DEMO_SCALE.port))
  expect(scale.allowed_scopes).toEqual(['observation.write'])
})

test('« Services connectés » et « Mes autorisations » disent la même chose (les connexions semées sont des consentements de vrais clients)', async () => {
  const connected = await camille.get('/mon-espace/services-connectes')
  expect(h2s(connected.text)).toEqual(['Vidal Ma santé', 'Withings Health Mate'])
  expect(main(connected.text)).toContain('Ajouter ou modifier : Mesures (poids, tension, glycémie…)')
  expect(main(connected.text)).toContain('Nouvelles autorisations demandées') // Vidal's version 2
  const overview = cheerio.load((await camille.get('/mes-autorisations')).text)
  const section = overview('main h2')
    .filter((_i, e) => overview(e).text().trim() === 'Services connectés')
    .nextUntil('h2', '.govuk-summary-list')
  const rows = section
    .find('.govuk-summary-list__row')
    .map((_i, r) => [[overview(r).find('dt').text().trim(), overview(r).find('dd').first().text().replace(/\s+/g, ' ').trim()]])
    .get() as unknown as [string, string][]
  expect(rows.map((r) => r[0])).toEqual(['Vidal Ma santé', 'Withings Health Mate'])
  expect(rows[1][1]).toContain('Ajouter ou modifier : Mesures (poids, tension, glycémie…)')
  // Each connection is a consent to a registered client.
  for (const slug of ['vidal-ma-sante', 'withings-health-mate']) {
    const s = await o.t.db('catalogue_services').where({ slug }).first()
    expect(await o.t.db('oauth_clients').where({ catalogue_service_id: s.id }).first()).toBeDefined()
  }
})

test('« Connecter ce service » ouvre l’application (initiate_login_uri, avec l’émetteur) ; application muette ou absente, le formulaire de consentement', async () => {
  const person = await createAccount(o.t.db, { firstNames: 'Lina', lastName: 'Connexion' })
  const a = request.agent(o.base)
  await signIn(a, o.t.db, 'patient', person.login, person.password)
  const page = await a.get('/catalogue/withings-health-mate')
  expect(main(page.text)).toContain("ouvre l'application Withings Health Mate")
  // The application answers (a real server on a free port stands for it): the person is sent there.
  const app = http.createServer((_req, res) => res.end('balance'))
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  const startUri = `http://127.0.0.1:${(app.address() as AddressInfo).port}/connexion`
  await o.t.db('oauth_clients').where({ id: DEMO_SCALE.clientId }).update({ initiate_login_uri: startUri })
  try {
    const r = await a.get('/catalogue/withings-health-mate/connecter')
    expect(r.status).toBe(303)
    const to = new URL(r.headers.location)
    expect(`${to.origin}${to.pathname}`).toBe(startUri)
    expect(to.searchParams.get('iss')).toBe(`${o.base}/oidc`)
  } finally {
    await new Promise((resolve) => app.close(resolve))
  }
  // Nothing answers there any more (the demo's scale not started): the form, with a word on why,
  // rather than the browser's error page.
  const silent = await a.get('/catalogue/withings-health-mate/connecter')
  expect(silent.status).toBe(200)
  expect(main(silent.text)).toContain("L'application Withings Health Mate ne répond pas pour l'instant.")
  expect(cheerio.load(silent.text)('input[name="autorisations[]"]:checked').length).toBe(0)
  await o.t
    .db('oauth_clients')
    .where({ id: DEMO_SCALE.clientId })
    .update({ initiate_login_uri: scaleStartUri(DEMO_SCALE.port) })
  // Appfine has no application here: the same boxes, nothing ticked.
  const form = await a.get('/catalogue/appfine/connecter')
  expect(form.status).toBe(200)
  const $ = cheerio.load(form.text)
  expect($('input[name="autorisations[]"]').length).toBeGreaterThan(0)
  expect($('input[name="autorisations[]"]:checked').length).toBe(0)
  // Camille, already connected to Withings: changing her consent is the form, not a new pairing.
  expect((await camille.get('/catalogue/withings-health-mate/connecter')).status).toBe(200)
})

test('le back-office gère les clients : service du catalogue, adresse de démarrage, catégories ; erreurs en français', async () => {
  const op = request.agent(o.base)
  await signIn(op, o.t.db, 'operator', LOUIS.login, LOUIS.password)
  const list = await op.get('/back-office/clients')
  expect(list.status).toBe(200)
  expect(main(list.text)).toContain('Service du catalogue Withings Health Mate')
  const edit = `/back-office/clients/${DEMO_SCALE.clientId}/modifier`
  const form = cheerio.load((await op.get(edit)).text)
  expect(form('#catalogueServiceId option:checked').text()).toBe('Withings Health Mate')
  expect(form('#initiateLoginUri').val()).toBe(scaleStartUri(DEMO_SCALE.port))
  const bad = await submitForm(op, edit, {
    name: 'Withings Health Mate',
    redirectUris: scaleRedirectUri(DEMO_SCALE.port),
    initiateLoginUri: 'ftp://balance',
    catalogueServiceId: String(form('#catalogueServiceId').val()),
    'scopes[]': ['observation.write'],
  })
  expect(bad.status).toBe(400)
  expect(cheerio.load(bad.text)('title').text()).toMatch(/^Erreur : /)
  expect(main(bad.text)).toContain('Adresse de démarrage invalide')
  expect((await o.t.db('oauth_clients').where({ id: DEMO_SCALE.clientId }).first()).initiate_login_uri).toBe(scaleStartUri(DEMO_SCALE.port))
  const ok = await submitForm(op, edit, {
    name: 'Withings Health Mate',
    redirectUris: 'http://127.0.0.1:9999/retour',
    initiateLoginUri: 'http://127.0.0.1:9999/connexion',
    catalogueServiceId: String(form('#catalogueServiceId').val()),
    'scopes[]': ['observation.write', 'observation.read'],
  })
  expect(ok.status).toBe(303)
  const changed = await o.t.db('oauth_clients').where({ id: DEMO_SCALE.clientId }).first()
  expect(changed).toMatchObject({
    initiate_login_uri: 'http://127.0.0.1:9999/connexion',
    allowed_scopes: ['observation.read', 'observation.write'],
  })
  expect(await o.t.db('activity_log').where({ action: 'oauth_client.update', object_id: DEMO_SCALE.clientId }).first()).toBeDefined()
  expect((await camille.get(edit)).status).toBe(403)
})

test('une demande changée : rien de nouveau avant un nouvel accord, et les deux pages le disent', async () => {
  const camilleId = (await o.t.db('insured_persons').where({ nir: CAMILLE.nir }).first()).id
  const withings = await o.t.db('catalogue_services').where({ slug: 'withings-health-mate' }).first()
  await o.t
    .db('oauth_clients')
    .where({ id: DEMO_SCALE.clientId })
    .update({ allowed_scopes: ['observation.read', 'observation.write'] })
  await o.t.services.catalogue.publishRequests(withings.id, [
    { category: 'mesures', access: 'write' },
    { category: 'mesures', access: 'read' },
  ])
  // The client may not read before Camille agrees again.
  expect(await o.t.services.connections.consentedScopes(camilleId, DEMO_SCALE.clientId)).toEqual(['observation.write'])
  const entry = (await o.t.services.connections.ofPerson(camilleId)).find((e) => e.slug === 'withings-health-mate')!
  expect(entry).toMatchObject({ needsReconsent: true, clientId: DEMO_SCALE.clientId, scopes: ['observation.write'] })
  for (const url of ['/mon-espace/services-connectes', '/mes-autorisations'])
    expect(main((await camille.get(url)).text)).toMatch(/Withings Health Mate.*Nouvelles autorisations demandées/)
  const r = await submitForm(camille, '/catalogue/withings-health-mate/connecter', { 'autorisations[]': ['mesures:write', 'mesures:read'] })
  expect(r.status).toBe(303)
  expect(await o.t.services.connections.consentedScopes(camilleId, DEMO_SCALE.clientId)).toEqual(['observation.read', 'observation.write'])
})
