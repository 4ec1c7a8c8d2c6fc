import type { SpaceState } from './lifecycle'
import { scopeFor, type ScopeAction, type ServiceScope } from './serviceScopes'

/**
 * What a connected service may do on a person's space (issue 8), decided like for a person: the
 * scope must be in the access token AND still consented by the person; the space must be open;
 * a masked document does not exist for a service; another person's data does not exist either.
 * To be folded into src/domain/accessPolicy.ts (`can(actor, action, resource, facts)`) at merge.
 */
export interface ServiceFacts {
  /** Scopes carried by the access token (what the person consented to when it was issued). */
  tokenScopes: readonly string[]
  /** Scopes the person consents to now (withdrawn ones are gone at once). */
  consentedScopes: readonly ServiceScope[]
  spaceState: SpaceState | undefined
  /** For a single resource: the space it belongs to, and whether its holder masked it. */
  resource?: { ownerPersonId: string; masked?: boolean }
  /** The person the token was issued for. */
  personId: string
}

export type ServiceDecision =
  | { allow: true }
  | { allow: false; status: 403 | 404; code: 'forbidden' | 'not-found' | 'closed'; reason: string }

const OPEN_STATES: ReadonlySet<SpaceState> = new Set(['activated', 'auto_created'])

export function serviceCan(resourceType: string, action: ScopeAction, facts: ServiceFacts): ServiceDecision {
  const scope = scopeFor(resourceType, action)
  if (!scope) return { allow: false, status: 404, code: 'not-found', reason: "Ce type de ressource n'existe pas" }
  if (!facts.spaceState || !OPEN_STATES.has(facts.spaceState)) {
    return { allow: false, status: 403, code: 'closed', reason: "L'espace santé de cette personne n'est pas ouvert" }
  }
  if (!facts.tokenScopes.includes(scope) || !facts.consentedScopes.includes(scope)) {
    return { allow: false, status: 403, code: 'forbidden', reason: `Le consentement de la personne ne couvre pas cette action (portée ${scope})` }
  }
  if (facts.resource) {
    if (facts.resource.ownerPersonId !== facts.personId || facts.resource.masked) {
      return { allow: false, status: 404, code: 'not-found', reason: "Cette ressource n'existe pas" }
    }
  }
  return { allow: true }
}
