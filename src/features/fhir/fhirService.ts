import type { Knex } from 'knex'
import { serviceActor, type Actor } from '../../domain/actor'
import type { SpaceState } from '../../domain/lifecycle'
import { serviceCan, type ServiceDecision } from '../../domain/servicePolicy'
import { serviceScopesOf, type ScopeAction } from '../../domain/serviceScopes'
import { toPatient, type IssueCode } from '../../domain/fhir'
import type { Limiter } from '../../infrastructure/rateLimit'
import type { ActivityLog } from '../history/activity'
import type { ClientRegistry } from './clients'
import type { Connections } from './connections'
import type { OidcProvider } from './provider'
import { fhirRepository as repo } from './repository'

/** An error the FHIR API answers with an OperationOutcome. */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly code: IssueCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

/** Who calls: a connected service, for the person who consented. */
export interface FhirCaller {
  actor: Actor
  clientId: string
  personId: string
  tokenScopes: string[]
}

/**
 * The use cases of the FHIR API. Every call is decided by the service policy with fresh facts
 * (token scopes, current consent, space state, ownership, masking) and writes an activity row in the
 * person's history (role 'service'), allowed or refused.
 */
export function createFhirService(deps: { db: Knex; activity: ActivityLog; clients: ClientRegistry; connections: Connections; oidc: OidcProvider; audience: string; limiter: Limiter }) {
  const { db, activity, clients, connections, oidc, audience } = deps

  async function authenticate(authorization: string | undefined): Promise<FhirCaller> {
    const challenge = (error?: string) => ({ 'WWW-Authenticate': `Bearer realm="fhir"${error ? `, error="${error}"` : ''}` })
    const m = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization ?? '')
    if (!m) throw new FhirError(401, 'login', "Jeton d'accès absent : utilisez l'en-tête Authorization: Bearer <jeton>", challenge())
    const token = await oidc.AccessToken.find(m[1])
    const audiences = token ? (Array.isArray(token.aud) ? token.aud : [token.aud]) : []
    if (!token || token.isExpired || !audiences.includes(audience)) throw new FhirError(401, 'login', "Jeton d'accès invalide, expiré ou révoqué", challenge('invalid_token'))
    const client = await clients.get(token.clientId)
    if (!client || client.disabled) throw new FhirError(401, 'login', "Ce service n'est plus autorisé", challenge('invalid_token'))
    await deps.limiter.consume(client.id)
    return { actor: serviceActor(client.id, client.name), clientId: client.id, personId: token.accountId, tokenScopes: serviceScopesOf(token.scope) }
  }

  /** Decides, then writes the activity row (in the caller's transaction) whatever the answer. */
  async function decide(trx: Knex.Transaction, caller: FhirCaller, resourceType: string, action: ScopeAction, resource?: { ownerPersonId: string; masked?: boolean; id?: string }): Promise<void> {
    const person = await repo.personWithSpace(trx, caller.personId)
    const decision: ServiceDecision = serviceCan(resourceType, action, {
      tokenScopes: caller.tokenScopes,
      consentedScopes: await connections.consentedScopes(caller.personId, caller.clientId),
      spaceState: (person?.state ?? undefined) as SpaceState | undefined,
      personId: caller.personId,
      resource,
    })
    if (!decision.allow) {
      // The refusal is recorded outside the caller's transaction (which is rolled back by the throw).
      await db.transaction((t) =>
        activity.record(t, caller.actor, { action: 'fhir.denied', subjectPersonId: caller.personId, objectType: resourceType, objectId: resource?.id, details: { action, reason: decision.code } }),
      )
      throw new FhirError(decision.status, decision.code === 'not-found' ? 'not-found' : 'forbidden', decision.reason)
    }
    await activity.record(trx, caller.actor, { action: action === 'read' ? 'fhir.read' : 'fhir.write', subjectPersonId: caller.personId, objectType: resourceType, objectId: resource?.id })
  }

  return {
    authenticate,

    async readPatient(caller: FhirCaller, id: string) {
      return db.transaction(async (trx) => {
        await decide(trx, caller, 'Patient', 'read', { ownerPersonId: id, id })
        const person = await repo.personWithSpace(trx, id)
        if (!person) throw new FhirError(404, 'not-found', "Cette ressource n'existe pas")
        return toPatient({ id: person.id, lastName: person.last_name, firstNames: person.first_names, sex: person.sex, birthDate: person.birth_date })
      })
    },

    /** `GET /Patient`: the holder only, whatever the search says. */
    async searchPatient(caller: FhirCaller) {
      return db.transaction(async (trx) => {
        await decide(trx, caller, 'Patient', 'read')
        const person = await repo.personWithSpace(trx, caller.personId)
        return person ? [toPatient({ id: person.id, lastName: person.last_name, firstNames: person.first_names, sex: person.sex, birthDate: person.birth_date })] : []
      })
    },
  }
}

export type FhirService = ReturnType<typeof createFhirService>
