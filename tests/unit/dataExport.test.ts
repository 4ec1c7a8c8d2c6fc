import { can, DEFAULT_SETTINGS, type Action, type PolicyFacts, type Relation } from '../../src/domain/accessPolicy'
import type { Actor } from '../../src/domain/actor'
import { effectiveState, escapeHtml, safeBaseName, summaryHtml, ZipNamer } from '../../src/domain/dataExport'
import { spaceBundle, type SpaceData } from '../../src/domain/fhirBundle'
import { OBSERVATION_CODES } from '../../src/domain/fhir'
import { parisOffset } from '../../src/domain/parisTime'
import { appointmentPeriod } from '../../src/domain/fhir'
import { MEASURES } from '../../src/domain/measures'

const NOW = new Date('2026-11-24T10:00:00Z')
const SPACE = '11111111-1111-1111-1111-111111111111'
const facts = (relation: Relation, spaceState: PolicyFacts['spaceState'] = 'activated'): PolicyFacts => ({
  personId: SPACE,
  spaceState,
  relation,
  settings: DEFAULT_SETTINGS,
  now: NOW,
})
const holder: Actor = { accountId: 'a-holder', kind: 'patient', displayName: 'Jean Dupont', personId: SPACE }
const parent: Actor = {
  accountId: 'a-parent',
  kind: 'patient',
  displayName: 'Camille Martin',
  personId: '22222222-2222-2222-2222-222222222222',
  acting: { personId: SPACE, as: 'representative', displayName: 'Léo Martin' },
}
const carer: Actor = {
  accountId: 'a-carer',
  kind: 'patient',
  displayName: 'Paul Aidant',
  personId: '33333333-3333-3333-3333-333333333333',
  acting: { personId: SPACE, as: 'carer', displayName: 'Jean Dupont' },
}
const pro: Actor = { accountId: 'a-pro', kind: 'professional', displayName: 'Dr Sophie Bernard', professionalId: 'p1', profession: '10' }
const agent: Actor = { accountId: 'a-agent', kind: 'agent', displayName: 'Nadia Roux', organisation: 'France Services Montreuil' }
const operator: Actor = { accountId: 'a-op', kind: 'operator', displayName: 'Louis Garnier' }
const service: Actor = {
  accountId: 'service',
  kind: 'patient',
  displayName: 'Withings Health Mate',
  organisation: 'Withings Health Mate',
  service: { clientId: 'withings', name: 'Withings Health Mate' },
  personId: SPACE,
}
const assisted: Actor = { ...holder, assistedBy: { agentAccountId: 'a-agent', organisation: 'France Services Montreuil' } }
const proRelation: Relation = {
  kind: 'professional',
  professionalId: 'p1',
  profession: '10',
  careTeam: true,
  medecinTraitant: true,
  administrator: true,
  blocked: false,
  samuRegulator: false,
  emergency: null,
  readableCategories: ['CPT_REND', 'SYNTH_PML'],
}

describe('«Télécharger mes données» : la politique d’accès', () => {
  it.each<[string, Actor, Relation, PolicyFacts['spaceState'], boolean]>([
    ['le titulaire', holder, { kind: 'self' }, 'activated', true],
    ['le titulaire d’un profil créé automatiquement', holder, { kind: 'self' }, 'auto_created', true],
    ['le représentant légal, pour l’enfant', parent, { kind: 'representative', childAge: 11 }, 'activated', true],
    ['un aidant', carer, { kind: 'carer', rights: { read: true, write: true, messages: true } }, 'activated', false],
    ['un professionnel, même médecin traitant et administrateur', pro, proRelation, 'activated', false],
    ['un conseiller France Services', agent, { kind: 'agent' }, 'activated', false],
    ['un agent de l’Assurance Maladie', operator, { kind: 'operator' }, 'activated', false],
    ['un service connecté', service, { kind: 'self' }, 'activated', false],
    ['le titulaire en session accompagnée au guichet France Services', assisted, { kind: 'self' }, 'activated', false],
    ['le titulaire d’un profil fermé', holder, { kind: 'self' }, 'closed', false],
    ['personne', holder, { kind: 'none' }, 'activated', false],
  ])('%s → %s', (_who, actor, relation, state, expected) => {
    for (const action of ['create', 'list', 'read'] as Action[])
      expect(can(actor, action, { type: 'export' }, facts(relation, state))).toBe(expected)
  })

  it('refuse les autres actions, même au titulaire', () => {
    for (const action of ['update', 'delete', 'manage', 'mask'] as Action[])
      expect(can(holder, action, { type: 'export' }, facts({ kind: 'self' }))).toBe(false)
  })
})

