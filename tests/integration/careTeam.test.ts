import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, NADIA, LOUIS } from '../helpers/demo'
import { errorText } from '../helpers/lifecycle'

describe('Mes professionnels de santé, historique, accueil', () => {
  let t: TestApp
  let camille: Agent
  let personId: string
  const proId = async (rpps: string) => (await t.db('professionals').where({ rpps }).first()).id
  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    personId = (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id
  })
  afterAll(async () => {
    await t.close()
  })

  it('shows the médecin traitant, the care team with the administrator, the blocked professional, the switches', async () => {
    const r = await camille.get('/mes-professionnels')
    expect(r.status).toBe(200)
    const $ = cheerio.load(r.text)
    const main = $('main').text().replace(/\s+/g, ' ')
    expect(main).toContain('Dr Sophie Bernard')
    expect(main).toContain('Dr Karim Haddad')
    expect(main).toContain('Administrateur')
    expect(main).toMatch(/Dr Marc Petit.*Bloqué depuis le/)
    expect($('input[name="urgence[]"][value="ETREAT"]').is(':checked')).toBe(true)
    expect($('input[name="urgence[]"][value="MASKED"]').is(':checked')).toBe(false)
  })

  it('searches the directory by name or RPPS; a bad search is an error', async () => {
    let r = await camille.get('/mes-professionnels/rechercher?q=moreau')
    expect(r.text).toContain('Julie Moreau')
    r = await camille.get('/mes-professionnels/rechercher?q=10100067899')
    expect(r.text).toContain('Thomas Girard')
    r = await camille.get('/mes-professionnels/rechercher?q=x')
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'q')).toContain('Saisissez au moins 2 caractères')
    expect(cheerio.load(r.text)('title').text()).toMatch(/^Erreur : /)
  })

  it('searches names without case or accents: «Lefevre» finds «Lefèvre», «Lefèvre» finds «Lefevre»', async () => {
    await t.db('professionals').insert([
      { rpps: '10100099997', first_name: 'Hélène', last_name: 'Lefèvre', profession: 'MEDECIN', city: 'Paris' },
      { rpps: '10100099989', first_name: 'Noël', last_name: 'Lefevre', profession: 'MEDECIN', city: 'Paris' },
    ])
    const names = async (q: string) => {
      const r = await camille.get(`/mes-professionnels/rechercher?q=${encodeURIComponent(q)}`)
      expect(r.status).toBe(200)
      return ['Hélène Lefèvre', 'Noël Lefevre'].filter((n) => r.text.includes(n))
    }
    expect(await names('Lefevre')).toEqual(['Hélène Lefèvre', 'Noël Lefevre'])
    expect(await names('LEFÈVRE')).toEqual(['Hélène Lefèvre', 'Noël Lefevre'])
    expect(await names('helene lefevre')).toEqual(['Hélène Lefèvre'])
    expect(await names('noel')).toEqual(['Noël Lefevre'])
    expect(await names('Lefebvre')).toEqual([])
  })

  it('adding grants nothing; blocking ends access at once; unblocking needs consent again', async () => {
    const moreau = await proId('10100034569')
    let r = await submitForm(camille, '/mes-professionnels/rechercher?q=moreau', {}, `/mes-professionnels/${moreau}/ajouter`)
    expect(r.status).toBe(303)
    let link = await t.db('patient_professionals').where({ person_id: personId, professional_id: moreau }).first()
    expect(link).toMatchObject({ listed: true, consent_at: null })
    const haddad = await proId('10100023455')
    r = await submitForm(camille, '/mes-professionnels', {}, `/mes-professionnels/${haddad}/bloquer`)
    link = await t.db('patient_professionals').where({ person_id: personId, professional_id: haddad }).first()
    expect(link.blocked_at).not.toBeNull()
    expect(link.consent_at).toBeNull()
    r = await submitForm(camille, '/mes-professionnels', {}, `/mes-professionnels/${haddad}/debloquer`)
    link = await t.db('patient_professionals').where({ person_id: personId, professional_id: haddad }).first()
    expect(link).toMatchObject({ blocked_at: null, consent_at: null })
    r = await submitForm(camille, '/mes-professionnels', {}, `/mes-professionnels/${moreau}/administrateur`)
    expect((await t.db('patient_professionals').where({ person_id: personId, professional_id: moreau }).first()).administrator).toBe(true)
    const actions = await t
      .db('activity_log')
      .where({ subject_person_id: personId })
      .where('action', 'like', 'careteam.%')
      .orderBy('id')
      .pluck('action')
    expect(actions).toEqual(['careteam.add', 'careteam.block', 'careteam.unblock', 'careteam.administrator'])
  })

  it('saves the three emergency switches', async () => {
    await submitForm(camille, '/mes-professionnels', { urgence: ['ETREAT', 'MASKED'] }, '/mes-professionnels/urgence')
    expect(await t.db('patient_settings').where({ person_id: personId }).first()).toMatchObject({
      emergency_etreat: true,
      emergency_btg: false,
      emergency_masked: true,
    })
    await submitForm(camille, '/mes-professionnels', { urgence: ['ETREAT', 'BTG'] }, '/mes-professionnels/urgence')
    expect(await t.db('patient_settings').where({ person_id: personId }).first()).toMatchObject({
      emergency_etreat: true,
      emergency_btg: true,
      emergency_masked: false,
    })
  })

  it('history: «Mes actions» and the others, filters; the home page shows the last professional accesses', async () => {
    let r = await camille.get('/historique')
    expect(r.status).toBe(200)
    let $ = cheerio.load(r.text)
    expect($('tbody').text()).toContain('Professionnel bloqué')
    expect($('tbody').text()).not.toContain('Dr Karim Haddad')
    r = await camille.get('/historique?onglet=autres&periode=30&acteur=professional')
    $ = cheerio.load(r.text)
    expect($('tbody').text()).toContain('Dr Karim Haddad')
    expect($('tbody').text()).toContain('Document consulté')
    r = await camille.get('/historique?onglet=autres&urgence=oui')
    expect(cheerio.load(r.text)('tbody tr').length).toBe(0)
    const home = await camille.get('/mon-espace')
    expect(cheerio.load(home.text)('main').text().replace(/\s+/g, ' ')).toContain(
      'Dr Karim Haddad (Hôpital Tenon) a consulté le document « Compte rendu de consultation de cardiologie » (Comptes rendus) le',
    )
  })

  it('agents and operators are refused on every health page', async () => {
    const nadia = agent(t.app)
    await signIn(nadia, t.db, 'agent', NADIA.login, NADIA.password)
    const louis = agent(t.app)
    await signIn(louis, t.db, 'operator', LOUIS.login, LOUIS.password)
    const doc = await t.db('documents').where({ person_id: personId }).first()
    for (const a of [nadia, louis]) {
      for (const url of [
        '/documents',
        `/documents/${doc.id}`,
        `/documents/${doc.id}/telecharger`,
        `/documents/${doc.id}/apercu`,
        '/documents/ajouter',
        '/mes-professionnels',
        '/historique',
        '/pro/patient',
        '/pro/patient/dossier',
        `/pro/patient/documents/${doc.id}/telecharger`,
      ]) {
        const res = await a.get(url)
        expect([403]).toContain(res.status)
        expect(res.text).not.toContain(doc.title)
      }
    }
  })
})
