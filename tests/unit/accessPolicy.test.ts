import {
  can,
  decide,
  historyRowView,
  type HistoryRowSubject,
  professionalRefusal,
  DEFAULT_SETTINGS,
  type Action,
  type DocumentFacts,
  type PolicyFacts,
  type ProfessionalRelation,
  type Relation,
  type SpaceState,
} from '../../src/domain/accessPolicy'
import type { Actor } from '../../src/domain/actor'

import { NOW, P, OTHER, PRO, actors } from '../helpers/policyFixtures'

const pro = (p: Partial<ProfessionalRelation> = {}): ProfessionalRelation => ({
  kind: 'professional',
  professionalId: PRO,
  profession: 'MEDECIN',
  careTeam: false,
  medecinTraitant: false,
  administrator: false,
  blocked: false,
  samuRegulator: false,
  emergency: null,
  readableCategories: ['CPT_REND', 'BIOLOGIE', 'DIR_ANT'],
  ...p,
})

const doc = (d: Partial<DocumentFacts> = {}): DocumentFacts => ({
  personId: P,
  category: 'CPT_REND',
  authorKind: 'patient',
  authorAccountId: 'a-pat',
  authorProfessionalId: null,
  masked: false,
  invisibleToRepresentatives: false,
  heldUntil: null,
  heldReleasedAt: null,
  ...d,
})

const facts = (relation: Relation, o: { state?: SpaceState; settings?: Partial<typeof DEFAULT_SETTINGS> } = {}): PolicyFacts => ({
  personId: P,
  spaceState: o.state ?? 'activated',
  relation,
  settings: { ...DEFAULT_SETTINGS, ...(o.settings ?? {}) },
  now: NOW,
})

const LATER = new Date('2026-12-20T00:00:00Z')
const PAST = new Date('2026-11-01T00:00:00Z')