describe('noms des fichiers dans le ZIP', () => {
  it('ne laisse passer ni chemin ni caractère dangereux', () => {
    const n = new ZipNamer()
    const names = [
      n.name('../../etc/passwd', 'text/plain', '2026-01-02'),
      n.name('..\\..\\Windows\\system32', 'application/pdf', '2026-01-02'),
      n.name('/absolu', 'image/png', '2026-01-02'),
      n.name('.cache', 'image/jpeg', '2026-01-02'),
      n.name('CON', 'application/pdf', '2026-01-02'),
      n.name('nul\u0000\u001f<script>', 'application/pdf', '2026-01-02'),
      n.name('', 'application/pdf', 'pas-une-date/../x'),
    ]
    for (const name of names) {
      expect(name.startsWith('documents/')).toBe(true)
      const file = name.slice('documents/'.length)
      expect(file).toMatch(/^[A-Za-z0-9_-]+\.[a-z]+$/)
      expect(file).not.toMatch(/\.\./)
      expect(file.startsWith('.')).toBe(false)
    }
    expect(names[0]).toBe('documents/2026-01-02_etc-passwd.txt')
    expect(names[4]).toBe('documents/2026-01-02_CON.pdf')
    expect(names[6]).toBe('documents/sans-date_document.pdf')
  })

  it('garde les accents lisibles et rend chaque nom unique, sans tenir compte de la casse', () => {
    const n = new ZipNamer()
    expect(n.name('Compte rendu d’échographie', 'application/pdf', '2026-03-01')).toBe(
      'documents/2026-03-01_Compte-rendu-d-echographie.pdf',
    )
    expect(n.name('Compte rendu d’échographie', 'application/pdf', '2026-03-01')).toBe(
      'documents/2026-03-01_Compte-rendu-d-echographie-2.pdf',
    )
    expect(n.name('COMPTE RENDU D’ÉCHOGRAPHIE', 'application/pdf', '2026-03-01')).toBe(
      'documents/2026-03-01_COMPTE-RENDU-D-ECHOGRAPHIE-3.pdf',
    )
    expect(n.name('Compte rendu d’échographie', 'image/png', '2026-03-01')).toBe('documents/2026-03-01_Compte-rendu-d-echographie.png')
  })

  it('coupe les titres longs sans tiret final', () => {
    expect(safeBaseName('a'.repeat(59) + ' bcd')).toBe('a'.repeat(59))
    expect(safeBaseName('!!!')).toBe('document')
  })
})

describe('état d’une demande', () => {
  it('un fichier prêt depuis plus de 7 jours est expiré', () => {
    expect(effectiveState({ state: 'ready', expires_at: new Date(NOW.getTime() + 1000) }, NOW)).toBe('ready')
    expect(effectiveState({ state: 'ready', expires_at: NOW }, NOW)).toBe('expired')
    expect(effectiveState({ state: 'downloaded', expires_at: new Date(NOW.getTime() - 1000) }, NOW)).toBe('downloaded')
  })
})

