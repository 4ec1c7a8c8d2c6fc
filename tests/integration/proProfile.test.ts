import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, PROS } from '../helpers/demo'
import { h1 } from '../helpers/lifecycle'
import { hashPassword } from '../../src/infrastructure/passwords'

const C = DEMO_PERSONS.camille
const camilleFields = { nir: C.nir, 'birthDate-day': '14', 'birthDate-month': '3', 'birthDate-year': '1968', lastName: 'Martin' }
const text = (html: string) => cheerio.load(html)('main').text().replace(/\s+/g, ' ')
const DENTIST = { login: '10100056786', password: 'Email-Dentaire-Blanc-88', email: 'claire.lambert@courriel.example' }

/** The professional portal's view of a patient's medical profile: only what the policy allows the profession, each read logged. */
describe('portail professionnel : profil médical du patient', () => {
  let t: TestApp
  let camilleId: string
  const pro = async (login: string, password: string): Promise<Agent> => {
    const a = agent(t.app)
    await signIn(a, t.db, 'professional', login, password)
    const r = await submitForm(a, '/pro/patient', camilleFields)
    expect(r.headers.location).toBe('/pro/patient/dossier')
    return a
  }
  const reads = () =>
    t.db('activity_log').where({ subject_person_id: camilleId, action: 'profile.read', actor_role: 'professional' }).orderBy('id', 'desc')

  beforeAll(async () => {
    t = await createTestApp()
    camilleId = (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id
    // The dentist of the directory (Dr Claire Lambert) gets an account for these tests.
    const lambert = await t.db('professionals').where({ rpps: DENTIST.login }).first()
    await t.db('accounts').insert({
      kind: 'professional',
      login: DENTIST.login,
      password_hash: await hashPassword(DENTIST.password),
      professional_id: lambert.id,
      display_name: 'Dr Claire Lambert',
      email: DENTIST.email,
    })
    // Camille writes directives anticipées and answers the lifestyle questions.
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    expect(
      (
        await submitForm(camille, '/profil-medical/directives-anticipees', {
          situation: 'bonne-sante',
          'maintien-en-vie': 'Je refuse l’acharnement thérapeutique.',
        })
      ).status,
    ).toBe(303)
  })
  afterAll(async () => {
    await t.close()
  })

  it('le médecin traitant voit toutes les rubriques, directives anticipées comprises ; la lecture est historisée', async () => {
    const bernard = await pro(PROS.bernard.login, PROS.bernard.password)
    const dossier = await bernard.get('/pro/patient/dossier')
    expect(cheerio.load(dossier.text)('a[href="/pro/patient/profil-medical"]').text()).toBe('Consulter le profil médical')
    const before = (await reads()).length
    const r = await bernard.get('/pro/patient/profil-medical')
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toContain('no-store')
    expect(h1(r.text)).toBe('Profil médical')
    const body = text(r.text)
    for (const s of [
      'Allergies',
      'Pénicilline',
      'Traitements',
      'Groupe sanguin',
      'A+',
      'Personne de confiance',
      'Thomas Martin',
      'Vaccinations',
      'Directives anticipées',
      'Je refuse l’acharnement thérapeutique.',
      'Habitudes de vie',
    ])
      expect(body).toContain(s)
    expect(cheerio.load(r.text)('#rubriques-non-consultables').length).toBe(0)
    const rows = await reads()
    expect(rows.length).toBe(before + 1)
    expect(rows[0].details.sections).toEqual(expect.arrayContaining(['directives', 'allergies', 'lifestyle', 'vaccinations']))
    expect(rows[0].emergency).toBe(false)
  })

  it('la pharmacienne, après avoir déclaré le consentement, ne voit ni directives anticipées ni habitudes de vie (matrice)', async () => {
    const moreau = await pro(PROS.moreau.login, PROS.moreau.password)
    // No access declared yet: the page is refused (403), nothing logged.
    const before = (await reads()).length
    expect((await moreau.get('/pro/patient/profil-medical')).status).toBe(403)
    expect((await reads()).length).toBe(before)
    expect(cheerio.load((await moreau.get('/pro/patient/dossier')).text)('a[href="/pro/patient/profil-medical"]').length).toBe(0)
    expect((await submitForm(moreau, '/pro/patient/dossier', { mode: 'consentement' })).status).toBe(303)
    const r = await moreau.get('/pro/patient/profil-medical')
    expect(r.status).toBe(200)
    const body = text(r.text)
    expect(body).toContain('Pénicilline')
    expect(body).not.toContain('Je refuse l’acharnement thérapeutique.')
    expect(cheerio.load(r.text)('#directives-anticipees').length).toBe(0)
    expect(cheerio.load(r.text)('#rubriques-non-consultables').text()).toContain('Directives anticipées')
    expect(cheerio.load(r.text)('#rubriques-non-consultables').text()).toContain('Habitudes de vie')
    const row = (await reads())[0]
    expect(row.actor_name).toContain('Moreau')
    expect(row.details.sections).not.toContain('directives')
    expect(row.details.sections).toContain('allergies')
  })

  it('le chirurgien-dentiste ne voit pas les directives anticipées', async () => {
    const lambert = await pro(DENTIST.login, DENTIST.password)
    expect((await submitForm(lambert, '/pro/patient/dossier', { mode: 'consentement' })).status).toBe(303)
    const r = await lambert.get('/pro/patient/profil-medical')
    expect(r.status).toBe(200)
    const body = text(r.text)
    expect(body).toContain('Allergies')
    expect(body).not.toContain('acharnement')
    expect(cheerio.load(r.text)('#rubriques-non-consultables').text()).toContain('Directives anticipées')
  })

  it('un professionnel bloqué est refusé (403), comme sans patient choisi (404)', async () => {
    const petit = await pro(PROS.petit.login, PROS.petit.password)
    expect((await petit.get('/pro/patient/profil-medical')).status).toBe(403)
    const fresh = agent(t.app)
    await signIn(fresh, t.db, 'professional', PROS.haddad.login, PROS.haddad.password)
    expect((await fresh.get('/pro/patient/profil-medical')).status).toBe(404)
  })

  it('un patient ne peut pas ouvrir la page du portail professionnel', async () => {
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const r = await camille.get('/pro/patient/profil-medical')
    expect([302, 303, 403, 404]).toContain(r.status)
  })
})
