import crypto from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { z } from 'zod'
import { LOINC, OBSERVATION_CODES, UCUM } from '../domain/fhir'
import { errorMessage } from '../errors'
import { isRecord } from '../validation'

/** The weight's LOINC code and UCUM unit: the one table of src/domain/fhir.ts. */
const WEIGHT = OBSERVATION_CODES.poids

/**
 * A connected scale for the demo (issue 19 §1): the application of a referenced service (Withings
 * Health Mate) as a real OAuth client of the FHIR API. It pairs through the real flow — OpenID
 * Connect third-party initiated login (`/connexion`, where «Connecter ce service» of the catalogue
 * sends the person), authorisation code with PKCE (S256), the person's consent on Mon espace santé,
 * the code exchanged on its local return address (`/retour`) — then writes weight Observations
 * (LOINC 29463-7, kg). Refused once the person «Désynchronise» it. `npm run simulateur:balance`.
 */

/** The demo client registered by the demo data (never in production): its id, its secret, its local port. */
export const DEMO_SCALE = {
  clientId: 'withings-health-mate-demo',
  clientSecret: 'balance-de-demonstration-ce-secret-est-public',
  port: 8765,
  serviceSlug: 'withings-health-mate',
  name: 'Withings Health Mate',
} as const

export const scaleRedirectUri = (port: number) => `http://127.0.0.1:${port}/retour`
export const scaleStartUri = (port: number) => `http://127.0.0.1:${port}/connexion`

export interface ScaleOptions {
  /** Mon espace santé (its public address: the issuer is `${base}/oidc`). */
  base: string
  clientId?: string
  clientSecret?: string
  /** Local port of the return address (0: any free port, for tests). */
  port?: number
  /** Weights written right after pairing (one a day, ending today). */
  weightsOnPairing?: number
  log?: (line: string) => void
}

/** The OpenID configuration fields the scale uses. */
const Discovery = z.object({ authorization_endpoint: z.string(), token_endpoint: z.string() })
/** The token endpoint's answer, as far as the scale reads it. */
const TokenAnswer = z.object({ access_token: z.string().optional(), refresh_token: z.string().optional(), error: z.string().optional() })

export interface Weighing {
  status: number
  /** The Observation created, or the OperationOutcome of a refusal. */
  body: Record<string, unknown>
  kg: number
  day: string
}

