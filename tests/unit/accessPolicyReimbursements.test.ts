import {
  can,
  DEFAULT_SETTINGS,
  type Action,
  type PolicyFacts,
  type ProfessionalRelation,
  type Relation,
  type SpaceState,
} from '../../src/domain/accessPolicy'
import type { Actor } from '../../src/domain/actor'

import { NOW, P, actors } from '../helpers/policyFixtures'

const pro = (p: Partial<ProfessionalRelation> = {}): ProfessionalRelation => ({
  kind: 'professional',
  professionalId: 'pro-1',
  profession: 'MEDECIN',
  careTeam: false,
  medecinTraitant: false,
  administrator: false,
  blocked: false,
  samuRegulator: false,
  emergency: null,
  readableCategories: [],
  ...p,
})
const facts = (relation: Relation, o: { state?: SpaceState; hidden?: boolean } = {}): PolicyFacts => ({
  personId: P,
  spaceState: o.state ?? 'activated',
  relation,
  settings: { ...DEFAULT_SETTINGS, reimbursementsHidden: o.hidden ?? false },
  now: NOW,
})

const cases: [string, Actor, Action, PolicyFacts, boolean][] = [
  ['holder reads', actors.patient, 'read', facts({ kind: 'self' }), true],
  ['holder reads even when hidden from professionals', actors.patient, 'read', facts({ kind: 'self' }, { hidden: true }), true],
  ['holder sets the switch', actors.patient, 'manage', facts({ kind: 'self' }), true],
  ['holder cannot write reimbursements', actors.patient, 'create', facts({ kind: 'self' }), false],
  ['closed space: nothing', actors.patient, 'read', facts({ kind: 'self' }, { state: 'closed' }), false],
  ['representative reads', actors.rep, 'read', facts({ kind: 'representative', childAge: 9 }), true],
  ['representative sets the switch', actors.rep, 'manage', facts({ kind: 'representative', childAge: 9 }), true],
  ['carer with read reads', actors.carer, 'read', facts({ kind: 'carer', rights: { read: true, write: false, messages: false } }), true],
  [
    'carer with the messages right only',
    actors.carer,
    'read',
    facts({ kind: 'carer', rights: { read: false, write: false, messages: true } }),
    false,
  ],
  [
    'carer never sets the switch',
    actors.carer,
    'manage',
    facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }),
    false,
  ],
  ['care team reads', actors.pro, 'read', facts(pro({ careTeam: true })), true],
  ['care team: hidden', actors.pro, 'read', facts(pro({ careTeam: true }), { hidden: true }), false],
  ['médecin traitant reads', actors.pro, 'read', facts(pro({ medecinTraitant: true })), true],
  ['médecin traitant: hidden applies too', actors.pro, 'read', facts(pro({ medecinTraitant: true }), { hidden: true }), false],
  ['administrator with consent reads', actors.pro, 'list', facts(pro({ administrator: true, careTeam: true })), true],
  ['administrator without consent reads nothing', actors.pro, 'list', facts(pro({ administrator: true })), false],
  ['professional without consent', actors.pro, 'read', facts(pro()), false],
  ['blocked professional', actors.pro, 'read', facts(pro({ careTeam: true, blocked: true })), false],
  ['emergency BTG allowed', actors.pro, 'read', facts(pro({ emergency: { kind: 'BTG' } })), true],
  ['emergency but hidden', actors.pro, 'read', facts(pro({ emergency: { kind: 'BTG' } }), { hidden: true }), false],
  ['professional never sets the switch', actors.pro, 'manage', facts(pro({ medecinTraitant: true })), false],
  ['a patient acting for someone else', actors.patient, 'read', facts({ kind: 'none' }), false],
  ['agent never', actors.agent, 'read', facts({ kind: 'agent' }), false],
  ['operator never', actors.operator, 'read', facts({ kind: 'operator' }), false],
  ['operator even with system facts', actors.operator, 'read', facts({ kind: 'system' }), false],
]

describe('politique d’accès : remboursements', () => {
  it.each(cases)('%s', (_label, actor, action, f, expected) => {
    expect(can(actor, action, { type: 'reimbursements' }, f)).toBe(expected)
  })
})
