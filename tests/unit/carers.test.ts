import {
  can,
  DEFAULT_SETTINGS,
  type PolicyFacts,
  type Relation,
  type Resource,
  type Action,
  type DocumentFacts,
} from '../../src/domain/accessPolicy'
import {
  checkCarerRights,
  checkInvite,
  checkPeriod,
  effective,
  effectiveForHolder,
  nameForHolder,
  takesAPlace,
  type DelegationFacts,
  type InviteFacts,
} from '../../src/domain/carers'
import type { Actor } from '../../src/domain/actor'

const NOW = new Date('2026-11-24T10:00:00Z')
const TODAY = '2026-11-24'
const HELPED = '11111111-1111-1111-1111-111111111111'
const carerActor: Actor = {
  accountId: 'a-carer',
  kind: 'patient',
  displayName: 'Paul Aidant',
  personId: '22222222-2222-2222-2222-222222222222',
  acting: { personId: HELPED, as: 'carer', displayName: 'Jean Dupont' },
}
const holder: Actor = { accountId: 'a-holder', kind: 'patient', displayName: 'Jean Dupont', personId: HELPED }
const facts = (relation: Relation, state: PolicyFacts['spaceState'] = 'activated'): PolicyFacts => ({
  personId: HELPED,
  spaceState: state,
  relation,
  settings: DEFAULT_SETTINGS,
  now: NOW,
})
const carer: Relation = { kind: 'carer', rights: { read: true, write: true, messages: true } }
const doc = (over: Partial<DocumentFacts> = {}): DocumentFacts => ({
  personId: HELPED,
  category: 'CPT_REND',
  authorKind: 'patient',
  authorAccountId: 'a-holder',
  authorProfessionalId: null,
  masked: false,
  invisibleToRepresentatives: false,
  heldUntil: null,
  heldReleasedAt: null,
  ...over,
})

describe('what a carer may do (access policy)', () => {
  it.each<[string, Action, Resource, boolean]>([
    ['enter the space', 'read', { type: 'space' }, true],
    ['list documents', 'list', { type: 'document' }, true],
    ['read a document', 'read', { type: 'document', document: doc() }, true],
    ['add a document', 'create', { type: 'document' }, true],
    ['edit a document the patient filed', 'update', { type: 'document', document: doc() }, true],
    ['mask a document', 'mask', { type: 'document', document: doc() }, true],
    ['delete a document', 'delete', { type: 'document', document: doc() }, false],
    [
      'edit a document a professional filed',
      'update',
      { type: 'document', document: doc({ authorKind: 'professional', authorProfessionalId: 'p1', authorAccountId: null }) },
      false,
    ],
    [
      'read a document held for a consultation d’annonce',
      'read',
      { type: 'document', document: doc({ heldUntil: new Date(NOW.getTime() + 1000) }) },
      false,
    ],
    ['manage the space (care team, blocks, emergency switches)', 'manage', { type: 'space' }, false],
    ['list the carers', 'list', { type: 'carers' }, false],
    ['manage the carers', 'manage', { type: 'carers' }, false],
    ['download the data', 'read', { type: 'export' }, false],
    ['change credentials, contacts, close the space', 'update', { type: 'account' }, false],
    ['read the history (with the «see» right)', 'read', { type: 'history' }, true],
  ])('carer: %s → %s', (_what, action, resource, expected) => {
    expect(can(carerActor, action, resource, facts(carer))).toBe(expected)
  })

  it.each<[string, Action, Resource, boolean]>([
    ['manage the carers', 'manage', { type: 'carers' }, true],
    ['download the data', 'read', { type: 'export' }, true],
    ['change credentials', 'update', { type: 'account' }, true],
    ['delete their own document', 'delete', { type: 'document', document: doc() }, true],
  ])('holder: %s → %s', (_what, action, resource, expected) => {
    expect(can(holder, action, resource, facts({ kind: 'self' }))).toBe(expected)
  })

  it('nothing once the space is closed, nothing without the carer relation', () => {
    expect(can(carerActor, 'read', { type: 'space' }, facts(carer, 'closed'))).toBe(false)
    expect(can(carerActor, 'read', { type: 'document', document: doc() }, facts({ kind: 'none' }))).toBe(false)
    expect(can(holder, 'manage', { type: 'carers' }, facts({ kind: 'self' }, 'closed'))).toBe(false)
  })

  it('a carer with read-only rights may not add', () => {
    expect(
      can(carerActor, 'create', { type: 'document' }, facts({ kind: 'carer', rights: { read: true, write: false, messages: false } })),
    ).toBe(false)
  })
})

