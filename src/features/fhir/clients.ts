import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { serviceScopesOf } from '../../domain/serviceScopes'
import { open, seal } from '../../infrastructure/crypto'
import type { ActivityLog } from '../history/activity'
import { fhirRepository as repo, type ClientRow } from './repository'

export interface ClientInput {
  name: string
  redirectUris: string[]
  scopes: string[]
  catalogueServiceId?: string
  /** Where the application starts its pairing (OpenID Connect `initiate_login_uri`): «Connecter ce service» opens it. */
  initiateLoginUri?: string
}

export interface ClientView {
  id: string
  name: string
  redirectUris: string[]
  scopes: string[]
  catalogueServiceId: string | null
  initiateLoginUri: string | null
  secretRotatedAt: Date
  createdAt: Date
  disabled: boolean
}

const view = (r: ClientRow): ClientView => ({
  id: r.id,
  name: r.name,
  redirectUris: r.redirect_uris,
  scopes: r.allowed_scopes,
  catalogueServiceId: r.catalogue_service_id,
  initiateLoginUri: r.initiate_login_uri ?? null,
  secretRotatedAt: r.secret_rotated_at,
  createdAt: r.created_at,
  disabled: Boolean(r.disabled_at),
})

const newSecret = () => crypto.randomBytes(32).toString('base64url')

/**
 * The OAuth clients of the connected services, registered by operators (back office). The secret is
 * shown once, at creation or rotation; it is kept sealed with the master key because the
 * authorisation server compares it in clear.
 */
export function createClientRegistry(deps: {
  db: Knex
  activity: ActivityLog
  masterKey: Buffer
  /** Awaited once a client is disabled: every process forgets the tokens it keeps. */
  disabled?: () => Promise<void>
}) {
  const { db, activity, masterKey } = deps

  return {
    async list(): Promise<ClientView[]> {
      return (await repo.listClients(db)).map(view)
    },

    async get(id: string): Promise<ClientView | undefined> {
      const row = await repo.findClient(db, id)
      return row ? view(row) : undefined
    },

    /** The data scopes the client may ask for (checked by the authorisation server, resource by resource). */
    async allowedScopes(id: string): Promise<string[]> {
      const row = await repo.findClient(db, id)
      return row && !row.disabled_at ? serviceScopesOf(row.allowed_scopes) : []
    },

    /** The client's metadata as oidc-provider wants it (undefined for an unknown or disabled client). */
    async oidcMetadata(id: string): Promise<Record<string, unknown> | undefined> {
      const row = await repo.findClient(db, id)
      if (!row || row.disabled_at) return undefined
      return {
        client_id: row.id,
        client_secret: open(masterKey, row.secret_sealed).toString('utf8'),
        client_name: row.name,
        redirect_uris: row.redirect_uris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      }
    },

    async create(actor: Actor, input: ClientInput): Promise<{ id: string; secret: string }> {
      const id = `svc_${crypto.randomBytes(9).toString('base64url')}`
      const secret = newSecret()
      await db.transaction(async (trx) => {
        await repo.insertClient(trx, {
          id,
          name: input.name,
          redirect_uris: input.redirectUris,
          allowed_scopes: serviceScopesOf(input.scopes),
          catalogue_service_id: input.catalogueServiceId ?? null,
          initiate_login_uri: input.initiateLoginUri ?? null,
          secret_sealed: seal(masterKey, secret),
        })
        await activity.record(trx, actor, {
          action: 'oauth_client.create',
          objectType: 'oauth_client',
          objectId: id,
          details: { name: input.name },
        })
      })
      return { id, secret }
    },

    /** The back office changes a client (name, addresses, scopes, catalogue link): written to the operators' log. */
    async update(actor: Actor, id: string, input: ClientInput): Promise<boolean> {
      return db.transaction(async (trx) => {
        const n = await repo.updateClient(trx, id, {
          name: input.name,
          redirect_uris: input.redirectUris,
          allowed_scopes: serviceScopesOf(input.scopes),
          catalogue_service_id: input.catalogueServiceId ?? null,
          initiate_login_uri: input.initiateLoginUri ?? null,
        })
        if (n)
          await activity.record(trx, actor, {
            action: 'oauth_client.update',
            objectType: 'oauth_client',
            objectId: id,
            details: { name: input.name },
          })
        return n > 0
      })
    },

    /** The catalogue's services, for the back office's choice of the service a client backs. */
    async catalogueServices(): Promise<{ id: string; slug: string; name: string }[]> {
      return repo.catalogueServices(db)
    },

    /** The client that backs a catalogue service (undefined: no application can pair with it yet). */
    async forCatalogueService(serviceId: string, slug: string, q: Knex | Knex.Transaction = db): Promise<ClientView | undefined> {
      const row = await repo.clientForService(q, serviceId, slug)
      return row ? view(row) : undefined
    },

    async rotateSecret(actor: Actor, id: string): Promise<string | undefined> {
      const secret = newSecret()
      const done = await db.transaction(async (trx) => {
        const n = await repo.updateClientSecret(trx, id, seal(masterKey, secret))
        if (!n) return false
        await activity.record(trx, actor, { action: 'oauth_client.rotate_secret', objectType: 'oauth_client', objectId: id })
        return true
      })
      return done ? secret : undefined
    },

    async setDisabled(actor: Actor, id: string, disabled: boolean): Promise<boolean> {
      const changed = await db.transaction(async (trx) => {
        const n = await repo.setClientDisabled(trx, id, disabled)
        if (n)
          await activity.record(trx, actor, {
            action: disabled ? 'oauth_client.disable' : 'oauth_client.enable',
            objectType: 'oauth_client',
            objectId: id,
          })
        return n > 0
      })
      if (changed && disabled) await deps.disabled?.()
      return changed
    },

    /** For the demo seed and tests: a client with a known secret. */
    async createWithSecret(trx: Knex, id: string, secret: string, input: ClientInput): Promise<void> {
      await repo.insertClient(trx, {
        id,
        name: input.name,
        redirect_uris: input.redirectUris,
        allowed_scopes: serviceScopesOf(input.scopes),
        catalogue_service_id: input.catalogueServiceId ?? null,
        initiate_login_uri: input.initiateLoginUri ?? null,
        secret_sealed: seal(masterKey, secret),
      })
    },
  }
}

export type ClientRegistry = ReturnType<typeof createClientRegistry>
