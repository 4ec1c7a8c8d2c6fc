import { decideService, type DocumentFacts, type PolicyFacts, type ServiceDecision } from './accessPolicy'
import { serviceActor } from './actor'
import type { SpaceState } from './lifecycle'
import type { ScopeAction, ServiceScope } from './serviceScopes'

/**
 * Thin adapter kept for older callers and tests: the decision itself is in src/domain/accessPolicy.ts
 * (relation 'service', `decideService`), the one policy module.
 */
export type { ServiceDecision } from './accessPolicy'

export interface ServiceFacts {
  tokenScopes: readonly string[]
  consentedScopes: readonly ServiceScope[]
  spaceState: SpaceState | undefined
  resource?: { ownerPersonId: string; masked?: boolean }
  personId: string
}

const documentOf = (ownerPersonId: string, masked: boolean): DocumentFacts => ({
  personId: ownerPersonId,
  category: 'CR',
  authorKind: 'patient',
  authorAccountId: null,
  authorProfessionalId: null,
  masked,
  invisibleToRepresentatives: false,
  heldUntil: null,
  heldReleasedAt: null,
})

export function serviceCan(resourceType: string, action: ScopeAction, facts: ServiceFacts): ServiceDecision {
  const policyFacts: PolicyFacts = {
    personId: facts.personId,
    spaceState: facts.spaceState ?? 'not_notified',
    relation: { kind: 'service', clientId: 'c', tokenScopes: facts.tokenScopes, consentedScopes: facts.consentedScopes },
    settings: { emergencyEtreat: true, emergencyBtg: true, emergencyMasked: false, maskNewDocuments: false, reimbursementsHidden: false },
    now: new Date(),
  }
  const r = facts.resource
  const target = r
    ? {
        ownerPersonId: r.ownerPersonId,
        document: resourceType === 'DocumentReference' ? documentOf(r.ownerPersonId, Boolean(r.masked)) : undefined,
      }
    : undefined
  return decideService(serviceActor('c', 'Service', facts.personId, facts.tokenScopes), resourceType, action, policyFacts, target)
}