describe('delegation rules', () => {
  const base: DelegationFacts = {
    status: 'active',
    invitation_expires_at: new Date(NOW.getTime() + 1000),
    starts_on: '2026-11-01',
    ends_on: null,
  }
  it.each<[string, Partial<DelegationFacts>, string, boolean]>([
    ['pending invitation', { status: 'invited' }, 'invited', true],
    ['expired invitation', { status: 'invited', invitation_expires_at: new Date(NOW.getTime() - 1) }, 'invitation_expired', false],
    ['active, no end', {}, 'active', true],
    ['active, ends today', { ends_on: TODAY }, 'active', true],
    ['ended yesterday', { ends_on: '2026-11-23' }, 'ended', false],
    ['starts tomorrow', { starts_on: '2026-11-25' }, 'upcoming', true],
    ['revoked', { status: 'revoked' }, 'revoked', false],
    ['declined', { status: 'declined' }, 'declined', false],
  ])('%s', (_name, over, state, place) => {
    const d = { ...base, ...over }
    expect(effective(d, NOW, TODAY)).toBe(state)
    expect(takesAPlace(d, NOW, TODAY)).toBe(place)
  })

  const invite: InviteFacts = {
    personId: HELPED,
    candidate: { personId: 'c', activated: true },
    placesTaken: 0,
    candidateHelping: 0,
    alreadyLinked: false,
  }
  // Refused only for what the inviter knows already; otherwise recorded, reaching someone or not.
  it.each<[string, Partial<InviteFacts>, string]>([
    ['fine', {}, 'deliver'],
    ['nobody with that NIR', { candidate: undefined }, 'kept, reaches nobody'],
    ['space not activated', { candidate: { personId: 'c', activated: false } }, 'kept, reaches nobody'],
    ['oneself', { candidate: { personId: HELPED, activated: true } }, 'self'],
    ['already a carer or invited', { alreadyLinked: true }, 'kept, reaches nobody'],
    ['a 4th carer', { placesTaken: 3 }, 'too_many_carers'],
    ['a 4th carer, whoever the NIR is', { placesTaken: 3, candidate: undefined }, 'too_many_carers'],
    ['the 3rd carer', { placesTaken: 2 }, 'deliver'],
    ['a carer who helps 5 people', { candidateHelping: 5 }, 'kept, reaches nobody'],
    ['a carer who helps 4 people', { candidateHelping: 4 }, 'deliver'],
  ])('invite: %s', (_name, over, expected) => {
    const r = checkInvite({ ...invite, ...over })
    expect(r.ok ? (r.deliver ? 'deliver' : 'kept, reaches nobody') : r.reason).toBe(expected)
  })

  it('the inviter sees a declined invitation as pending until it expires, and no name before acceptance', () => {
    const declined: DelegationFacts = { ...base, status: 'declined', invitation_expires_at: new Date(NOW.getTime() + 1000) }
    expect(effective(declined, NOW, TODAY)).toBe('declined')
    expect(effectiveForHolder(declined, NOW, TODAY)).toBe('invited')
    expect(effectiveForHolder({ ...declined, invitation_expires_at: new Date(NOW.getTime() - 1) }, NOW, TODAY)).toBe('invitation_expired')
    expect(nameForHolder({ accepted_at: null, first_names: 'Paul', last_name: 'Aidant' })).toBeNull()
    expect(nameForHolder({ accepted_at: null, first_names: null, last_name: null })).toBeNull()
    expect(nameForHolder({ accepted_at: NOW, first_names: 'Paul', last_name: 'Aidant' })).toBe('Paul Aidant')
  })

  it.each<[string, string[], string | null]>([
    ['all three (the default)', ['read', 'write', 'messages'], null],
    ['see only', ['read'], null],
    ['messages only', ['messages'], null],
    ['nothing', [], 'Choisissez ce que votre aidant pourra faire'],
    [
      'add and edit without seeing',
      ['write'],
      'Pour ajouter et modifier vos documents et vos données, votre aidant doit aussi pouvoir les consulter',
    ],
    ['unknown values are ignored', ['tout'], 'Choisissez ce que votre aidant pourra faire'],
  ])('rights chosen at invitation: %s', (_n, values, error) => {
    const r = checkCarerRights(values)
    expect(r.ok ? null : r.message).toBe(error)
    if (r.ok)
      expect(r.rights).toEqual({ read: values.includes('read'), write: values.includes('write'), messages: values.includes('messages') })
  })

  it('period: start today or later, end after start', () => {
    expect(checkPeriod(TODAY, null, TODAY).ok).toBe(true)
    expect(checkPeriod('2026-11-23', null, TODAY)).toMatchObject({ ok: false, field: 'startsOn' })
    expect(checkPeriod('2026-12-01', '2026-11-30', TODAY)).toMatchObject({ ok: false, field: 'endsOn' })
    expect(checkPeriod('2026-12-01', '2026-12-01', TODAY).ok).toBe(true)
  })
})
