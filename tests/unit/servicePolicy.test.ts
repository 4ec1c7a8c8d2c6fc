import { can, decideService, type DocumentFacts, type PolicyFacts, type ServiceDecision } from '../../src/domain/accessPolicy'
import { serviceActor } from '../../src/domain/actor'
import type { SpaceState } from '../../src/domain/lifecycle'
import { scopeFor, serviceScopesOf, type ScopeAction, type ServiceScope } from '../../src/domain/serviceScopes'

interface ServiceFacts {
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

/** A connected service's request, decided by `decideService` with the facts the FHIR service would gather. */
function serviceCan(resourceType: string, action: ScopeAction, facts: ServiceFacts): ServiceDecision {
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

const ME = 'p-1'
const base: ServiceFacts = {
  tokenScopes: ['patient.read', 'observation.read'],
  consentedScopes: ['patient.read', 'observation.read'],
  spaceState: 'activated',
  personId: ME,
}

describe('serviceCan: a connected service decided like a person', () => {
  test.each<[string, string, 'read' | 'write', Partial<ServiceFacts>, string]>([
    ['own identity, scope granted and consented', 'Patient', 'read', { resource: { ownerPersonId: ME } }, 'allow'],
    ['search without a resource', 'Observation', 'read', {}, 'allow'],
    ['auto-created space is open', 'Observation', 'read', { spaceState: 'auto_created' }, 'allow'],
    ['write not in the token', 'Observation', 'write', {}, '403 forbidden'],
    ['in the token but consent withdrawn since', 'Observation', 'read', { consentedScopes: ['patient.read'] }, '403 forbidden'],
    [
      'consented but not in this token (re-consent needed)',
      'Immunization',
      'read',
      { consentedScopes: ['patient.read', 'immunization.read'] },
      '403 forbidden',
    ],
    ["another person's resource", 'Patient', 'read', { resource: { ownerPersonId: 'p-2' } }, '404 not-found'],
    [
      'a masked document never exists for a service',
      'DocumentReference',
      'read',
      { tokenScopes: ['document.read'], consentedScopes: ['document.read'], resource: { ownerPersonId: ME, masked: true } },
      '404 not-found',
    ],
    [
      'a visible document',
      'DocumentReference',
      'read',
      { tokenScopes: ['document.read'], consentedScopes: ['document.read'], resource: { ownerPersonId: ME, masked: false } },
      'allow',
    ],
    ['closed space', 'Patient', 'read', { spaceState: 'closed' }, '403 closed'],
    ['opposed space', 'Patient', 'read', { spaceState: 'opposed' }, '403 closed'],
    ['no space', 'Patient', 'read', { spaceState: undefined }, '403 closed'],
    ['unknown resource type', 'Medication', 'read', {}, '404 not-found'],
  ])('%s', (_label, type, action, facts, expected) => {
    const d = serviceCan(type, action, { ...base, ...facts })
    expect(d.allow ? 'allow' : `${d.status} ${d.code}`).toBe(expected)
  })
})

describe('scopes', () => {
  test('one scope per category and action; unknown scopes dropped; catalogue order', () => {
    expect(scopeFor('Observation', 'write')).toBe('observation.write')
    expect(scopeFor('Immunization', 'read')).toBe('immunization.read')
    expect(scopeFor('Nope', 'read')).toBeUndefined()
    expect(serviceScopesOf('openid document.read admin patient.read')).toEqual(['patient.read', 'document.read'])
    expect(serviceScopesOf(['observation.write', 'x'])).toEqual(['observation.write'])
    expect(serviceScopesOf(undefined)).toEqual([])
  })
})

describe('the one access policy: a connected service is a relation of `can`', () => {
  const actor = serviceActor('svc_1', 'Withings Health Mate', ME, ['observation.read', 'observation.write', 'document.read'])
  const facts = (over: Record<string, unknown> = {}) => ({
    personId: ME,
    spaceState: 'activated' as const,
    relation: {
      kind: 'service' as const,
      clientId: 'svc_1',
      tokenScopes: ['observation.read', 'observation.write', 'document.read'],
      consentedScopes: ['observation.read', 'observation.write', 'document.read'],
    },
    settings: { emergencyEtreat: true, emergencyBtg: true, emergencyMasked: false, maskNewDocuments: false, reimbursementsHidden: false },
    now: new Date('2026-11-24T10:00:00Z'),
    ...over,
  })
  const doc = (over: Record<string, unknown> = {}) => ({
    personId: ME,
    category: 'BIOLOGIE',
    authorKind: 'patient' as const,
    authorAccountId: null,
    authorProfessionalId: null,
    masked: false,
    invisibleToRepresentatives: false,
    heldUntil: null,
    heldReleasedAt: null,
    ...over,
  })

  test('measures: read and create with the scopes; never delete', () => {
    expect(can(actor, 'list', { type: 'profile-section', section: 'measures' }, facts())).toBe(true)
    expect(can(actor, 'create', { type: 'profile-section', section: 'measures' }, facts())).toBe(true)
    expect(can(actor, 'delete', { type: 'profile-section', section: 'measures' }, facts())).toBe(false)
    expect(can(actor, 'read', { type: 'profile-section', section: 'allergies' }, facts())).toBe(false)
  })
  test('documents: visible ones only; never masked, held or invisible to representatives; no write without the scope', () => {
    expect(can(actor, 'read', { type: 'document', document: doc() }, facts())).toBe(true)
    expect(can(actor, 'read', { type: 'document', document: doc({ masked: true }) }, facts())).toBe(false)
    expect(can(actor, 'read', { type: 'document', document: doc({ invisibleToRepresentatives: true }) }, facts())).toBe(false)
    expect(can(actor, 'read', { type: 'document', document: doc({ heldUntil: new Date('2026-12-01') }) }, facts())).toBe(false)
    expect(can(actor, 'create', { type: 'document' }, facts())).toBe(false)
  })
  test('the relation must be the same client; a person relation never serves a service, and the reverse', () => {
    expect(can(actor, 'list', { type: 'profile-section', section: 'measures' }, facts({ relation: { kind: 'self' } }))).toBe(false)
    expect(can(serviceActor('svc_2', 'Autre', ME), 'list', { type: 'profile-section', section: 'measures' }, facts())).toBe(false)
    expect(
      can(
        { accountId: 'a', kind: 'patient', displayName: 'C', personId: ME },
        'list',
        { type: 'profile-section', section: 'measures' },
        facts(),
      ),
    ).toBe(false)
  })
  test('closed, opposed: refused; consent withdrawn: refused', () => {
    expect(decideService(actor, 'Observation', 'read', facts({ spaceState: 'closed' }))).toMatchObject({
      allow: false,
      status: 403,
      code: 'closed',
    })
    expect(decideService(actor, 'Observation', 'read', facts({ spaceState: 'opposed' }))).toMatchObject({
      allow: false,
      status: 403,
      code: 'closed',
    })
    const withdrawn = facts({ relation: { kind: 'service', clientId: 'svc_1', tokenScopes: ['observation.read'], consentedScopes: [] } })
    expect(decideService(actor, 'Observation', 'read', withdrawn)).toMatchObject({ allow: false, status: 403, code: 'forbidden' })
    expect(
      decideService(actor, 'DocumentReference', 'read', facts(), { ownerPersonId: ME, document: doc({ masked: true }) }),
    ).toMatchObject({ allow: false, status: 404 })
  })
})
