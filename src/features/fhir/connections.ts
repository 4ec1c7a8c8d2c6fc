import type { Knex } from 'knex'
import { subjectPersonId, type Actor } from '../../domain/actor'
import { SCOPE_REQUEST, SERVICE_SCOPES, scopesOfRequests, serviceScopesOf, type ServiceScope } from '../../domain/serviceScopes'
import { consentState, parseRequestKey, requestLabel } from '../../domain/consent'
import type { CatalogueService } from '../catalogue/service'
import type { ActivityLog } from '../history/activity'
import { fhirRepository as repo, type ClientConsentRow } from './repository'

export interface Connection {
  clientId: string
  clientName: string
  scopes: ServiceScope[]
  grantedAt: Date
}

/**
 * One connected service of a person, as «Services connectés» and «Mes autorisations» both show it
 * (one source: `ofPerson`). A catalogue service: its consent (`service_connections`) and the OAuth
 * client backing it; a service outside the catalogue: its client's own consent.
 */
export interface ConnectionEntry {
  name: string
  /** The catalogue's slug, or null for a service outside the catalogue. */
  slug: string | null
  /** The OAuth client that exchanges data with the space (null: no application registered yet). */
  clientId: string | null
  /** What the person allowed and the service may use now, in the catalogue's words. */
  labels: string[]
  /** The same as FHIR API scopes (what the client may actually call). */
  scopes: ServiceScope[]
  since: Date
  /** The service asks for more than was consented: nothing new until a new consent. */
  needsReconsent: boolean
  /** Withdrawn from the catalogue: no access any more, only «Désynchroniser» is left. */
  withdrawn: boolean
  /** Where its authorisations are changed. */
  href: string
}

const labelOfKey = (key: string) => {
  const r = parseRequestKey(key)
  return r ? requestLabel(r) : key
}

/** The consent box of a scope, in the catalogue's words («Ajouter ou modifier : Mesures (poids, tension, glycémie…)»). */
export function scopeLabel(scope: ServiceScope): string {
  return SCOPE_REQUEST[scope] ? labelOfKey(SCOPE_REQUEST[scope]) : SERVICE_SCOPES[scope].label
}

/**
 * The person's consent to each connected service, category by category. One truth: for a client
 * linked to a catalogue service (`oauth_clients.catalogue_service_id`), the consent IS the
 * catalogue's (`service_connections`, with its versions: a new request is not granted before a new
 * consent); the OAuth consent page writes it there and the catalogue's «Désynchroniser» destroys the
 * client's grants. `service_consents` only holds the consent to clients outside the catalogue.
 * The FHIR API checks the consent on every call, so a withdrawal applies at once.
 */
