import { serviceCan, type ServiceFacts } from '../../src/domain/servicePolicy'
import { scopeFor, serviceScopesOf } from '../../src/domain/serviceScopes'

const ME = 'p-1'
const base: ServiceFacts = { tokenScopes: ['patient.read', 'observation.read'], consentedScopes: ['patient.read', 'observation.read'], spaceState: 'activated', personId: ME }

describe('serviceCan: a connected service decided like a person', () => {
  test.each<[string, string, 'read' | 'write', Partial<ServiceFacts>, string]>([
    ['own identity, scope granted and consented', 'Patient', 'read', { resource: { ownerPersonId: ME } }, 'allow'],
    ['search without a resource', 'Observation', 'read', {}, 'allow'],
    ['auto-created space is open', 'Observation', 'read', { spaceState: 'auto_created' }, 'allow'],
    ['write not in the token', 'Observation', 'write', {}, '403 forbidden'],
    ['in the token but consent withdrawn since', 'Observation', 'read', { consentedScopes: ['patient.read'] }, '403 forbidden'],
    ['consented but not in this token (re-consent needed)', 'Immunization', 'read', { consentedScopes: ['patient.read', 'immunization.read'] }, '403 forbidden'],
    ["another person's resource", 'Patient', 'read', { resource: { ownerPersonId: 'p-2' } }, '404 not-found'],
    ['a masked document never exists for a service', 'DocumentReference', 'read', { tokenScopes: ['document.read'], consentedScopes: ['document.read'], resource: { ownerPersonId: ME, masked: true } }, '404 not-found'],
    ['a visible document', 'DocumentReference', 'read', { tokenScopes: ['document.read'], consentedScopes: ['document.read'], resource: { ownerPersonId: ME, masked: false } }, 'allow'],
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