type Case = [string, Actor, Action, DocumentFacts | undefined, PolicyFacts, boolean]
const cases: Case[] = [
  // The holder
  ['holder lists', actors.patient, 'list', undefined, facts({ kind: 'self' }), true],
  ['holder reads own upload', actors.patient, 'read', doc(), facts({ kind: 'self' }), true],
  ['holder reads masked', actors.patient, 'read', doc({ masked: true }), facts({ kind: 'self' }), true],
  [
    'holder reads invisible-to-representatives',
    actors.patient,
    'read',
    doc({ invisibleToRepresentatives: true }),
    facts({ kind: 'self' }),
    true,
  ],
  [
    'holder cannot read a held result',
    actors.patient,
    'read',
    doc({ authorKind: 'professional', authorProfessionalId: PRO, heldUntil: LATER }),
    facts({ kind: 'self' }),
    false,
  ],
  [
    'holder reads a released held result',
    actors.patient,
    'read',
    doc({ authorKind: 'professional', authorProfessionalId: PRO, heldUntil: LATER, heldReleasedAt: PAST }),
    facts({ kind: 'self' }),
    true,
  ],
  [
    'holder reads a held result after the month',
    actors.patient,
    'read',
    doc({ authorKind: 'professional', authorProfessionalId: PRO, heldUntil: PAST }),
    facts({ kind: 'self' }),
    true,
  ],
  ['holder renames own upload', actors.patient, 'update', doc(), facts({ kind: 'self' }), true],
  ['holder deletes own upload', actors.patient, 'delete', doc(), facts({ kind: 'self' }), true],
  [
    'holder cannot rename a professional document',
    actors.patient,
    'update',
    doc({ authorKind: 'professional', authorProfessionalId: PRO }),
    facts({ kind: 'self' }),
    false,
  ],
  [
    'holder cannot delete a professional document',
    actors.patient,
    'delete',
    doc({ authorKind: 'professional', authorProfessionalId: PRO }),
    facts({ kind: 'self' }),
    false,
  ],
  [
    'holder masks a professional document',
    actors.patient,
    'mask',
    doc({ authorKind: 'professional', authorProfessionalId: PRO }),
    facts({ kind: 'self' }),
    true,
  ],
  ['holder cannot release', actors.patient, 'release', doc({ heldUntil: LATER }), facts({ kind: 'self' }), false],
  ['closed space: holder reads nothing', actors.patient, 'read', doc(), facts({ kind: 'self' }, { state: 'closed' }), false],
  ['document of another person', actors.patient, 'read', doc({ personId: OTHER }), facts({ kind: 'self' }), false],
  // Legal representative
  ['representative reads', actors.rep, 'read', doc(), facts({ kind: 'representative', childAge: 11 }), true],
  [
    'representative never reads invisible-to-representatives',
    actors.rep,
    'read',
    doc({ invisibleToRepresentatives: true }),
    facts({ kind: 'representative', childAge: 15 }),
    false,
  ],
  [
    'representative cannot mask invisible-to-representatives',
    actors.rep,
    'mask',
    doc({ invisibleToRepresentatives: true }),
    facts({ kind: 'representative', childAge: 15 }),
    false,
  ],
  [
    'representative deletes an upload',
    actors.rep,
    'delete',
    doc({ authorKind: 'representative' }),
    facts({ kind: 'representative', childAge: 11 }),
    true,
  ],
  // A representation ends on the 18th birthday itself, even before the nightly job ends it
  ['representative of a 17-year-old reads', actors.rep, 'read', doc(), facts({ kind: 'representative', childAge: 17 }), true],
  ['representative of an 18-year-old reads nothing', actors.rep, 'read', doc(), facts({ kind: 'representative', childAge: 18 }), false],
  ['representative of an 18-year-old lists nothing', actors.rep, 'list', undefined, facts({ kind: 'representative', childAge: 18 }), false],
  [
    'representative of an 18-year-old files nothing',
    actors.rep,
    'create',
    undefined,
    facts({ kind: 'representative', childAge: 18 }),
    false,
  ],
  [
    'representative cannot read held',
    actors.rep,
    'read',
    doc({ heldUntil: LATER }),
    facts({ kind: 'representative', childAge: 11 }),
    false,
  ],
  // Carer
  [
    'carer with read reads',
    actors.carer,
    'read',
    doc(),
    facts({ kind: 'carer', rights: { read: true, write: false, messages: false } }),
    true,
  ],
  [
    'carer with the messages right only reads no document',
    actors.carer,
    'read',
    doc(),
    facts({ kind: 'carer', rights: { read: false, write: false, messages: true } }),
    false,
  ],
  [
    'carer with the messages right only lists no document',
    actors.carer,
    'list',
    undefined,
    facts({ kind: 'carer', rights: { read: false, write: false, messages: true } }),
    false,
  ],
  [
    'carer with read and write masks',
    actors.carer,
    'mask',
    doc(),
    facts({ kind: 'carer', rights: { read: true, write: true, messages: false } }),
    true,
  ],
  [
    'carer with read only cannot mask',
    actors.carer,
    'mask',
    doc(),
    facts({ kind: 'carer', rights: { read: true, write: false, messages: true } }),
    false,
  ],
  [
    'carer with read only cannot rename',
    actors.carer,
    'update',
    doc(),
    facts({ kind: 'carer', rights: { read: true, write: false, messages: true } }),
    false,
  ],
  [
    'carer never deletes',
    actors.carer,
    'delete',
    doc(),
    facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }),
    false,
  ],
  [
    'carer never downloads (SPEC §3)',
    actors.carer,
    'download',
    doc(),
    facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }),
    false,
  ],
  ['holder downloads', actors.patient, 'download', doc(), facts({ kind: 'self' }), true],
  ['representative downloads', actors.rep, 'download', doc(), facts({ kind: 'representative', childAge: 9 }), true],
  ['care team downloads what it reads', actors.pro, 'download', doc(), facts(pro({ careTeam: true })), true],
  ['pro without access downloads nothing', actors.pro, 'download', doc(), facts(pro()), false],
  [
    'carer with write adds',
    actors.carer,
    'create',
    undefined,
    facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }),
    true,
  ],
  [
    'carer without write cannot add',
    actors.carer,
    'create',
    undefined,
    facts({ kind: 'carer', rights: { read: true, write: false, messages: false } }),
    false,
  ],
  // Professionals: access
  ['pro without consent cannot list', actors.pro, 'list', undefined, facts(pro()), false],
  ['pro without consent cannot read', actors.pro, 'read', doc(), facts(pro()), false],
  ['pro without consent may file (law)', actors.pro, 'create', undefined, facts(pro()), true],
  ['blocked pro may still file', actors.pro, 'create', undefined, facts(pro({ blocked: true })), true],
  ['pro cannot file into a closed space', actors.pro, 'create', undefined, facts(pro(), { state: 'closed' }), false],
  ['pro may file into an auto-created space', actors.pro, 'create', undefined, facts(pro(), { state: 'auto_created' }), true],
  ['care team reads', actors.pro, 'read', doc(), facts(pro({ careTeam: true })), true],
  ['care team lists', actors.pro, 'list', undefined, facts(pro({ careTeam: true })), true],
  ['blocked care team reads nothing', actors.pro, 'read', doc(), facts(pro({ careTeam: true, blocked: true })), false],
  ['blocked médecin traitant reads nothing', actors.pro, 'read', doc(), facts(pro({ medecinTraitant: true, blocked: true })), false],
  ['médecin traitant reads without declaring', actors.pro, 'read', doc(), facts(pro({ medecinTraitant: true })), true],
  ['care team in a closed space', actors.pro, 'read', doc(), facts(pro({ careTeam: true }), { state: 'closed' }), false],
  ['care team in an opposed space', actors.pro, 'list', undefined, facts(pro({ careTeam: true }), { state: 'opposed' }), false],
  // Matrix
  ['matrix: category not allowed', actors.pro, 'read', doc({ category: 'DOC_ADM' }), facts(pro({ careTeam: true })), false],
  [
    'matrix: dentist and DIR_ANT',
    actors.pro,
    'read',
    doc({ category: 'DIR_ANT' }),
    facts(pro({ careTeam: true, profession: 'CHIRURGIEN_DENTISTE', readableCategories: ['CPT_REND'] })),
    false,
  ],
  [
    'matrix: the author reads their own whatever the category',
    actors.pro,
    'read',
    doc({ category: 'DOC_ADM', authorKind: 'professional', authorProfessionalId: PRO }),
    facts(pro({ careTeam: true })),
    true,
  ],
  // Masked
  ['masked: care team cannot read', actors.pro, 'read', doc({ masked: true }), facts(pro({ careTeam: true })), false],
  [
    'masked: author reads',
    actors.pro,
    'read',
    doc({ masked: true, authorKind: 'professional', authorProfessionalId: PRO }),
    facts(pro({ careTeam: true })),
    true,
  ],
  [
    'masked: author without consent reads own',
    actors.pro,
    'read',
    doc({ masked: true, authorKind: 'professional', authorProfessionalId: PRO }),
    facts(pro()),
    true,
  ],
  [
    'masked: blocked author reads nothing',
    actors.pro,
    'read',
    doc({ masked: true, authorKind: 'professional', authorProfessionalId: PRO }),
    facts(pro({ blocked: true })),
    false,
  ],
  ['masked: médecin traitant reads', actors.pro, 'read', doc({ masked: true }), facts(pro({ medecinTraitant: true })), true],
  [
    'masked: administrator with consent reads',
    actors.pro,
    'read',
    doc({ masked: true }),
    facts(pro({ administrator: true, careTeam: true })),
    true,
  ],
  // «Administrateur» gives nothing without a declared consent (SPEC §5)
  ['administrator without consent: no list', actors.pro, 'list', undefined, facts(pro({ administrator: true })), false],
  ['administrator without consent: no read', actors.pro, 'read', doc(), facts(pro({ administrator: true })), false],
  ['administrator without consent: no masked', actors.pro, 'read', doc({ masked: true }), facts(pro({ administrator: true })), false],
  [
    'administrator without consent under a «bris de glace»: masked not included by default',
    actors.pro,
    'read',
    doc({ masked: true }),
    facts(pro({ administrator: true, emergency: { kind: 'BTG' } })),
    false,
  ],
  // Emergency
  ['BTG allowed: reads', actors.pro, 'read', doc(), facts(pro({ emergency: { kind: 'BTG' } })), true],
  [
    'BTG switched off: nothing',
    actors.pro,
    'read',
    doc(),
    facts(pro({ emergency: { kind: 'BTG' } }), { settings: { emergencyBtg: false } }),
    false,
  ],
  ['BTG: masked not included by default', actors.pro, 'read', doc({ masked: true }), facts(pro({ emergency: { kind: 'BTG' } })), false],
  [
    'BTG: masked included when the patient allows it',
    actors.pro,
    'read',
    doc({ masked: true }),
    facts(pro({ emergency: { kind: 'BTG' } }), { settings: { emergencyMasked: true } }),
    true,
  ],
  ['ETREAT by a SAMU regulator', actors.pro, 'read', doc(), facts(pro({ emergency: { kind: 'ETREAT' }, samuRegulator: true })), true],
  ['ETREAT by a non-regulator', actors.pro, 'read', doc(), facts(pro({ emergency: { kind: 'ETREAT' } })), false],
  [
    'ETREAT switched off',
    actors.pro,
    'read',
    doc(),
    facts(pro({ emergency: { kind: 'ETREAT' }, samuRegulator: true }), { settings: { emergencyEtreat: false } }),
    false,
  ],
  ['blocked pro in emergency: nothing', actors.pro, 'read', doc(), facts(pro({ emergency: { kind: 'BTG' }, blocked: true })), false],
  // Professionals and the patient side's restrictions
  [
    'pro reads a held result (hidden from the patient only)',
    actors.pro,
    'read',
    doc({ heldUntil: LATER }),
    facts(pro({ careTeam: true })),
    true,
  ],
  [
    'pro reads invisible-to-representatives',
    actors.pro,
    'read',
    doc({ invisibleToRepresentatives: true }),
    facts(pro({ careTeam: true })),
    true,
  ],
  [
    'author releases a held result',
    actors.pro,
    'release',
    doc({ authorKind: 'professional', authorProfessionalId: PRO, heldUntil: LATER }),
    facts(pro()),
    true,
  ],
  [
    'another pro cannot release',
    actors.pro,
    'release',
    doc({ authorKind: 'professional', authorProfessionalId: 'pro-2', heldUntil: LATER }),
    facts(pro({ careTeam: true })),
    false,
  ],
  [
    'pro never deletes',
    actors.pro,
    'delete',
    doc({ authorKind: 'professional', authorProfessionalId: PRO }),
    facts(pro({ careTeam: true })),
    false,
  ],
  ['pro never masks', actors.pro, 'mask', doc(), facts(pro({ medecinTraitant: true })), false],
  // Agents and operators: never
  ['agent lists', actors.agent, 'list', undefined, facts({ kind: 'agent' }), false],
  ['agent reads', actors.agent, 'read', doc(), facts({ kind: 'agent' }), false],
  ['operator reads', actors.operator, 'read', doc(), facts({ kind: 'operator' }), false],
  ['operator with forged self facts', actors.operator, 'read', doc(), facts({ kind: 'self' }), false],
  ['agent files', actors.agent, 'create', undefined, facts({ kind: 'agent' }), false],
  // Inconsistent facts are refused
  ['professional actor with patient facts', actors.pro, 'read', doc(), facts({ kind: 'self' }), false],
  ['patient actor with professional facts', actors.patient, 'read', doc(), facts(pro({ medecinTraitant: true })), false],
  ['no relation', actors.patient, 'read', doc(), facts({ kind: 'none' }), false],
]

