import {
  can,
  decide,
  DEFAULT_SETTINGS,
  type Action,
  type PolicyFacts,
  type ProfessionalRelation,
  type ProfileSection,
  type Relation,
  type SpaceState,
} from '../../src/domain/accessPolicy'
import type { Actor } from '../../src/domain/actor'

import { NOW, P, actors as people } from '../helpers/policyFixtures'

const actors: Record<string, Actor> = {
  patient: people.patient,
  rep: people.rep,
  carer: people.carer,
  doctor: people.pro,
  dentist: { accountId: 'a-den', kind: 'professional', displayName: 'Dr Dent', professionalId: 'pro-2', profession: 'CHIRURGIEN_DENTISTE' },
  agent: people.agent,
  operator: people.operator,
}

const ALL = ['SYNTH_PML', 'DIR_ANT', 'QUEST_SANTE']
const pro = (p: Partial<ProfessionalRelation> = {}): ProfessionalRelation => ({
  kind: 'professional',
  professionalId: 'pro-1',
  profession: 'MEDECIN',
  careTeam: true,
  medecinTraitant: false,
  administrator: false,
  blocked: false,
  samuRegulator: false,
  emergency: null,
  readableCategories: ALL,
  ...p,
})
// The dentist's row of the matrice: no «Directives anticipées», no «Questionnaire santé».
const dentist = (p: Partial<ProfessionalRelation> = {}) =>
  pro({ professionalId: 'pro-2', profession: 'CHIRURGIEN_DENTISTE', readableCategories: ['SYNTH_PML'], ...p })

const facts = (relation: Relation, state: SpaceState = 'activated'): PolicyFacts => ({
  personId: P,
  spaceState: state,
  relation,
  settings: { ...DEFAULT_SETTINGS },
  now: NOW,
})

type Case = [string, Actor, Action, ProfileSection, PolicyFacts, boolean]
const cases: Case[] = [
  ['holder reads the home', actors.patient, 'read', 'home', facts({ kind: 'self' }), true],
  ['holder adds an allergy', actors.patient, 'create', 'allergies', facts({ kind: 'self' }), true],
  ['holder deletes a measure', actors.patient, 'delete', 'measures', facts({ kind: 'self' }), true],
  ['holder writes directives', actors.patient, 'update', 'directives', facts({ kind: 'self' }), true],
  ['holder, space closed', actors.patient, 'read', 'home', facts({ kind: 'self' }, 'closed'), false],
  ['representative reads the child’s allergies', actors.rep, 'read', 'allergies', facts({ kind: 'representative', childAge: 11 }), true],
  ['representative adds a measure', actors.rep, 'create', 'measures', facts({ kind: 'representative', childAge: 11 }), true],
  ['representative deletes a treatment', actors.rep, 'delete', 'treatments', facts({ kind: 'representative', childAge: 11 }), true],
  ['representative may not write directives', actors.rep, 'update', 'directives', facts({ kind: 'representative', childAge: 17 }), false],
  ['representative reads the directives page', actors.rep, 'read', 'directives', facts({ kind: 'representative', childAge: 17 }), true],
  [
    'carer with read only: reads',
    actors.carer,
    'read',
    'treatments',
    facts({ kind: 'carer', rights: { read: true, write: false, messages: false } }),
    true,
  ],
  [
    'carer with read only: may not add',
    actors.carer,
    'create',
    'treatments',
    facts({ kind: 'carer', rights: { read: true, write: false, messages: false } }),
    false,
  ],
  [
    'carer with write: adds',
    actors.carer,
    'create',
    'measures',
    facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }),
    true,
  ],
  [
    'carer with write: never deletes',
    actors.carer,
    'delete',
    'measures',
    facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }),
    false,
  ],
  [
    'carer never writes directives',
    actors.carer,
    'update',
    'directives',
    facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }),
    false,
  ],
  ['care-team doctor reads allergies', actors.doctor, 'read', 'allergies', facts(pro()), true],
  ['care-team doctor reads directives', actors.doctor, 'read', 'directives', facts(pro()), true],
  ['doctor changes nothing', actors.doctor, 'update', 'allergies', facts(pro()), false],
  ['doctor without consent reads nothing', actors.doctor, 'read', 'allergies', facts(pro({ careTeam: false })), false],
  [
    'médecin traitant without consent reads',
    actors.doctor,
    'read',
    'measures',
    facts(pro({ careTeam: false, medecinTraitant: true })),
    true,
  ],
  ['blocked doctor reads nothing', actors.doctor, 'read', 'allergies', facts(pro({ blocked: true })), false],
  ['dentist reads allergies', actors.dentist, 'read', 'allergies', facts(dentist()), true],
  ['dentist may not read directives anticipées', actors.dentist, 'read', 'directives', facts(dentist()), false],
  ['dentist may not read the bilan prévention', actors.dentist, 'read', 'bilan', facts(dentist()), false],
  ['agent never', actors.agent, 'read', 'home', facts({ kind: 'agent' }), false],
  ['operator never', actors.operator, 'read', 'measures', facts({ kind: 'operator' }), false],
  ['a patient on someone else’s profile', actors.patient, 'read', 'home', facts({ kind: 'none' }), false],
]

describe('politique d’accès : rubriques du profil médical', () => {
  it.each(cases)('%s', (_name, actor, action, section, f, expected) => {
    expect(can(actor, action, { type: 'profile-section', section }, f)).toBe(expected)
  })
  it('un refus sur le profil est un 403 (la page existe)', () => {
    expect(decide(actors.dentist, 'read', { type: 'profile-section', section: 'directives' }, facts(dentist()))).toEqual({
      allowed: false,
      status: 403,
    })
  })
})
