import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, signIn, submitForm, type Agent } from '../helpers/http'
import { LOUIS, NADIA, PROS } from '../helpers/demo'
import { createPerson, dateFields, errorText, type TestPerson } from '../helpers/lifecycle'

/**
 * Every door where someone types a person's surname applies the one rule of src/domain/surname.ts:
 * «Coeur» finds «Cœur» (and «CŒUR» finds «Coeur») at the France Services counter, in the
 * professional portal, when a professional writes to a patient and for an opposition by phone.
 * Before, the counter matched and the professional portal did not.
 */
describe('un même nom, les mêmes réponses à chaque porte', () => {
  let t: TestApp
  let withLigature: TestPerson
  let withoutLigature: TestPerson
  let nadia: Agent
  let moreau: Agent
  let haddad: Agent
  let louis: Agent
  beforeAll(async () => {
    t = await createTestApp()
    withLigature = await createPerson(t.db, { lastName: 'Cœur', email: 'coeur.ligature@courriel.example', noticeDaysAgo: 5 })
    withoutLigature = await createPerson(t.db, {
      lastName: 'Coeur',
      email: 'coeur.sans@courriel.example',
      birthDate: '1975-02-03',
      noticeDaysAgo: 5,
    })
    nadia = agent(t.app)
    await signIn(nadia, t.db, 'agent', NADIA.login, NADIA.password)
    moreau = agent(t.app)
    await signIn(moreau, t.db, 'professional', PROS.moreau.login, PROS.moreau.password)
    haddad = agent(t.app)
    await signIn(haddad, t.db, 'professional', PROS.haddad.login, PROS.haddad.password)
    louis = agent(t.app)
    await signIn(louis, t.db, 'operator', LOUIS.login, LOUIS.password)
  })
  afterAll(async () => {
    await t.close()
  })

  const cases: [string, () => TestPerson, string][] = [
    ['«Coeur» pour «Cœur»', () => withLigature, 'Coeur'],
    ['«CŒUR» pour «Coeur»', () => withoutLigature, 'CŒUR'],
  ]

  it.each(cases)('au guichet France Services : %s', async (_, who, typed) => {
    const p = who()
    const r = await submitForm(nadia, '/france-services/accompagner', {
      nir: p.nir,
      ...dateFields(p.birthDate),
      surname: typed,
      attestation: 'yes',
    })
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/france-services/personne')
  })

  it.each(cases)('dans le portail professionnel : %s', async (_, who, typed) => {
    const p = who()
    const r = await submitForm(moreau, '/pro/patient', { nir: p.nir, ...dateFields(p.birthDate), lastName: typed })
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/pro/patient/dossier')
    const page = await moreau.get('/pro/patient/dossier')
    expect(cheerio.load(page.text)('main h1').text().trim()).toBe(`${p.firstNames} ${p.lastName}`)
  })

  it.each(cases)('dans la messagerie du professionnel : %s', async (_, who, typed) => {
    const p = who()
    const page = await haddad.get('/pro/messagerie/nouveau')
    const req = haddad.post('/pro/messagerie/nouveau').field('_csrf', csrfOf(page.text))
    const fields = { nir: p.nir, ...dateFields(p.birthDate), lastName: typed, subject: 'Objet', body: 'Bonjour' }
    for (const [k, v] of Object.entries(fields)) req.field(k, v)
    const r = await req.attach('attachment', Buffer.alloc(0), '')
    // Found: the answer is about the profile (not created yet), not «Aucun patient ne correspond».
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'nir')).toMatch(/pas encore créé/)
  })

  it.each(cases)('pour une opposition par téléphone : %s', async (_, who, typed) => {
    const p = who()
    const r = await submitForm(louis, '/back-office/opposition-telephone', { nir: p.nir, ...dateFields(p.birthDate), lastName: typed })
    expect(r.status).toBe(303)
  })

  it('un autre nom ne correspond à aucune porte', async () => {
    const p = withLigature
    let r = await submitForm(nadia, '/france-services/accompagner', {
      nir: p.nir,
      ...dateFields(p.birthDate),
      surname: 'Cour',
      attestation: 'yes',
    })
    expect(r.status).not.toBe(303)
    r = await submitForm(moreau, '/pro/patient', { nir: p.nir, ...dateFields(p.birthDate), lastName: 'Cour' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'nir')).toContain('Aucun patient ne correspond à ces trois informations')
    r = await submitForm(louis, '/back-office/opposition-telephone', { nir: p.nir, ...dateFields(p.birthDate), lastName: 'Cour' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'nir')).toContain('Aucun assuré ne correspond')
  })
})