describe('access policy: documents', () => {
  test.each(cases)('%s', (_name, actor, action, document, f, expected) => {
    expect(can(actor, action, { type: 'document', document }, f)).toBe(expected)
  })
})

describe('access policy: the space', () => {
  test.each<[string, Actor, Action, PolicyFacts, boolean]>([
    ['holder enters', actors.patient, 'read', facts({ kind: 'self' }), true],
    ['holder manages', actors.patient, 'manage', facts({ kind: 'self' }), true],
    ['representative manages', actors.rep, 'manage', facts({ kind: 'representative', childAge: 10 }), true],
    ['carer never manages', actors.carer, 'manage', facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }), false],
    ['carer with read enters', actors.carer, 'read', facts({ kind: 'carer', rights: { read: true, write: false, messages: false } }), true],
    [
      'carer with the messages right only enters (for the messaging)',
      actors.carer,
      'read',
      facts({ kind: 'carer', rights: { read: false, write: false, messages: true } }),
      true,
    ],
    ['representative of a 17-year-old enters', actors.rep, 'read', facts({ kind: 'representative', childAge: 17 }), true],
    ['representative of an 18-year-old does not enter', actors.rep, 'read', facts({ kind: 'representative', childAge: 18 }), false],
    ['representative of an 18-year-old manages nothing', actors.rep, 'manage', facts({ kind: 'representative', childAge: 18 }), false],
    ['care team enters', actors.pro, 'read', facts(pro({ careTeam: true })), true],
    ['pro never manages', actors.pro, 'manage', facts(pro({ administrator: true })), false],
    ['pro without consent', actors.pro, 'read', facts(pro()), false],
    ['blocked pro', actors.pro, 'read', facts(pro({ careTeam: true, blocked: true })), false],
    ['agent', actors.agent, 'read', facts({ kind: 'agent' }), false],
    ['operator', actors.operator, 'read', facts({ kind: 'operator' }), false],
  ])('%s', (_n, actor, action, f, expected) => {
    expect(can(actor, action, { type: 'space' }, f)).toBe(expected)
  })

  test('history: the patient side (a carer with the «see» right), never a professional', () => {
    expect(can(actors.patient, 'read', { type: 'history' }, facts({ kind: 'self' }))).toBe(true)
    expect(can(actors.rep, 'read', { type: 'history' }, facts({ kind: 'representative', childAge: 12 }))).toBe(true)
    expect(can(actors.rep, 'read', { type: 'history' }, facts({ kind: 'representative', childAge: 18 }))).toBe(false)
    expect(
      can(actors.carer, 'read', { type: 'history' }, facts({ kind: 'carer', rights: { read: true, write: false, messages: false } })),
    ).toBe(true)
    expect(
      can(actors.carer, 'read', { type: 'history' }, facts({ kind: 'carer', rights: { read: false, write: false, messages: true } })),
    ).toBe(false)
    expect(can(actors.pro, 'read', { type: 'history' }, facts(pro({ medecinTraitant: true })))).toBe(false)
  })
})

