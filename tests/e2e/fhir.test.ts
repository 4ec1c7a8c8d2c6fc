import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { launchBrowser, newContext, screenshot, watch } from '../helpers/browser'
import { lastMessage, otpIn } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS } from '../helpers/demo'
import {
  authorizationUrl,
  discover,
  fhirGet,
  fhirPost,
  observation,
  oidcClient,
  registerClient,
  startOAuthApp,
  type OAuthApp,
} from '../helpers/oauth'

jest.setTimeout(480_000)

describe('connexion d’un service, consentement cliqué dans Chromium sans JavaScript', () => {
  let o: OAuthApp
  let browser: Browser
  // The service's own page, a real server on a free port: where the browser lands after the consent
  // (the consent page's CSP `form-action` must let it go there). Records the address it was sent to.
  let service: http.Server
  let redirectUri: string
  let callback: URL | undefined
  beforeAll(async () => {
    o = await startOAuthApp()
    browser = await launchBrowser()
    service = http.createServer((req, res) => {
      callback = new URL(req.url ?? '/', redirectUri)
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end('<!DOCTYPE html><html lang="fr"><head><title>Service</title></head><body><main><h1>Connecté</h1></main></body></html>')
    })
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r))
    // The address is only known once the server listens.
    redirectUri = `http://127.0.0.1:${(service.address() as AddressInfo).port}/callback`
  })
  afterAll(async () => {
    await browser?.close()
    service?.closeAllConnections()
    await new Promise((r) => service?.close(r))
    await o?.close()
  })

  it('Camille connecte Withings Health Mate : connexion, code, consentement, retour au service, puis lecture FHIR', async () => {
    const client = await registerClient(o.t, {
      name: 'Withings Health Mate',
      scopes: ['patient.read', 'observation.read', 'observation.write'],
      redirectUri,
    })
    const config = await discover(o.base, client)
    const scope = 'openid offline_access patient.read observation.read observation.write'
    const { url, verifier, state } = await authorizationUrl(config, scope, redirectUri)

    const context = await newContext(browser, false)
    const page = await context.newPage()
    const w = watch(page, { javaScript: false })
    try {
      await page.goto(url.href)
      // Not signed in: our sign-in page, then back to the consent page.
      await page.getByLabel('Identifiant').fill(CAMILLE.login)
      await page.getByLabel('Mot de passe', { exact: true }).fill(CAMILLE.password)
      await page.getByRole('button', { name: 'Se connecter' }).click()
      await page.getByLabel('Code de connexion').fill(otpIn((await lastMessage(o.t.db, CAMILLE.email, 'otp')).body))
      await page.getByRole('button', { name: 'Valider' }).click()
      await page.getByRole('heading', { name: /Autoriser Withings Health Mate/ }).waitFor()
      await w.check('consentement')
      // Nothing ticked: an error, nothing shared.
      await page.getByRole('button', { name: 'Autoriser' }).click()
      await page.getByText('Cochez au moins une donnée').first().waitFor()
      expect(await page.title()).toBe('Erreur : Autoriser Withings Health Mate – Mon espace santé')
      await w.check('consentement : rien coché')
      await screenshot(page, 'fhir-consentement-erreur')
      await page.getByLabel('Lire votre identité').check()
      await page.getByLabel('Lire vos mesures').check()
      await page.getByLabel('Ajouter des mesures').check()
      await page.getByRole('button', { name: 'Autoriser' }).click()
      await page.waitForURL((u) => u.href.startsWith(redirectUri))
      expect(callback?.searchParams.get('code')).toBeTruthy()

      const tokens = await oidcClient.authorizationCodeGrant(config, callback!, { pkceCodeVerifier: verifier, expectedState: state })
      const camilleId = (await o.t.db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()).id
      const res = await fhirGet(o, `/Patient/${camilleId}`, tokens.access_token)
      expect(res.status).toBe(200)
      expect(res.body.name[0].family).toBe('Martin')
      const consent = await o.t.db('service_consents').where({ person_id: camilleId, client_id: client.id }).whereNull('revoked_at').first()
      expect(consent.scopes).toEqual(['patient.read', 'observation.read', 'observation.write'])

      // The scale writes a weight: Camille sees it in her profile, with its source, and the calls in her history.
      const today = new Date().toISOString().slice(0, 10)
      const created = await fhirPost(o, '/Observation', tokens.access_token, observation('29463-7', 61.4, 'kg', today))
      expect(created.status).toBe(201)
      expect((await fhirGet(o, '/Observation?code=29463-7&_count=1', tokens.access_token)).body.entry[0].resource.id).toBe(created.body.id)
      await page.goto(`${o.base}/profil-medical/mesures/poids`)
      await page.getByRole('heading', { name: 'Poids', level: 1 }).waitFor()
      expect(await page.locator('#valeurs tbody tr').first().innerText()).toContain('Ajoutée par Withings Health Mate')
      await w.check('mesure ajoutée par un service')
      await page.goto(`${o.base}/historique?onglet=autres&acteur=service`)
      await page.getByText('Données ajoutées par un service synchronisé').first().waitFor()
      await w.check('historique : services synchronisés')
    } finally {
      await w.settle()
      await context.close()
    }
    expect(w.problems).toEqual([])
  })
})
