import http from 'node:http'
import type { AddressInfo } from 'node:net'
import request from 'supertest'
import { nativeRequire } from '../../src/infrastructure/nativeRequire'
import { createTestApp, type TestApp, type TestAppOptions } from './testApp'
import { CAMILLE } from './demo'
import { withAxeScript } from './axeScript'
import { signIn, type Agent } from './http'
import * as cheerio from 'cheerio'

/** openid-client v6 (ESM only), loaded by Node itself. */

export const oidcClient = nativeRequire('openid-client')

export const REDIRECT_URI = 'http://127.0.0.1:9/callback'

export interface OAuthApp {
  t: TestApp
  base: string
  close(): Promise<void>
}

/** The real app listening on a port known before it is built: the issuer is its public address. */
export async function startOAuthApp(env: Record<string, string> = {}, options: Omit<TestAppOptions, 'env'> = {}): Promise<OAuthApp> {
  const probe = http.createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  const port = (probe.address() as AddressInfo).port
  await new Promise((r) => probe.close(r))
  const base = `http://127.0.0.1:${port}`
  const t = await createTestApp({ ...options, env: { PUBLIC_URL: base, ...env } })
  const server = http.createServer(withAxeScript(t.app))
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
  return {
    t,
    base,
    async close() {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
      await t.close()
    },
  }
}

export async function registerClient(
  t: TestApp,
  opts: { id?: string; name?: string; scopes: string[]; catalogueServiceId?: string; redirectUri?: string },
) {
  const id = opts.id ?? `svc_test_${Math.random().toString(36).slice(2, 8)}`
  const secret = `secret-${id}-0123456789abcdef`
  await t.services.clients.createWithSecret(t.db, id, secret, {
    name: opts.name ?? 'Withings Health Mate',
    redirectUris: [opts.redirectUri ?? REDIRECT_URI],
    scopes: opts.scopes,
    catalogueServiceId: opts.catalogueServiceId,
  })
  return { id, secret }
}

export async function discover(base: string, client: { id: string; secret: string }) {
  return oidcClient.discovery(new URL(`${base}/oidc`), client.id, client.secret, undefined, { execute: [oidcClient.allowInsecureRequests] })
}

export async function authorizationUrl(config: unknown, scope: string, redirectUri = REDIRECT_URI) {
  const verifier = oidcClient.randomPKCECodeVerifier()
  const challenge = await oidcClient.calculatePKCECodeChallenge(verifier)
  const state = oidcClient.randomState()
  const url: URL = oidcClient.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  })
  return { url, verifier, state }
}

/**
 * The browser side over HTTP (JavaScript off is what a form-posting agent is): authorisation
 * request → our sign-in with the one-time code → consent page → the redirect to the service.
 * Returns the callback URL the service receives.
 */
export async function consentOverHttp(
  o: OAuthApp,
  url: URL,
  scopes: string[],
  a: Agent = request.agent(o.base),
): Promise<{ callback: URL; agent: Agent }> {
  let res = await a.get(url.pathname + url.search)
  const hops: string[] = []
  for (let i = 0; i < 5 && res.status >= 300 && res.status < 400; i++) {
    const loc = new URL(res.headers.location, o.base)
    hops.push(loc.pathname)
    if (loc.pathname === '/connexion') {
      await signIn(a, o.t.db, 'patient', CAMILLE.login, CAMILLE.password)
      break
    }
    res = await a.get(loc.pathname + loc.search)
  }
  const interactionPath = hops.find((h) => h.startsWith('/mon-espace/services-connectes/autoriser/'))
  if (!interactionPath) throw new Error(`Pas de page de consentement (${hops.join(' → ')}, ${res.status})`)
  const page = await a.get(interactionPath)
  if (page.status !== 200) throw new Error(`Page de consentement : ${page.status}`)
  const token = cheerio.load(page.text)('main input[name="_csrf"]').attr('value')!
  let post = await a
    .post(interactionPath)
    .type('form')
    .send(
      `_csrf=${encodeURIComponent(token)}&decision=allow&${scopes.map((s) => `${encodeURIComponent('scopes[]')}=${encodeURIComponent(s)}`).join('&')}`,
    )
  for (let i = 0; i < 5 && post.status >= 300 && post.status < 400; i++) {
    const loc = new URL(post.headers.location, o.base)
    if (loc.href.startsWith(REDIRECT_URI)) return { callback: loc, agent: a }
    post = await a.get(loc.pathname + loc.search)
  }
  throw new Error(`Pas de retour vers le service (${post.status} ${post.text.slice(0, 200)})`)
}

/** The whole flow: returns the tokens and the configuration of openid-client. */
export async function connectService(
  o: OAuthApp,
  client: { id: string; secret: string },
  scopes: string[],
  consented = scopes,
  browser?: Agent,
) {
  const config = await discover(o.base, client)
  const { url, verifier, state } = await authorizationUrl(config, ['openid', 'offline_access', ...scopes].join(' '))
  const { callback, agent } = await consentOverHttp(o, url, consented, browser)
  const tokens = await oidcClient.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state })
  return { config, tokens, agent }
}

export function fhirGet(o: OAuthApp, path: string, token?: string) {
  const r = request(o.base).get(`/fhir${path}`).set('Accept', 'application/fhir+json')
  return token ? r.set('Authorization', `Bearer ${token}`) : r
}

export function fhirPost(o: OAuthApp, path: string, token: string, body: unknown) {
  return request(o.base)
    .post(`/fhir${path}`)
    .set('Authorization', `Bearer ${token}`)
    .set('Content-Type', 'application/fhir+json')
    .set('Accept', 'application/fhir+json')
    .send(JSON.stringify(body))
}

/** A FHIR Observation as a connected scale or meter sends it. */
export function observation(loinc: string, value: number, unit: string, day: string) {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: loinc }] },
    effectiveDateTime: `${day}T08:30:00+01:00`,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  }
}
