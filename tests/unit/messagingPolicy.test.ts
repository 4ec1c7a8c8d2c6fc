import {
  can,
  decide,
  DEFAULT_SETTINGS,
  type Action,
  type ConversationFacts,
  type PolicyFacts,
  type ProfessionalRelation,
  type Relation,
  type SpaceState,
} from '../../src/domain/accessPolicy'
import type { Actor } from '../../src/domain/actor'
import {
  attachmentTitle,
  closeReasonError,
  documentTitleFromAttachment,
  messageError,
  normaliseMessage,
  subjectError,
} from '../../src/domain/messaging'
import { ContentInspector, ContentRejected } from '../../src/domain/documents'

import { NOW, P, OTHER, PRO, actors } from '../helpers/policyFixtures'

const PRO2 = 'pro-2'

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
  readableCategories: [],
  ...p,
})
const facts = (relation: Relation, state: SpaceState = 'activated'): PolicyFacts => ({
  personId: P,
  spaceState: state,
  relation,
  settings: DEFAULT_SETTINGS,
  now: NOW,
})
const conv = (c: Partial<ConversationFacts> = {}): ConversationFacts => ({ personId: P, professionalId: PRO, status: 'open', ...c })

const self: Relation = { kind: 'self' }
const rep: Relation = { kind: 'representative', childAge: 9 }
const carerRW: Relation = { kind: 'carer', rights: { read: true, write: true, messages: true } }
/** A delegation without the «messages» right (the patient chose «Consulter» only). */
const carerR: Relation = { kind: 'carer', rights: { read: true, write: false, messages: false } }
/** A delegation with the «messages» right only. */
const carerM: Relation = { kind: 'carer', rights: { read: false, write: false, messages: true } }