describe('denials', () => {
  test('a document the actor cannot read answers 404, one they can read but not change 403', () => {
    expect(decide(actors.pro, 'read', { type: 'document', document: doc({ masked: true }) }, facts(pro({ careTeam: true })))).toEqual({
      allowed: false,
      status: 404,
    })
    expect(
      decide(actors.patient, 'delete', { type: 'document', document: doc({ authorKind: 'professional' }) }, facts({ kind: 'self' })),
    ).toEqual({ allowed: false, status: 403 })
    expect(decide(actors.patient, 'read', { type: 'document', document: doc() }, facts({ kind: 'self' }))).toEqual({ allowed: true })
  })

  test.each<[string, PolicyFacts, 'consent' | 'ETREAT' | 'BTG', string | null]>([
    ['open', facts(pro()), 'consent', null],
    ['blocked', facts(pro({ blocked: true })), 'consent', 'blocked'],
    ['closed', facts(pro(), { state: 'closed' }), 'consent', 'closed'],
    ['opposed', facts(pro(), { state: 'opposed' }), 'BTG', 'opposed'],
    ['notified', facts(pro(), { state: 'notified' }), 'consent', 'not_created'],
    ['BTG off', facts(pro(), { settings: { emergencyBtg: false } }), 'BTG', 'emergency_not_allowed'],
    ['BTG on', facts(pro()), 'BTG', null],
    ['ETREAT not regulator', facts(pro()), 'ETREAT', 'emergency_not_allowed'],
  ])('refusal reason: %s', (_n, f, want, expected) => {
    expect(professionalRefusal(f, want)).toBe(expected)
  })
})

