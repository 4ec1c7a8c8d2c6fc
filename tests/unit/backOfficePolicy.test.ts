import { canBackOffice, type Action, type BackOfficeResource } from '../../src/domain/accessPolicy'
import { SYSTEM_ACTOR, type Actor } from '../../src/domain/actor'
import { diffCategories } from '../../src/features/back-office/accessMatrix'
import { checkServiceForm, slugOf } from '../../src/features/back-office/catalogueAdmin'

const actors: Record<string, Actor> = {
  operator: { accountId: 'a-op', kind: 'operator', displayName: 'Louis', organisation: 'CPAM de Paris' },
  system: SYSTEM_ACTOR,
  agent: { accountId: 'a-ag', kind: 'agent', displayName: 'Nadia', organisation: 'France Services Montreuil' },
  pro: { accountId: 'a-pro', kind: 'professional', displayName: 'Dr', professionalId: 'p', profession: 'MEDECIN' },
  patient: { accountId: 'a-pat', kind: 'patient', displayName: 'Camille', personId: '11111111-1111-1111-1111-111111111111' },
  service: { accountId: 'service', kind: 'patient', displayName: 'Appli', service: { clientId: 'c', name: 'Appli' } },
}
const MATRIX: BackOfficeResource = { type: 'access-matrix' }
const CATALOGUE: BackOfficeResource = { type: 'catalogue-service' }

type Case = [string, Actor, Action, BackOfficeResource, boolean]
const cases: Case[] = [
  ['operator lists the matrix', actors.operator, 'list', MATRIX, true],
  ['operator reads a profession', actors.operator, 'read', MATRIX, true],
  ['operator changes the matrix', actors.operator, 'update', MATRIX, true],
  ['operator never deletes matrix rows', actors.operator, 'delete', MATRIX, false],
  ['no «create» on the matrix (professions are reference data)', actors.operator, 'create', MATRIX, false],
  ['operator lists the catalogue', actors.operator, 'list', CATALOGUE, true],
  ['operator adds a service', actors.operator, 'create', CATALOGUE, true],
  ['operator edits a service', actors.operator, 'update', CATALOGUE, true],
  ['operator publishes or withdraws', actors.operator, 'manage', CATALOGUE, true],
  ['operator never deletes a service (withdraw instead)', actors.operator, 'delete', CATALOGUE, false],
  ['the system actor is not an operator', actors.system, 'update', MATRIX, false],
  ['the system actor does not publish', actors.system, 'manage', CATALOGUE, false],
  ['agent may not read the matrix', actors.agent, 'read', MATRIX, false],
  ['agent may not change the catalogue', actors.agent, 'update', CATALOGUE, false],
  ['professional may not read the matrix', actors.pro, 'list', MATRIX, false],
  ['professional may not change the matrix', actors.pro, 'update', MATRIX, false],
  ['patient may not list the back-office catalogue', actors.patient, 'list', CATALOGUE, false],
  ['patient may not change the matrix', actors.patient, 'update', MATRIX, false],
  ['a connected service may not publish itself', actors.service, 'manage', CATALOGUE, false],
]

describe('canBackOffice: the access matrix and the catalogue, operators only', () => {
  it.each(cases)('%s', (_label, actor, action, resource, expected) => {
    expect(canBackOffice(actor, action, resource)).toBe(expected)
  })
})

describe('diffCategories', () => {
  it('lists what was added and removed, in the order of the categories', () => {
    expect(diffCategories(['ORD_SOIN', 'BIOLOGIE'], ['REMB', 'SYNTHESE', 'BIOLOGIE'])).toEqual({
      added: ['SYNTHESE', 'REMB'],
      removed: ['ORD_SOIN'],
    })
    expect(diffCategories(['BIOLOGIE'], ['BIOLOGIE'])).toEqual({ added: [], removed: [] })
  })
})

describe('checkServiceForm', () => {
  const ok = {
    name: ' Tensio ',
    publisher: 'Tensio SAS',
    category: 'suivi',
    description: 'Carnet.',
    website: '',
    requests: ['mesures:write', 'mesures:read', 'mesures:read'],
  }
  it('trims, orders and deduplicates the requests', () => {
    const r = checkServiceForm(ok)
    expect(r).toEqual({
      ok: true,
      input: {
        name: 'Tensio',
        publisher: 'Tensio SAS',
        category: 'suivi',
        description: 'Carnet.',
        website: null,
        requests: [
          { category: 'mesures', access: 'read' },
          { category: 'mesures', access: 'write' },
        ],
      },
    })
  })
  it.each([
    ['name', { name: 'x'.repeat(121) }, 'Le nom doit contenir 120 caractères au maximum'],
    ['category', { category: 'inconnue' }, 'Choisissez la catégorie'],
    [
      'website',
      { website: 'http://www.exemple.fr' },
      "Saisissez l'adresse du site sous la forme https://www.exemple.fr, ou laissez le champ vide",
    ],
    [
      'website',
      { website: 'javascript:alert(1)' },
      "Saisissez l'adresse du site sous la forme https://www.exemple.fr, ou laissez le champ vide",
    ],
    ['requests', { requests: ['dossier:read'] }, 'Choisissez parmi les données proposées'],
    ['description', { description: 'x'.repeat(1001) }, 'La description doit contenir 1000 caractères au maximum (vous en avez saisi 1001)'],
  ])('refuses a bad %s', (field, change, message) => {
    const r = checkServiceForm({ ...ok, ...change })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors.fields[field]).toEqual({ text: message })
  })
  it('makes a slug from the name', () => {
    expect(slugOf('Mémo Santé Enfant !')).toBe('memo-sante-enfant')
    expect(slugOf('***')).toBe('service')
  })
})