type Case = [string, Actor, Action, ConversationFacts | undefined, PolicyFacts, boolean]
const cases: Case[] = [
  // Patient side
  ['holder lists the inbox', actors.patient, 'list', undefined, facts(self), true],
  ['holder reads a conversation', actors.patient, 'read', conv(), facts(self), true],
  ['holder replies to an open conversation', actors.patient, 'create', conv(), facts(self), true],
  ['holder cannot write into a closed conversation', actors.patient, 'create', conv({ status: 'closed' }), facts(self), false],
  ['holder still reads a closed conversation', actors.patient, 'read', conv({ status: 'closed' }), facts(self), true],
  ['holder cannot start a conversation (no patient-to-anyone start)', actors.patient, 'create', undefined, facts(self), false],
  ['holder archives', actors.patient, 'update', conv(), facts(self), true],
  ['holder: conversation of another person', actors.patient, 'read', conv({ personId: OTHER }), facts(self), false],
  ['holder: closed space reads nothing', actors.patient, 'read', conv(), facts(self, 'closed'), false],
  ['representative reads for the child', actors.rep, 'read', conv(), facts(rep), true],
  ['representative replies for the child', actors.rep, 'create', conv(), facts(rep), true],
  ['representative cannot start', actors.rep, 'create', undefined, facts(rep), false],
  ['carer with every right replies', actors.carer, 'create', conv(), facts(carerRW), true],
  ['carer with the messages right only reads', actors.carer, 'read', conv(), facts(carerM), true],
  ['carer with the messages right only replies', actors.carer, 'create', conv(), facts(carerM), true],
  ['carer without the messages right lists nothing', actors.carer, 'list', undefined, facts(carerR), false],
  ['carer without the messages right reads nothing', actors.carer, 'read', conv(), facts(carerR), false],
  ['carer without the messages right cannot reply', actors.carer, 'create', conv(), facts(carerR), false],
  ['a stranger patient sees nothing', actors.patient, 'read', conv(), facts({ kind: 'none' }), false],
  ['carer with every right lists the inbox', actors.carer, 'list', undefined, facts(carerRW), true],
  ['carer with every right archives', actors.carer, 'update', conv(), facts(carerRW), true],
  ['carer without the messages right cannot archive', actors.carer, 'update', conv(), facts(carerR), false],
  ['carer cannot start a conversation', actors.carer, 'create', undefined, facts(carerRW), false],
  ['carer in a closed space sees nothing', actors.carer, 'read', conv(), facts(carerRW, 'closed'), false],
  ['carer: conversation of another person', actors.carer, 'read', conv({ personId: OTHER }), facts(carerRW), false],
  // Downloading an attachment: whoever reads the conversation, never a carer (SPEC §3).
  ['holder downloads an attachment', actors.patient, 'download', conv(), facts(self), true],
  ['holder downloads from a closed conversation', actors.patient, 'download', conv({ status: 'closed' }), facts(self), true],
  ['representative downloads for the child', actors.rep, 'download', conv(), facts(rep), true],
  ['carer with every right never downloads', actors.carer, 'download', conv(), facts(carerRW), false],
  ['carer with the messages right only never downloads', actors.carer, 'download', conv(), facts(carerM), false],
  ['holder: no download without a conversation', actors.patient, 'download', undefined, facts(self), false],
  ['holder: no download in a closed space', actors.patient, 'download', conv(), facts(self, 'closed'), false],
  // Professionals
  ['any professional starts, without consent', actors.pro, 'create', undefined, facts(pro()), true],
  ['a blocked professional may still start (law)', actors.pro, 'create', undefined, facts(pro({ blocked: true })), true],
  ['never into a closed space', actors.pro, 'create', undefined, facts(pro(), 'closed'), false],
  ['never into an opposed space', actors.pro, 'create', undefined, facts(pro(), 'opposed'), false],
  ['never into a space not created yet', actors.pro, 'create', undefined, facts(pro(), 'notified'), false],
  ['into an auto-created space', actors.pro, 'create', undefined, facts(pro(), 'auto_created'), true],
  ['the professional reads their conversation', actors.pro, 'read', conv(), facts(pro()), true],
  ['the professional writes in a closed conversation (reopens it)', actors.pro, 'create', conv({ status: 'closed' }), facts(pro()), true],
  ['the professional closes their conversation', actors.pro, 'update', conv(), facts(pro()), true],
  [
    'another professional reads nothing, even in the care team',
    actors.pro,
    'read',
    conv({ professionalId: PRO2 }),
    facts(pro({ careTeam: true, medecinTraitant: true })),
    false,
  ],
  [
    'another professional cannot write into it',
    actors.pro,
    'create',
    conv({ professionalId: PRO2 }),
    facts(pro({ careTeam: true })),
    false,
  ],
  ['a professional has no inbox of the patient', actors.pro, 'list', undefined, facts(pro({ careTeam: true })), false],
  ['the professional downloads from their conversation', actors.pro, 'download', conv(), facts(pro()), true],
  ['another professional downloads nothing', actors.pro, 'download', conv({ professionalId: PRO2 }), facts(pro({ careTeam: true })), false],
  // Never
  ['agents never', actors.agent, 'read', conv(), facts({ kind: 'agent' }), false],
  ['operators never', actors.operator, 'list', undefined, facts({ kind: 'operator' }), false],
  ['a professional with a patient relation never', actors.pro, 'read', conv(), facts(self), false],
]

describe('access policy: messages', () => {
  test.each(cases)('%s', (_name, actor, action, conversation, f, expected) => {
    expect(can(actor, action, { type: 'message', conversation }, f)).toBe(expected)
  })

  test.each<[string, Actor, Action, ConversationFacts, PolicyFacts, 403 | 404]>([
    ['another professional: 404 (may not know it exists)', actors.pro, 'read', conv({ professionalId: PRO2 }), facts(pro()), 404],
    ['another patient: 404', actors.patient, 'create', conv({ personId: OTHER }), facts(self), 404],
    ['closed conversation, patient writes: 403 (they see it)', actors.patient, 'create', conv({ status: 'closed' }), facts(self), 403],
    ['carer without the messages right replies: 404 (no messaging for them)', actors.carer, 'create', conv(), facts(carerR), 404],
    ['carer downloads an attachment: 403 (they see it listed)', actors.carer, 'download', conv(), facts(carerRW), 403],
    ['carer, conversation of another person: 404', actors.carer, 'download', conv({ personId: OTHER }), facts(carerRW), 404],
  ])('%s', (_n, actor, action, c, f, status) => {
    expect(decide(actor, action, { type: 'message', conversation: c }, f)).toEqual({ allowed: false, status })
  })
})