const DATA: SpaceData = {
  person: { id: SPACE, lastName: 'Dupont', firstNames: 'Jean Pierre', sex: 'M', birthDate: '1950-11-02' },
  contacts: [
    {
      id: '44444444-4444-4444-4444-444444444444',
      role: 'trusted',
      name: 'Marie <Dupont>',
      relationship: 'Épouse',
      phone: '0600000000',
      email: null,
    },
  ],
  facts: { bloodGroup: 'O+', organDonation: 'accept', organDonationNote: null },
  entries: [
    {
      id: '55555555-5555-5555-5555-555555555551',
      section: 'conditions',
      label: 'Diabète de type 2',
      detail: null,
      startDate: '2015-01-01',
      endDate: null,
    },
    {
      id: '55555555-5555-5555-5555-555555555552',
      section: 'allergies',
      label: 'Pénicilline',
      detail: 'Urticaire',
      startDate: null,
      endDate: null,
    },
    {
      id: '55555555-5555-5555-5555-555555555553',
      section: 'treatments',
      label: 'Metformine',
      detail: null,
      startDate: '2015-02-01',
      endDate: null,
    },
    {
      id: '55555555-5555-5555-5555-555555555554',
      section: 'hospitalisations',
      label: 'Appendicite',
      detail: null,
      startDate: '1970-05-01',
      endDate: '1970-05-05',
    },
  ],
  measures: [
    {
      id: '66666666-6666-6666-6666-666666666661',
      type: 'poids',
      value: 82.5,
      value2: null,
      measuredOn: '2026-11-01',
      source: 'Withings Health Mate',
    },
    { id: '66666666-6666-6666-6666-666666666662', type: 'tension', value: 130, value2: 85, measuredOn: '2026-11-01' },
  ],
  vaccinations: [
    {
      id: '77777777-7777-7777-7777-777777777777',
      vaccine: 'GRIPPE',
      otherName: null,
      date: '2025-10-15',
      dose: '1',
      professional: 'Julie Moreau',
      lot: 'AB12',
    },
  ],
  events: [
    {
      id: '88888888-8888-8888-8888-888888888888',
      title: 'Cardiologue',
      date: '2026-07-10',
      time: '09:30',
      place: null,
      professional: 'Dr Karim Haddad',
      notes: null,
      status: 'honore',
    },
  ],
  documents: [
    {
      id: '99999999-9999-9999-9999-999999999999',
      title: 'Compte rendu',
      category: 'CPT_REND',
      date: '2026-06-01',
      mime: 'application/pdf',
      size: 1234,
      authorName: 'Dr Karim Haddad',
      authorProfession: 'Cardiologue',
      createdAt: '2026-06-01T10:00:00.000Z',
      masked: true,
      path: 'documents/2026-06-01_Compte-rendu.pdf',
    },
  ],
}

