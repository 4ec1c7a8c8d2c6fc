import crypto from 'node:crypto'
import type { Request, Response } from 'express'
import type { Knex } from 'knex'
import type { Logger } from '../../infrastructure/logger'
import { nativeRequire, toNativeRealm } from '../../infrastructure/nativeRequire'
import type { Invalidation } from '../../infrastructure/invalidation'
import { knexAdapterClass } from './oidcAdapter'
import type { ClientRegistry } from './clients'

/** The parts of oidc-provider we use (the library ships no types for v9; these are checked by tests). */
export interface OidcInteraction {
  uid: string
  prompt: { name: 'login' | 'consent'; reasons: string[]; details: Record<string, unknown> }
  params: Record<string, unknown> & { client_id: string; scope?: string; redirect_uri?: string }
  session?: { accountId?: string }
  grantId?: string
}
export interface OidcGrant {
  jti?: string
  accountId?: string
  clientId?: string
  addOIDCScope(scope: string): void
  addResourceScope(resource: string, scope: string): void
  rejectResourceScope(resource: string, scope: string): void
  save(): Promise<string>
  destroy(): Promise<void>
}
export interface OidcAccessToken {
  jti: string
  accountId: string
  clientId: string
  grantId: string
  scope?: string
  aud?: string | string[]
  /** Seconds since the epoch. */
  exp?: number
  isExpired: boolean
}
export interface OidcProvider {
  callback(): (req: Request, res: Response) => void
  interactionDetails(req: Request, res: Response): Promise<OidcInteraction>
  interactionResult(
    req: Request,
    res: Response,
    result: Record<string, unknown>,
    opts?: { mergeWithLastSubmission?: boolean },
  ): Promise<string>
  interactionFinished(
    req: Request,
    res: Response,
    result: Record<string, unknown>,
    opts?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>
  Grant: { new (init: { accountId: string; clientId: string }): OidcGrant; find(id: string): Promise<OidcGrant | undefined> }
  AccessToken: { find(value: string): Promise<OidcAccessToken | undefined> }
  on(event: 'access_token.destroyed', listener: (token: OidcAccessToken) => void): void
  on(event: string, listener: (...args: unknown[]) => void): void
  proxy: boolean
}

export const OIDC_MOUNT = '/oidc'
export const INTERACTION_BASE = '/mon-espace/services-connectes/autoriser'
export const ACCESS_TOKEN_TTL_SECONDS = 10 * 60
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600

export interface ProviderDeps {
  db: Knex
  logger: Logger
  publicUrl: string
  signingKey: string
  cookieSecret: string
  trustProxy: boolean
  clients: ClientRegistry
  /** Tells every process that tokens were revoked (FHIR_TOKENS_CHANNEL). */
  invalidation?: Invalidation
  /** Renders one of our Nunjucks views to a string (error pages of the authorisation server). */
  render(view: string, locals: Record<string, unknown>): Promise<string>
}

/** The channel on which revoked access tokens are announced: their digest, or `*` for a whole grant. */
export const FHIR_TOKENS_CHANNEL = 'fhir-tokens'

/** How a token is named in caches and messages (never the token itself). */
export const accessTokenDigest = (token: string) => crypto.createHash('sha256').update(token).digest('base64url')

/** The audience of every access token: the FHIR API. */
export const fhirAudience = (publicUrl: string) => `${publicUrl}/fhir`

/**
 * The authorisation server for connected services, on oidc-provider (certified OpenID Connect):
 * authorisation code with PKCE (S256) only, opaque access tokens of 10 minutes for the FHIR API,
 * rotating refresh tokens, confidential clients from `oauth_clients`. Login and consent are our own
 * pages (interactions.url), errors are rendered with our layout, in French.
 */
export function createOidcProvider(deps: ProviderDeps): OidcProvider {
  // oidc-provider v9 ships no types: the parts we use, as declared above.
  const { Provider, errors, interactionPolicy } = nativeRequire('oidc-provider') as {
    Provider: new (issuer: string, config: Record<string, unknown>) => OidcProvider
    errors: Record<string, new (description?: string) => Error>
    interactionPolicy: {
      base(): { get(name: string): { checks: unknown[] } }
      Check: {
        new (reason: string, description: string, check: (ctx: { oidc: { result?: { login?: unknown } } }) => boolean): unknown
        REQUEST_PROMPT: boolean
        NO_NEED_TO_PROMPT: boolean
      }
    }
  }
  // Every authorisation request goes through our page, with the person signed in to Mon espace
  // santé at that moment: the provider's own session cookie never issues a code on its own (it
  // could belong to someone who signed out of this browser since).
  const policy = interactionPolicy.base()
  const { Check } = interactionPolicy
  policy
    .get('login')
    .checks.push(
      new Check('mes_every_time', 'chaque autorisation passe par Mon espace santé', (ctx) =>
        ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
      ),
    )
  const issuer = `${deps.publicUrl}${OIDC_MOUNT}`
  const audience = fhirAudience(deps.publicUrl)
  const Adapter = knexAdapterClass(
    deps.db,
    (id) => deps.clients.oidcMetadata(id),
    async (what) => deps.invalidation?.publish(FHIR_TOKENS_CHANNEL, 'accessToken' in what ? accessTokenDigest(what.accessToken) : '*'),
  )
  const cookieKey = crypto.createHmac('sha256', deps.cookieSecret).update('oidc-provider cookies').digest('base64url')

  const provider = new Provider(
    issuer,
    toNativeRealm({
      adapter: (name: string) => new Adapter(name), // a factory: the class check of oidc-provider is realm-sensitive under Jest
      jwks: { keys: [JSON.parse(deps.signingKey)] },
      cookies: { keys: [cookieKey] },
      findAccount: async (_ctx: unknown, sub: string) => toNativeRealm({ accountId: sub, claims: async () => toNativeRealm({ sub }) }),
      claims: { openid: ['sub'] },
      scopes: ['openid', 'offline_access'],
      responseTypes: ['code'],
      pkce: { required: () => true },
      clientDefaults: {
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
      features: {
        devInteractions: { enabled: false },
        // A service revokes only its own tokens (RFC 7009 §2.1); a token of another client: a silent no-op.
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) =>
            token.clientId === client.clientId,
        },
        userinfo: { enabled: false },
        resourceIndicators: {
          enabled: true,
          defaultResource: async () => audience,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx: unknown, resource: string, client: { clientId: string }) => {
            if (resource !== audience) throw new errors.InvalidTarget()
            return toNativeRealm({
              scope: (await deps.clients.allowedScopes(client.clientId)).join(' '),
              audience,
              accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
              accessTokenFormat: 'opaque',
            })
          },
        },
      },
      interactions: { policy, url: async (_ctx: unknown, interaction: { uid: string }) => `${INTERACTION_BASE}/${interaction.uid}` },
      issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
        client.grantTypeAllowed('refresh_token'),
      expiresWithSession: async () => false,
      rotateRefreshToken: true,
      ttl: {
        AccessToken: ACCESS_TOKEN_TTL_SECONDS,
        AuthorizationCode: 60,
        IdToken: 10 * 60,
        Interaction: 30 * 60,
        Session: 30 * 60,
        Grant: 365 * 24 * 3600,
        RefreshToken: REFRESH_TOKEN_TTL_SECONDS,
      },
      renderError: async (
        ctx: { res: Response; req: Request; type: string; body: string; status: number },
        out: { error?: string; error_description?: string },
      ) => {
        ctx.type = 'html'
        ctx.res.setHeader('Cache-Control', 'no-store')
        ctx.body = await deps.render('fhir/oauth-error.njk', {
          ...ctx.res.locals,
          pageTitle: 'La connexion du service a échoué',
          error: out.error,
        })
      },
    }),
  )
  provider.proxy = deps.trustProxy
  provider.on('server_error', (...args: unknown[]) => deps.logger.error({ err: args[1] }, 'oidc-provider: erreur serveur'))
  return provider
}