export function createConnections(deps: { db: Knex; activity: ActivityLog; catalogue: CatalogueService }) {
  const { db, activity, catalogue } = deps

  async function linked(clientId: string, q: Knex | Knex.Transaction = db) {
    const client = await repo.findClient(q, clientId)
    return client ? { client, link: client.catalogue_service_id } : undefined
  }

  return {
    /** The scopes the person currently allows this service (empty when not connected). */
    async consentedScopes(
      personId: string,
      clientId: string,
      q: Knex | Knex.Transaction = db,
      prefetched?: ClientConsentRow | null,
    ): Promise<ServiceScope[]> {
      // `prefetched`: the same row, read in the caller's query of this transaction (the access facts).
      const row = prefetched === undefined ? await repo.clientConsent(q, personId, clientId) : prefetched
      if (!row) return []
      if (row.catalogue_service_id && row.catalogue_status !== undefined) {
        // The row carries what `catalogue.consentOf` reads (same rules): the service (published, its
        // current version's requests), the person's active connection, the space open.
        if (
          !row.catalogue_requests ||
          row.catalogue_version == null ||
          !row.space_open ||
          row.catalogue_status !== 'published' ||
          row.connection_version == null
        )
          return []
        const effective = consentState(
          { version: row.catalogue_version, requests: row.catalogue_requests },
          { version: row.connection_version, asked: row.connection_asked ?? [], granted: row.connection_granted ?? [] },
        ).effective
        return scopesOfRequests(effective).filter((s) => row.allowed_scopes.includes(s))
      }
      if (row.catalogue_service_id) {
        const c = await catalogue.consentOf(personId, row.catalogue_service_id, q)
        return c ? scopesOfRequests(c.effective).filter((s) => row.allowed_scopes.includes(s)) : []
      }
      return row.scopes ? serviceScopesOf(row.scopes) : []
    },

    /** The scopes the consent page may offer: for a catalogue service, only what its current version asks. */
    async offerable(clientId: string, personId: string): Promise<ServiceScope[] | undefined> {
      const l = await linked(clientId)
      if (!l?.link) return undefined
      const c = await catalogue.consentOf(personId, l.link)
      // A withdrawn (or draft) catalogue service cannot be consented to.
      return c?.published ? scopesOfRequests(c.asked) : []
    },

    /**
     * THE list of a person's connected services: «Services connectés» and «Mes autorisations» both
     * show it. Two statements, on `q` (the caller's transaction when it has one).
     */
    async ofPerson(personId: string, q: Knex | Knex.Transaction = db): Promise<ConnectionEntry[]> {
      const [catalogueRows, own] = await Promise.all([repo.catalogueConnectionsOf(q, personId), repo.consentsOf(q, personId)])
      const entries: ConnectionEntry[] = catalogueRows.map((r) => {
        const published = r.status === 'published'
        const state = consentState(
          { version: r.current_version, requests: r.requests },
          { version: r.version, asked: r.asked, granted: r.granted },
        )
        const effective = published ? state.effective : []
        return {
          name: r.name,
          slug: r.slug,
          clientId: r.client_id,
          labels: effective.map(labelOfKey),
          scopes: r.client_id ? scopesOfRequests(effective).filter((s) => (r.allowed_scopes ?? []).includes(s)) : [],
          since: r.consented_at,
          needsReconsent: published && state.needsReconsent,
          withdrawn: r.status === 'withdrawn',
          href: `/catalogue/${r.slug}`,
        }
      })
      for (const r of own) {
        if (r.catalogue_service_id) continue // the catalogue's consent is the truth for a linked client
        const scopes = serviceScopesOf(r.scopes)
        entries.push({
          name: r.client_name,
          slug: null,
          clientId: r.client_id,
          labels: scopes.map((s) => SERVICE_SCOPES[s].label),
          scopes,
          since: r.granted_at,
          needsReconsent: false,
          withdrawn: false,
          href: '/mon-espace/services-connectes',
        })
      }
      return entries.sort((a, b) => a.name.localeCompare(b.name, 'fr'))
    },

    /** The connected services of the space the actor looks at (the clients among them), for older callers. */
    async list(actor: Actor): Promise<Connection[]> {
      const personId = subjectPersonId(actor)
      if (!personId) return []
      return (await this.ofPerson(personId))
        .filter((e) => e.clientId)
        .map((e) => ({ clientId: e.clientId!, clientName: e.name, scopes: e.scopes, grantedAt: e.since }))
    },

    /** Records the person's answer on the consent page (replaces an earlier consent to the same service). */
    async consent(
      actor: Actor,
      client: { id: string; name: string },
      scopes: ServiceScope[],
      requested: ServiceScope[] = scopes,
    ): Promise<void> {
      const personId = actor.personId!
      const l = await linked(client.id)
      if (l?.link) {
        // The catalogue consent: the ticked requests, plus what was granted before and not asked now.
        const c = await catalogue.consentOf(personId, l.link)
        if (!c) throw new Error('service du catalogue introuvable')
        const asked = new Set(requested.map((s) => SCOPE_REQUEST[s]))
        const keep = c.effective.filter((k) => !asked.has(k))
        const ticked = [...new Set([...keep, ...scopes.map((s) => SCOPE_REQUEST[s]).filter((k) => c.asked.includes(k))])]
        const r = await catalogue.connect(actor, c.slug, ticked)
        if (!r.ok) throw new Error(r.message)
        return
      }
      await db.transaction(async (trx) => {
        await repo.revokeConsent(trx, personId, client.id)
        await repo.insertConsent(trx, personId, client.id, scopes)
        await activity.record(trx, actor, {
          action: 'service.consent',
          subjectPersonId: personId,
          objectType: 'oauth_client',
          objectId: client.id,
          details: { service: client.name, scopes },
        })
      })
    },

    /** A new answer on the consent page replaces the earlier grant (its tokens go with it). */
    async replaceGrant(grantId: string): Promise<void> {
      await repo.destroyGrant(db, grantId)
    },

    /** «Désynchroniser»: consent withdrawn, grants, refresh and access tokens destroyed. */
    async disconnect(actor: Actor, clientId: string): Promise<boolean> {
      const personId = actor.personId!
      const l = await linked(clientId)
      if (l?.link) {
        const c = await catalogue.consentOf(personId, l.link)
        // The catalogue's own «Désynchroniser» ends the consent and destroys the grants of its clients.
        if (c?.consentedAt && (await catalogue.disconnect(actor, c.slug))) return true
      }
      return db.transaction(async (trx) => {
        const current = await repo.activeConsent(trx, personId, clientId)
        const grants = await repo.destroyGrants(trx, personId, clientId)
        if (!current && grants === 0) return false
        await repo.revokeConsent(trx, personId, clientId)
        const client = await repo.findClient(trx, clientId)
        await activity.record(trx, actor, {
          action: 'service.disconnect',
          subjectPersonId: personId,
          objectType: 'oauth_client',
          objectId: clientId,
          details: { service: client?.name },
        })
        return true
      })
    },
  }
}

export type Connections = ReturnType<typeof createConnections>
