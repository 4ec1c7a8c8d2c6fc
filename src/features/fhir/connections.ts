import type { Knex } from 'knex'
import { subjectPersonId, type Actor } from '../../domain/actor'
import { serviceScopesOf, type ServiceScope } from '../../domain/serviceScopes'
import type { ActivityLog } from '../history/activity'
import { fhirRepository as repo } from './repository'

export interface Connection {
  clientId: string
  clientName: string
  scopes: ServiceScope[]
  grantedAt: Date
}

/**
 * The person's consent to each connected service, category by category. The authorisation server
 * asks for it (consent page); «Désynchroniser» withdraws it and destroys every grant and token of
 * that service at once. The FHIR API checks the consent on every call, so a withdrawal applies
 * immediately even to an access token still within its 10 minutes.
 */
export function createConnections(deps: { db: Knex; activity: ActivityLog }) {
  const { db, activity } = deps

  return {
    /** The scopes the person currently allows this service (empty when not connected). */
    async consentedScopes(personId: string, clientId: string): Promise<ServiceScope[]> {
      const row = await repo.activeConsent(db, personId, clientId)
      return row ? serviceScopesOf(row.scopes) : []
    },

    async list(actor: Actor): Promise<Connection[]> {
      const personId = subjectPersonId(actor)
      if (!personId) return []
      return (await repo.consentsOf(db, personId)).map((r) => ({ clientId: r.client_id, clientName: r.client_name, scopes: serviceScopesOf(r.scopes), grantedAt: r.granted_at }))
    },

    /** Records the person's answer on the consent page (replaces an earlier consent to the same service). */
    async consent(actor: Actor, client: { id: string; name: string }, scopes: ServiceScope[]): Promise<void> {
      const personId = actor.personId!
      await db.transaction(async (trx) => {
        await repo.revokeConsent(trx, personId, client.id)
        await repo.insertConsent(trx, personId, client.id, scopes)
        await activity.record(trx, actor, { action: 'service.consent', subjectPersonId: personId, objectType: 'oauth_client', objectId: client.id, details: { service: client.name, scopes } })
      })
    },

    /** «Désynchroniser»: consent withdrawn, grants, refresh and access tokens destroyed. */
    async disconnect(actor: Actor, clientId: string): Promise<boolean> {
      const personId = actor.personId!
      return db.transaction(async (trx) => {
        const current = await repo.activeConsent(trx, personId, clientId)
        const grants = await repo.destroyGrants(trx, personId, clientId)
        if (!current && grants === 0) return false
        await repo.revokeConsent(trx, personId, clientId)
        const client = await repo.findClient(trx, clientId)
        await activity.record(trx, actor, { action: 'service.disconnect', subjectPersonId: personId, objectType: 'oauth_client', objectId: clientId, details: { service: client?.name } })
        return true
      })
    },
  }
}

export type Connections = ReturnType<typeof createConnections>
