import {
  DEFAULT_SETTINGS,
  PROFESSIONAL_PROFILE_SECTIONS,
  readableProfileSections,
  type PolicyFacts,
  type ProfessionalRelation,
  type ProfileSection,
  type SpaceState,
} from '../../src/domain/accessPolicy'
import type { Actor } from '../../src/domain/actor'

/**
 * What the professional portal's «Profil médical» page shows: the sections the access policy lets
 * each profession read (rows of the matrice d'habilitation as seeded in migrations/20261124_0500_documents.ts).
 */
const NOW = new Date('2026-11-24T10:00:00Z')
const P = '11111111-1111-1111-1111-111111111111'
const ALL_CATEGORIES = [
  'SYNTHESE',
  'ORD_SOIN',
  'RADIO_SC',
  'BIOLOGIE',
  'CPT_REND',
  'DEPISTAG',
  'CERT_MED',
  'DOC_ADM',
  'AUTR_DOC',
  'SYNTH_PML',
  'DIR_ANT',
  'QUEST_SANTE',
  'CAR_VAC',
  'REMB',
]
const without = (...no: string[]) => ALL_CATEGORIES.filter((c) => !no.includes(c))
const MATRIX: Record<string, string[]> = {
  MEDECIN: ALL_CATEGORIES,
  PHARMACIEN: without('DIR_ANT', 'QUEST_SANTE', 'CERT_MED', 'DOC_ADM', 'REMB'),
  CHIRURGIEN_DENTISTE: without('DIR_ANT', 'QUEST_SANTE', 'CERT_MED', 'DOC_ADM', 'REMB'),
  INFIRMIER: without('QUEST_SANTE', 'DOC_ADM', 'REMB'),
}

const actor = (profession: string): Actor => ({
  accountId: `a-${profession}`,
  kind: 'professional',
  displayName: 'Pro',
  professionalId: `pro-${profession}`,
  profession,
})
const relation = (profession: string, p: Partial<ProfessionalRelation> = {}): ProfessionalRelation => ({
  kind: 'professional',
  professionalId: `pro-${profession}`,
  profession,
  careTeam: true,
  medecinTraitant: false,
  administrator: false,
  blocked: false,
  samuRegulator: false,
  emergency: null,
  readableCategories: MATRIX[profession],
  ...p,
})
const facts = (rel: ProfessionalRelation, state: SpaceState = 'activated', settings = DEFAULT_SETTINGS): PolicyFacts => ({
  personId: P,
  spaceState: state,
  relation: rel,
  settings: { ...settings },
  now: NOW,
})

const EVERYTHING = [...PROFESSIONAL_PROFILE_SECTIONS]
const NO_QUESTIONNAIRES_NO_DIRECTIVES = EVERYTHING.filter((s) => s !== 'lifestyle' && s !== 'bilan' && s !== 'directives')
const NO_QUESTIONNAIRES = EVERYTHING.filter((s) => s !== 'lifestyle' && s !== 'bilan')

type Case = [string, string, PolicyFacts, ProfileSection[]]
const cases: Case[] = [
  [
    'médecin généraliste in the care team: every section, directives anticipées included',
    'MEDECIN',
    facts(relation('MEDECIN')),
    EVERYTHING,
  ],
  [
    'médecin traitant without consent declared: every section',
    'MEDECIN',
    facts(relation('MEDECIN', { careTeam: false, medecinTraitant: true })),
    EVERYTHING,
  ],
  [
    'chirurgien-dentiste in the care team: no directives anticipées, no questionnaires',
    'CHIRURGIEN_DENTISTE',
    facts(relation('CHIRURGIEN_DENTISTE')),
    NO_QUESTIONNAIRES_NO_DIRECTIVES,
  ],
  [
    'chirurgien-dentiste named administrator: still no directives (the matrix, not the role)',
    'CHIRURGIEN_DENTISTE',
    facts(relation('CHIRURGIEN_DENTISTE', { administrator: true })),
    NO_QUESTIONNAIRES_NO_DIRECTIVES,
  ],
  ['pharmacien: no directives anticipées, no questionnaires', 'PHARMACIEN', facts(relation('PHARMACIEN')), NO_QUESTIONNAIRES_NO_DIRECTIVES],
  ['infirmier: directives anticipées yes, questionnaires no', 'INFIRMIER', facts(relation('INFIRMIER')), NO_QUESTIONNAIRES],
  ['médecin without consent nor emergency: nothing', 'MEDECIN', facts(relation('MEDECIN', { careTeam: false })), []],
  ['médecin blocked by the patient: nothing', 'MEDECIN', facts(relation('MEDECIN', { blocked: true })), []],
  ['médecin, space closed: nothing', 'MEDECIN', facts(relation('MEDECIN'), 'closed'), []],
  ['médecin, space only notified: nothing', 'MEDECIN', facts(relation('MEDECIN'), 'notified'), []],
  [
    'médecin under «bris de glace» allowed: every section',
    'MEDECIN',
    facts(relation('MEDECIN', { careTeam: false, emergency: { kind: 'BTG' } })),
    EVERYTHING,
  ],
  [
    'dentist under «bris de glace»: the matrix still applies',
    'CHIRURGIEN_DENTISTE',
    facts(relation('CHIRURGIEN_DENTISTE', { careTeam: false, emergency: { kind: 'BTG' } })),
    NO_QUESTIONNAIRES_NO_DIRECTIVES,
  ],
  [
    'médecin under «bris de glace» the patient turned off: nothing',
    'MEDECIN',
    facts(relation('MEDECIN', { careTeam: false, emergency: { kind: 'BTG' } }), 'activated', { ...DEFAULT_SETTINGS, emergencyBtg: false }),
    [],
  ],
]

describe('portail professionnel : rubriques du profil médical visibles selon la profession', () => {
  it.each(cases)('%s', (_name, profession, f, expected) => {
    expect(readableProfileSections(actor(profession), f)).toEqual(expected)
  })
  it('a patient-side relation never gets the professional view', () => {
    expect(readableProfileSections(actor('MEDECIN'), { ...facts(relation('MEDECIN')), relation: { kind: 'self' } })).toEqual([])
  })
})