describe('politique d’accès : agenda et vaccinations', () => {
  const SYSTEM: Actor = { accountId: 'system', kind: 'operator', displayName: 'Mon espace santé' }
  type Row = [string, Actor, Action, 'agenda' | 'vaccination', PolicyFacts, boolean]
  const rows: Row[] = [
    ['holder lists the agenda', actors.patient, 'list', 'agenda', facts({ kind: 'self' }), true],
    ['holder creates an event', actors.patient, 'create', 'agenda', facts({ kind: 'self' }), true],
    ['holder manages the private link', actors.patient, 'manage', 'agenda', facts({ kind: 'self' }), true],
    ['holder deletes a vaccination', actors.patient, 'delete', 'vaccination', facts({ kind: 'self' }), true],
    ['closed space: no agenda', actors.patient, 'list', 'agenda', facts({ kind: 'self' }, { state: 'closed' }), false],
    ['representative updates the child’s agenda', actors.rep, 'update', 'agenda', facts({ kind: 'representative', childAge: 11 }), true],
    [
      'representative adds a child’s vaccination',
      actors.rep,
      'create',
      'vaccination',
      facts({ kind: 'representative', childAge: 11 }),
      true,
    ],
    [
      'carer with read reads the agenda',
      actors.carer,
      'read',
      'agenda',
      facts({ kind: 'carer', rights: { read: true, write: false, messages: false } }),
      true,
    ],
    [
      'carer without write cannot add an event',
      actors.carer,
      'create',
      'agenda',
      facts({ kind: 'carer', rights: { read: true, write: false, messages: false } }),
      false,
    ],
    [
      'carer with write adds a vaccination',
      actors.carer,
      'create',
      'vaccination',
      facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }),
      true,
    ],
    [
      'carer never deletes a vaccination',
      actors.carer,
      'delete',
      'vaccination',
      facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }),
      false,
    ],
    [
      'carer never creates a private calendar link',
      actors.carer,
      'manage',
      'agenda',
      facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }),
      false,
    ],
    ['care team never reads the agenda', actors.pro, 'read', 'agenda', facts(pro({ careTeam: true })), false],
    ['care team reads vaccinations', actors.pro, 'list', 'vaccination', facts(pro({ careTeam: true })), true],
    ['care team cannot delete a vaccination', actors.pro, 'delete', 'vaccination', facts(pro({ careTeam: true })), false],
    ['pro without consent reads no vaccination', actors.pro, 'read', 'vaccination', facts(pro()), false],
    [
      'blocked médecin traitant reads no vaccination',
      actors.pro,
      'read',
      'vaccination',
      facts(pro({ medecinTraitant: true, blocked: true })),
      false,
    ],
    ['agent never', actors.agent, 'read', 'vaccination', facts({ kind: 'agent' }), false],
    ['operator never', actors.operator, 'list', 'agenda', facts({ kind: 'operator' }), false],
    ['a stranger patient never', actors.patient, 'read', 'agenda', facts({ kind: 'none' }), false],
    ['the daily job reads', SYSTEM, 'read', 'agenda', facts({ kind: 'system' }), true],
  ]
  it.each(rows)('%s', (_n, actor, action, type, f, expected) => {
    expect(can(actor, action, { type }, f)).toBe(expected)
    expect(decide(actor, action, { type }, f)).toEqual(expected ? { allowed: true } : { allowed: false, status: 403 })
  })
})