const page = (title: string, text: string) =>
  `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
  `<title>${title} – Balance connectée (démonstration)</title></head><body><main><h1>${title}</h1><p>${text}</p></main></body></html>`

const b64url = (b: Buffer) => b.toString('base64url')

export function createScaleSimulator(opts: ScaleOptions) {
  const base = opts.base.replace(/\/$/, '')
  const clientId = opts.clientId ?? DEMO_SCALE.clientId
  const clientSecret = opts.clientSecret ?? DEMO_SCALE.clientSecret
  const log = opts.log ?? (() => undefined)
  let server: http.Server | undefined
  let port = opts.port ?? DEMO_SCALE.port
  let discovery: z.infer<typeof Discovery> | undefined
  // One pairing at a time: its PKCE verifier and state.
  let pending: { verifier: string; state: string } | undefined
  let tokens: { access: string; refresh?: string } | undefined
  let lastKg = 72.4
  let resolvePaired!: () => void
  const paired = new Promise<void>((r) => (resolvePaired = r))
  const weighings: Weighing[] = []

  const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`

  async function discover() {
    if (!discovery) {
      const r = await fetch(`${base}/oidc/.well-known/openid-configuration`)
      if (!r.ok) throw new Error(`Découverte OpenID impossible (${r.status}) : ${base} répond-il ?`)
      discovery = Discovery.parse(await r.json())
    }
    return discovery
  }

  /** A fresh authorisation request (PKCE S256, state): the address the person opens. */
  async function authorizationUrl(): Promise<string> {
    const d = await discover()
    const verifier = b64url(crypto.randomBytes(48))
    const state = b64url(crypto.randomBytes(16))
    pending = { verifier, state }
    const url = new URL(d.authorization_endpoint)
    url.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: scaleRedirectUri(port),
      scope: 'openid offline_access observation.write',
      code_challenge: b64url(crypto.createHash('sha256').update(verifier).digest()),
      code_challenge_method: 'S256',
      state,
    }).toString()
    return url.href
  }

  async function tokenRequest(params: Record<string, string>) {
    const d = await discover()
    const r = await fetch(d.token_endpoint, {
      method: 'POST',
      headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    })
    const parsed = TokenAnswer.safeParse(await r.json().catch(() => ({})))
    const body = parsed.success ? parsed.data : {}
    return { ok: r.ok, body }
  }

  async function exchange(code: string): Promise<void> {
    if (!pending) throw new Error('aucune demande en cours')
    const { ok, body } = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: scaleRedirectUri(port),
      code_verifier: pending.verifier,
    })
    pending = undefined
    if (!ok || !body.access_token) throw new Error(`échange du code refusé (${body.error ?? 'erreur'})`)
    tokens = { access: body.access_token, refresh: body.refresh_token }
  }

  async function refresh(): Promise<boolean> {
    if (!tokens?.refresh) return false
    const { ok, body } = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh })
    if (!ok || !body.access_token) return false
    tokens = { access: body.access_token, refresh: body.refresh_token ?? tokens.refresh }
    return true
  }

  /** One weighing: a weight Observation written through the FHIR API (a refreshed token once if it expired). */
  async function weigh(kg?: number, day = new Date().toISOString().slice(0, 10)): Promise<Weighing> {
    if (!tokens) throw new Error("la balance n'est pas encore connectée")
    const value = kg ?? (lastKg = Math.round((lastKg + (crypto.randomInt(0, 7) - 3) / 10) * 10) / 10)
    const post = () =>
      fetch(`${base}/fhir/Observation`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${tokens!.access}`, 'Content-Type': 'application/fhir+json', Accept: 'application/fhir+json' },
        body: JSON.stringify({
          resourceType: 'Observation',
          status: 'final',
          category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: WEIGHT.category }] }],
          code: { coding: [{ system: LOINC, code: WEIGHT.loinc, display: WEIGHT.display }] },
          effectiveDateTime: `${day}T07:30:00Z`,
          valueQuantity: { value, unit: 'kg', system: UCUM, code: WEIGHT.ucum },
        }),
      })
    let r = await post()
    if (r.status === 401 && (await refresh())) r = await post()
    const answer: unknown = await r.json().catch(() => ({}))
    const w: Weighing = { status: r.status, body: isRecord(answer) ? answer : {}, kg: value, day }
    weighings.push(w)
    const shown = value.toLocaleString('fr-FR')
    if (r.status === 201) log(`Pesée du ${day} : ${shown} kg, enregistrée dans Mon espace santé.`)
    else {
      const first: unknown = Array.isArray(w.body.issue) ? w.body.issue[0] : undefined
      const issue = isRecord(first) && typeof first.diagnostics === 'string' ? first.diagnostics : ''
      log(`Pesée du ${day} : ${shown} kg, refusée (${r.status}) ${issue}`.trim())
    }
    return w
  }

  async function onRequest(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const send = (status: number, html: string) => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
      res.end(html)
    }
    try {
      if (req.method === 'GET' && url.pathname === '/connexion') {
        // Third-party initiated login: only the issuer we know.
        const iss = url.searchParams.get('iss')
        if (iss && iss.replace(/\/$/, '') !== `${base}/oidc`)
          return send(400, page('Émetteur inconnu', 'Cette balance se connecte seulement à Mon espace santé.'))
        res.writeHead(302, { Location: await authorizationUrl(), 'Cache-Control': 'no-store' })
        return res.end()
      }
      if (req.method === 'GET' && url.pathname === '/retour') {
        const error = url.searchParams.get('error')
        if (error) {
          pending = undefined
          log(`Connexion refusée (${error}).`)
          return send(200, page('Connexion refusée', "Vous n'avez pas autorisé la balance. Rien n'est partagé."))
        }
        if (!pending || url.searchParams.get('state') !== pending.state)
          return send(400, page('Demande inconnue', 'Cette réponse ne correspond à aucune demande de la balance. Recommencez.'))
        await exchange(url.searchParams.get('code') ?? '')
        log('Balance connectée : jeton obtenu par le code d’autorisation et PKCE.')
        const today = new Date()
        for (let i = (opts.weightsOnPairing ?? 3) - 1; i >= 0; i--)
          await weigh(undefined, new Date(today.getTime() - i * 24 * 3600 * 1000).toISOString().slice(0, 10))
        resolvePaired()
        return send(200, page('Balance connectée', 'Vos pesées sont envoyées à Mon espace santé. Vous pouvez fermer cette page.'))
      }
      send(404, page('Page introuvable', "Cette adresse n'existe pas sur la balance."))
    } catch (err) {
      log(`Erreur : ${errorMessage(err)}`)
      send(502, page('La connexion a échoué', 'La balance n’a pas pu terminer la connexion. Recommencez.'))
    }
  }

  return {
    /** Starts listening on the local return address; resolves with the addresses to open. */
    async start(): Promise<{ startUrl: string; redirectUri: string }> {
      server = http.createServer((req, res) => void onRequest(req, res))
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject)
        server!.listen(port, '127.0.0.1', resolve)
      })
      // Listening on TCP: address() is an AddressInfo (a string only for a pipe or a socket file).
      port = (server.address() as AddressInfo).port
      return { startUrl: scaleStartUri(port), redirectUri: scaleRedirectUri(port) }
    },
    authorizationUrl,
    /** Resolves once the first pairing gave a token (and the first weights were sent). */
    paired,
    weigh,
    weighings,
    get port() {
      return port
    },
    async close() {
      server?.closeAllConnections()
      await new Promise((r) => (server ? server.close(r) : r(undefined)))
    },
  }
}