describe('le Bundle FHIR R4 de tout le profil', () => {
  const bundle = spaceBundle(DATA, { id: 'b1', timestamp: NOW.toISOString() })
  const of = (type: string) => bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === type) as Record<string, any>[]

  it('est une collection dont chaque entrée a une adresse urn:uuid et que les références désignent le patient', () => {
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' })
    for (const e of bundle.entry) expect(e.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/)
    expect(of('Patient')[0]).toMatchObject({
      id: SPACE,
      birthDate: '1950-11-02',
      gender: 'male',
      name: [{ family: 'Dupont', given: ['Jean', 'Pierre'] }],
    })
    expect(of('Patient')[0].contact[0].name.text).toBe('Marie <Dupont>')
    expect(of('Immunization')[0]).toMatchObject({
      status: 'completed',
      patient: { reference: `urn:uuid:${SPACE}` },
      occurrenceDateTime: '2025-10-15',
      lotNumber: 'AB12',
    })
  })

  it('code les mesures en LOINC et UCUM, la tension en deux composantes', () => {
    const obs = of('Observation')
    const weight = obs.find((o) => o.code.coding?.[0]?.code === '29463-7')!
    expect(weight.valueQuantity).toEqual({ value: 82.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' })
    expect(weight.device).toEqual({ display: 'Withings Health Mate' })
    const bp = obs.find((o) => o.code.coding?.[0]?.code === '85354-9')!
    expect(bp.component.map((c: any) => [c.code.coding[0].code, c.valueQuantity.value, c.valueQuantity.code])).toEqual([
      ['8480-6', 130, 'mm[Hg]'],
      ['8462-4', 85, 'mm[Hg]'],
    ])
    expect(obs.find((o) => o.code.coding?.[0]?.code === '882-1')!.valueCodeableConcept.text).toBe('O+')
    for (const m of MEASURES) expect(OBSERVATION_CODES[m.type]).toBeDefined()
  })

  it('décrit le profil, l’agenda et les documents (avec le chemin du fichier dans le ZIP)', () => {
    expect(of('Condition')[0]).toMatchObject({ code: { text: 'Diabète de type 2' }, onsetDateTime: '2015-01-01' })
    expect(of('AllergyIntolerance')[0]).toMatchObject({ code: { text: 'Pénicilline' }, note: [{ text: 'Urticaire' }] })
    expect(of('MedicationStatement')[0]).toMatchObject({ status: 'active' })
    expect(of('Encounter')[0]).toMatchObject({ status: 'finished', period: { start: '1970-05-01', end: '1970-05-05' } })
    expect(of('Appointment')[0]).toMatchObject({ status: 'fulfilled', start: '2026-07-10T09:30:00+02:00', description: 'Cardiologue' })
    expect(of('DocumentReference')[0]).toMatchObject({
      status: 'current',
      content: [{ attachment: { contentType: 'application/pdf', url: 'documents/2026-06-01_Compte-rendu.pdf', size: 1234 } }],
    })
  })

  it('connaît le décalage horaire de Paris en hiver et en été', () => {
    expect(parisOffset('2026-01-15')).toBe('+01:00')
    expect(parisOffset('2026-07-15')).toBe('+02:00')
  })

  it('donne un début et une fin à chaque rendez-vous (R4 app-2), à l’heure d’été comme à la journée entière', () => {
    expect(appointmentPeriod('2026-07-10', '09:30')).toEqual({ start: '2026-07-10T09:30:00+02:00', end: '2026-07-10T10:00:00+02:00' })
    expect(appointmentPeriod('2026-12-31', '23:45')).toEqual({ start: '2026-12-31T23:45:00+01:00', end: '2027-01-01T00:15:00+01:00' })
    // The night summer time ends: midnight to midnight is 25 hours.
    expect(appointmentPeriod('2026-10-25', null)).toEqual({ start: '2026-10-25T00:00:00+02:00', end: '2026-10-26T00:00:00+01:00' })
    for (const r of of('Appointment')) expect([typeof r.start, typeof r.end]).toEqual(['string', 'string'])
  })
})

describe('le résumé resume.html', () => {
  const html = summaryHtml(DATA, { generatedOn: '2026-11-24' })
  it('est en français, avec un seul h1, des tableaux légendés, des liens vers les fichiers, et tout échappé', () => {
    expect(html).toContain('<html lang="fr">')
    expect(html.match(/<h1>/g)).toHaveLength(1)
    expect(html).toContain('<caption>')
    expect(html).toContain('href="documents/2026-06-01_Compte-rendu.pdf"')
    expect(html).toContain('Marie &lt;Dupont&gt;')
    expect(html).not.toContain('<Dupont>')
    expect(html).toContain('130 / 85 mmHg')
    expect(html).toContain('82,5 kg')
    expect(html).toContain('Ajoutée par Withings Health Mate')
    expect(html).toContain('24 novembre 2026')
    expect(escapeHtml(`"'<>&`)).toBe('&quot;&#39;&lt;&gt;&amp;')
  })
})