describe('access policy: blocking professionals (SPEC §5: administrators may also block others)', () => {
  type Row = [string, Actor, Action, PolicyFacts, boolean]
  const rows: Row[] = [
    ['holder blocks', actors.patient, 'manage', facts({ kind: 'self' }), true],
    ['holder of a closed space cannot', actors.patient, 'manage', facts({ kind: 'self' }, { state: 'closed' }), false],
    ['representative blocks for the child', actors.rep, 'manage', facts({ kind: 'representative', childAge: 11 }), true],
    ['carer never blocks', actors.carer, 'manage', facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }), false],
    ['administrator blocks others', actors.pro, 'manage', facts(pro({ administrator: true, careTeam: true })), true],
    ['administrator without a declared consent cannot', actors.pro, 'manage', facts(pro({ administrator: true })), false],
    [
      'administrator without consent, even médecin traitant, cannot',
      actors.pro,
      'manage',
      facts(pro({ administrator: true, medecinTraitant: true })),
      false,
    ],
    [
      'administrator of a closed space cannot',
      actors.pro,
      'manage',
      facts(pro({ administrator: true, careTeam: true }), { state: 'closed' }),
      false,
    ],
    ['blocked administrator cannot', actors.pro, 'manage', facts(pro({ administrator: true, careTeam: true, blocked: true })), false],
    ['care team member (not administrator) cannot', actors.pro, 'manage', facts(pro({ careTeam: true })), false],
    ['médecin traitant (not administrator) cannot', actors.pro, 'manage', facts(pro({ medecinTraitant: true })), false],
    [
      'emergency access cannot',
      actors.pro,
      'manage',
      facts(pro({ emergency: { kind: 'BTG' } }), { settings: { emergencyBtg: true } }),
      false,
    ],
    ['administrator: only manage', actors.pro, 'read', facts(pro({ administrator: true, careTeam: true })), false],
    ['agent never', actors.agent, 'manage', facts({ kind: 'agent' }), false],
    ['operator never', actors.operator, 'manage', facts({ kind: 'operator' }), false],
  ]
  it.each(rows)('%s', (_n, actor, action, f, expected) => {
    expect(can(actor, action, { type: 'blocks' }, f)).toBe(expected)
    expect(decide(actor, action, { type: 'blocks' }, f)).toEqual(expected ? { allowed: true } : { allowed: false, status: 403 })
  })
})

