import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, PROS } from '../helpers/demo'
import { simplePdf } from '../../src/infrastructure/simplePdf'

const L = DEMO_PERSONS.leo
const [year, month, day] = L.birth_date.split('-')
const leoFields = {
  nir: L.nir,
  'birthDate-day': String(Number(day)),
  'birthDate-month': String(Number(month)),
  'birthDate-year': year,
  lastName: 'Martin',
}

async function proAgent(t: TestApp, who: keyof typeof PROS): Promise<Agent> {
  const a = agent(t.app)
  await signIn(a, t.db, 'professional', PROS[who].login, PROS[who].password)
  return a
}

async function fileAsPro(a: Agent, fields: Record<string, string>) {
  const page = await a.get('/pro/patient/deposer')
  const req = a.post('/pro/patient/deposer').field('_csrf', csrfOf(page.text))
  for (const [k, v] of Object.entries({ category: 'CPT_REND', 'date-day': '1', 'date-month': '11', 'date-year': '2026', ...fields }))
    req.field(k, v)
  return req.attach('file', simplePdf(['Compte rendu', 'Leo Martin']), 'cr.pdf')
}

describe('documents : les représentants légaux sont prévenus d’un nouveau document dans le profil de l’enfant (SPEC §6)', () => {
  let t: TestApp
  let leoId: string
  const toCamille = () => t.db('outbox').where({ recipient: CAMILLE.email, kind: 'new-document-representative' }).orderBy('id')
  beforeAll(async () => {
    t = await createTestApp()
    leoId = (await t.db('insured_persons').where({ nir: L.nir }).first()).id
  })
  afterAll(async () => {
    await t.close()
  })

  it('a professional files a document for Léo: Camille gets an e-mail without health data', async () => {
    const haddad = await proAgent(t, 'haddad')
    expect((await submitForm(haddad, '/pro/patient', leoFields)).headers.location).toBe('/pro/patient/dossier')
    const r = await fileAsPro(haddad, { title: 'Consultation de cardiologie' })
    expect(r.status).toBe(303)
    const mails = await toCamille()
    expect(mails).toHaveLength(1)
    expect(mails[0].subject).toBe('Un nouveau document est disponible dans Mon espace santé')
    for (const secret of ['Consultation de cardiologie', 'cardiolog', 'Haddad', 'Léo', 'Compte', L.nir])
      expect(`${mails[0].subject} ${mails[0].body}`).not.toContain(secret)
    expect(mails[0].body).toContain('représentant légal')
  })

  it('never for a document «invisible aux représentants légaux», nor for a result held for a consultation d’annonce', async () => {
    const haddad = await proAgent(t, 'haddad')
    await submitForm(haddad, '/pro/patient', leoFields)
    expect((await fileAsPro(haddad, { title: 'Consultation confidentielle', invisible: 'oui' })).status).toBe(303)
    expect((await fileAsPro(haddad, { title: 'Résultat à annoncer', held: 'oui' })).status).toBe(303)
    expect(await toCamille()).toHaveLength(1)
  })

  it('a held result: the representatives are reminded at two weeks and told at one month', async () => {
    const DAY = 24 * 60 * 60 * 1000
    const now = Date.now()
    await t.services.proPortal.processHeldDocuments(new Date(now + 15 * DAY))
    const reminders = await t.db('outbox').where({ recipient: CAMILLE.email, kind: 'held-document-reminder-representative' })
    expect(reminders).toHaveLength(1)
    expect(reminders[0].body).not.toContain('Résultat à annoncer')
    await t.services.proPortal.processHeldDocuments(new Date(now + 32 * DAY))
    expect(await toCamille()).toHaveLength(2)
  })

  it('a representative is not told of their own upload; a switched-off notification is respected', async () => {
    const camilleAccount = await t.db('accounts').where({ login: CAMILLE.login }).first()
    const camilleActor = {
      accountId: camilleAccount.id,
      kind: 'patient' as const,
      displayName: 'Camille Martin',
      personId: camilleAccount.person_id,
      acting: { personId: leoId, as: 'representative' as const, displayName: 'Léo Martin' },
    }
    const r = await t.services.documents.upload(camilleActor, {
      personId: leoId,
      category: 'AUTR_DOC',
      title: 'Carnet',
      date: '2026-01-01',
      bytes: simplePdf(['Carnet']),
      fileName: 'carnet.pdf',
    })
    expect(r.ok).toBe(true)
    expect(await toCamille()).toHaveLength(2)
    await t
      .db('accounts')
      .where({ id: camilleAccount.id })
      .update({ notification_prefs: JSON.stringify({ new_document: false }) })
    const haddad = await proAgent(t, 'haddad')
    await submitForm(haddad, '/pro/patient', leoFields)
    expect((await fileAsPro(haddad, { title: 'Autre compte rendu' })).status).toBe(303)
    expect(await toCamille()).toHaveLength(2)
  })
})