describe('messaging rules', () => {
  test.each<[string, string | null]>([
    ['', 'Saisissez votre message'],
    ['Bonjour', null],
    ['a'.repeat(5000), null],
    ['a'.repeat(5001), 'Le message doit contenir 5\u00a0000 caractères au maximum (il en contient 5\u00a0001)'],
    ['😀'.repeat(5000), null],
  ])('message of %#', (body, expected) => {
    expect(messageError(body)).toBe(expected)
  })

  test.each<[unknown, string]>([
    ['  a\r\nb\rc\n ', 'a\nb\nc'],
    [undefined, ''],
    [['x'], ''],
  ])('normalise %#', (raw, expected) => {
    expect(normaliseMessage(raw)).toBe(expected)
  })

  it('subject and close reason', () => {
    expect(subjectError('')).toBe("Saisissez l'objet du message")
    expect(subjectError('x'.repeat(101))).toBe("L'objet doit contenir 100 caractères au maximum")
    expect(subjectError('Résultats')).toBeNull()
    expect(closeReasonError('')).toBe('Indiquez pourquoi vous clôturez la conversation')
    expect(closeReasonError('x'.repeat(301))).toBe('Le motif doit contenir 300 caractères au maximum')
  })

  test.each<[string, string, string]>([
    ['C:\\Users\\x\\compte rendu.pdf', 'compte rendu.pdf', 'compte rendu'],
    ['', 'Pièce jointe', 'Pièce jointe'],
    [`${'a'.repeat(70)}.pdf`, `${'a'.repeat(70)}.pdf`, 'a'.repeat(50)],
  ])('attachment title %#', (name, title, docTitle) => {
    expect(attachmentTitle(name)).toBe(title)
    expect(documentTitleFromAttachment(attachmentTitle(name))).toBe(docTitle)
  })
})

describe('ContentInspector (the document rules, shared by documents and message attachments)', () => {
  const run = (name: string, chunks: Buffer[], max?: number): string => {
    try {
      const i = new ContentInspector(name, max)
      let total = 0
      chunks.forEach((c, index) => {
        total += c.length
        i.inspect(c, index, total)
      })
      return i.finish(total)
    } catch (err) {
      if (err instanceof ContentRejected) return `refusé : ${err.reason}`
      throw err
    }
  }
  test.each<[string, string, Buffer[], number | undefined, string]>([
    ['a PDF', 'cr.pdf', [Buffer.from('%PDF-1.4 ...')], undefined, 'application/pdf'],
    ['text named .pdf', 'cr.pdf', [Buffer.from('bonjour')], undefined, 'refusé : type_mismatch'],
    ['a PNG without extension', 'image', [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])], undefined, 'image/png'],
    ['binary posing as text', 'notes.txt', [Buffer.from([0x41, 0x00, 0x42])], undefined, 'refusé : type'],
    ['empty', 'vide.txt', [], undefined, 'refusé : empty'],
    ['too large', 'gros.txt', [Buffer.alloc(6, 0x61), Buffer.alloc(6, 0x61)], 10, 'refusé : too_large'],
    ['dangerous name', '../../etc/passwd', [Buffer.from('x')], undefined, 'refusé : bad_name'],
    ['an executable', 'facture.exe', [Buffer.from('MZ')], undefined, 'refusé : bad_name'],
  ])('%s', (_n, name, chunks, max, expected) => {
    expect(run(name, chunks, max)).toBe(expected)
  })
})