describe('download (SPEC §3: never a carer)', () => {
  const service: Actor = { accountId: 'service', kind: 'patient', displayName: 'Vidal', service: { clientId: 'vidal', name: 'Vidal' } }
  const rel = (scopes: string[]): Relation => ({ kind: 'service', clientId: 'vidal', tokenScopes: scopes, consentedScopes: scopes })
  it.each<[string, Actor, PolicyFacts, boolean]>([
    ['a connected service with document.read downloads a document it reads (FHIR)', service, facts(rel(['document.read'])), true],
    ['a connected service without document.read does not', service, facts(rel(['patient.read'])), false],
    ['a carer never', actors.carer, facts({ kind: 'carer', rights: { read: true, write: true, messages: true } }), false],
  ])('%s', (_n, actor, f, expected) => {
    expect(can(actor, 'download', { type: 'document', document: doc() }, f)).toBe(expected)
  })
})

describe('the activity history, row by row (SPEC §6: a row never reveals what is hidden from its viewer)', () => {
  const held = doc({ authorKind: 'professional', authorProfessionalId: PRO, heldUntil: LATER })
  const released = doc({ authorKind: 'professional', authorProfessionalId: PRO, heldUntil: LATER, heldReleasedAt: PAST })
  const invisible = doc({ authorKind: 'professional', authorProfessionalId: PRO, invisibleToRepresentatives: true })
  const carer = (read: boolean, messages: boolean): Relation => ({ kind: 'carer', rights: { read, write: false, messages } })
  const aboutDoc = (d: DocumentFacts | null): HistoryRowSubject => ({ about: 'document', document: d })
  it.each<[string, Actor, PolicyFacts, HistoryRowSubject, string]>([
    ['holder: a document they see is named', actors.patient, facts({ kind: 'self' }), aboutDoc(doc()), 'named'],
    [
      'holder: a masked document is named (it is theirs)',
      actors.patient,
      facts({ kind: 'self' }),
      aboutDoc(doc({ masked: true })),
      'named',
    ],
    ['holder: a result held for a consultation d’annonce leaves no row', actors.patient, facts({ kind: 'self' }), aboutDoc(held), 'hidden'],
    ['holder: once released, the rows show it, named', actors.patient, facts({ kind: 'self' }), aboutDoc(released), 'named'],
    ['holder: a document gone is «un document»', actors.patient, facts({ kind: 'self' }), aboutDoc(null), 'anonymous'],
    ['holder: other rows are shown', actors.patient, facts({ kind: 'self' }), { about: 'other' }, 'shown'],
    [
      'representative: a document invisible to representatives leaves no row',
      actors.rep,
      facts({ kind: 'representative', childAge: 15 }),
      aboutDoc(invisible),
      'hidden',
    ],
    ['representative: a held result leaves no row', actors.rep, facts({ kind: 'representative', childAge: 15 }), aboutDoc(held), 'hidden'],
    ['representative: another document is named', actors.rep, facts({ kind: 'representative', childAge: 15 }), aboutDoc(doc()), 'named'],
    ['representative of an 18-year-old: nothing', actors.rep, facts({ kind: 'representative', childAge: 18 }), aboutDoc(doc()), 'hidden'],
    ['carer with «see»: a document is named', actors.carer, facts(carer(true, false)), aboutDoc(doc()), 'named'],
    ['carer with «see»: a held result leaves no row', actors.carer, facts(carer(true, true)), aboutDoc(held), 'hidden'],
    ['carer with «see»: other rows are shown', actors.carer, facts(carer(true, false)), { about: 'other' }, 'shown'],
    ['carer without «messages»: no message row', actors.carer, facts(carer(true, false)), { about: 'message' }, 'hidden'],
    ['carer with «messages»: message rows', actors.carer, facts(carer(true, true)), { about: 'message' }, 'shown'],
    ['carer with «messages» only: no history at all', actors.carer, facts(carer(false, true)), { about: 'message' }, 'hidden'],
    ['a professional never reads the history', actors.pro, facts(pro({ medecinTraitant: true })), aboutDoc(doc()), 'hidden'],
  ])('%s', (_n, actor, f, row, expected) => {
    expect(historyRowView(actor, f, row)).toBe(expected)
  })
})
