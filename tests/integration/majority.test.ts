import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, HELENE, SAMU } from '../helpers/demo'
import { activate, codeFromMail, h1 } from '../helpers/lifecycle'
import { chloeBirthDate } from '../../src/seed/journeys'
import { majorityDate } from '../../src/domain/age'
import { anniversary } from '../../src/domain/age'
import { frenchDate, isoDate } from '../../src/domain/parisTime'

/**
 * Issue 19 §4 (the 18th birthday, seen by everyone it concerns) and §5 (demo data that lets every
 * journey be tried: a person in a bilan-prévention band, the SAMU doctor, a carer relationship).
 */
describe('les 18 ans : l’avis trois mois avant, les pages, le jour même', () => {
  let t: TestApp
  let camille: Agent
  let chloeId: string
  const today = isoDate()
  const mails = (kind: string) => t.db('outbox').where({ kind }).orderBy('id')

  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    chloeId = (await t.db('insured_persons').where({ first_names: 'Chloé', last_name: 'Martin' }).first()).id
  })
  afterAll(async () => {
    await t.close()
  })

  it('la démonstration a une enfant de 17 ans et 10 mois, dont Camille est la représentante', async () => {
    const chloe = await t.db('insured_persons').where({ id: chloeId }).first()
    expect(chloe.birth_date).toBe(chloeBirthDate(new Date()))
    const months = (new Date(`${today}T00:00:00Z`).getTime() - new Date(`${chloe.birth_date}T00:00:00Z`).getTime()) / (30.44 * 86400000)
    expect(Math.round(months)).toBe(17 * 12 + 10)
  })

  it('trois mois avant : un courriel au jeune et à chaque représentant, sans donnée de santé, une seule fois ; l’historique le garde', async () => {
    const r = await t.services.majority.sendNotices(today)
    expect(r).toEqual({ young: 1, emails: 2 })
    const young = await mails('majority-soon')
    expect(young.map((m) => m.recipient)).toEqual(['chloe.martin@courriel.example'])
    const reps = await mails('majority-soon-representative')
    expect(reps.map((m) => m.recipient)).toEqual([CAMILLE.email])
    const on = frenchDate(majorityDate(chloeBirthDate(new Date())))
    expect(young[0].body).toContain(on)
    expect(young[0].body).toContain('/ce-qui-change-a-18-ans')
    expect(reps[0].body).toContain(`/enfants/${chloeId}/majorite`)
    for (const m of [...young, ...reps]) expect(m.body).not.toMatch(/vaccin|document|dépistage|traitement|allergie|NIR|\d{13}/i)
    // Idempotent: the job again (or another worker) sends nothing more.
    expect(await t.services.majority.sendNotices(today)).toEqual({ young: 0, emails: 0 })
    expect(await mails('majority-soon')).toHaveLength(1)
    const row = await t.db('activity_log').where({ subject_person_id: chloeId, action: 'majority.notice' })
    expect(row).toHaveLength(1)
    // Léo (11) is not told.
    const leoId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
    expect(await t.db('majority_notices').where({ person_id: leoId }).first()).toBeUndefined()
  })

  it('dans l’espace : la carte de Chloé l’annonce et la page explique ce qui va changer ; personne d’autre ne la voit', async () => {
    const home = await camille.get('/mon-espace')
    const $ = cheerio.load(home.text)
    expect($('main').text()).toContain(`Chloé aura 18 ans le ${frenchDate(majorityDate(chloeBirthDate(new Date())))}`)
    expect($(`a[href="/enfants/${chloeId}/majorite"]`).length).toBe(1)
    // Léo's card says nothing of the kind.
    expect($('main').text()).not.toMatch(/Léo aura 18 ans/)
    const page = await camille.get(`/enfants/${chloeId}/majorite`)
    expect(page.status).toBe(200)
    expect(page.headers['cache-control']).toContain('no-store')
    expect(h1(page.text)).toBe('Ce qui change aux 18 ans de Chloé')
    expect(page.text).toContain('Invisible aux représentants légaux')
    const helene = agent(t.app)
    await signIn(helene, t.db, 'patient', HELENE.login, HELENE.password)
    expect((await helene.get(`/enfants/${chloeId}/majorite`)).status).toBe(404)
    const pub = await agent(t.app).get('/ce-qui-change-a-18-ans')
    expect(pub.status).toBe(200)
    expect(h1(pub.text)).toBe('Ce qui change à 18 ans')
  })

  it('le jour même : fin de l’accès, son propre code ; après l’activation, une page explique son nouvel espace', async () => {
    // Chloé turns 18 today (her birth date moved for the test: activation needs an adult today).
    const birth = anniversary(today, -18)
    await t.db('insured_persons').where({ id: chloeId }).update({ birth_date: birth })
    const ended = await t.services.children.endAtMajority(today)
    expect(ended.representations).toBe(1)
    expect(ended.codes).toBe(1)
    const code = await codeFromMail(t.db, 'chloe.martin@courriel.example')
    const chloe = await t.db('insured_persons').where({ id: chloeId }).first()
    const a = agent(t.app)
    const r = await activate(
      a,
      t.db,
      { code, nir: chloe.nir, birthDate: birth },
      { identifiant: 'chloe.martin', password: 'Nuage-Corail-Violon-2009', email: 'chloe.martin@courriel.example' },
    )
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/mon-espace/majorite')
    const page = await a.get('/mon-espace/majorite')
    expect(h1(page.text)).toBe('Votre profil est désormais le vôtre')
    const text = cheerio.load(page.text)('main').text().replace(/\s+/g, ' ')
    expect(text).toContain('Camille Martin')
    expect(text).toContain('Ce qu’ils pouvaient voir avant'.replace('’', "'"))
    // Camille no longer reaches her profile; her page now says it.
    const mine = await camille.get(`/enfants/${chloeId}/majorite`)
    expect(h1(mine.text)).toBe('Chloé a 18 ans')
  })
})

describe('les données de démonstration permettent chaque parcours', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  it('Hélène Faure (47 ans) se connecte et ouvre « Mon bilan prévention »', async () => {
    const a = agent(t.app)
    await signIn(a, t.db, 'patient', HELENE.login, HELENE.password)
    const r = await a.get('/profil-medical/bilan-prevention')
    expect(r.status).toBe(200)
    expect(h1(r.text)).toBe('Mon bilan prévention')
    expect(cheerio.load(r.text)('form input[type=radio], form input[type=checkbox], form textarea').length).toBeGreaterThan(0)
  })

  it('Hélène est l’aidante de Camille : elle agit pour elle, dans l’historique de Camille comme aidante', async () => {
    const a = agent(t.app)
    await signIn(a, t.db, 'patient', HELENE.login, HELENE.password)
    const camilleId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()).id
    const list = await a.get('/aidants')
    expect(list.text).toContain('Camille Martin')
    const r = await submitForm(a, '/aidants', { profil: camilleId }, '/aidants/agir')
    expect(r.status).toBe(303)
    const home = await a.get('/mon-espace')
    expect(home.text).toContain('Camille Martin')
    const docs = await a.get('/documents')
    expect(docs.status).toBe(200)
    const row = await t.db('activity_log').where({ subject_person_id: camilleId, actor_role: 'carer' }).orderBy('seq', 'desc').first()
    expect(row.actor_name).toBe('Hélène Faure')
  })

  it('le Dr Lemaire, médecin régulateur du SAMU, ouvre un accès en urgence (ETREAT) au profil de Camille', async () => {
    const a = agent(t.app)
    await signIn(a, t.db, 'professional', SAMU.login, SAMU.password)
    let r = await submitForm(a, '/pro/patient', {
      nir: DEMO_PERSONS.camille.nir,
      'birthDate-day': '14',
      'birthDate-month': '03',
      'birthDate-year': '1968',
      lastName: 'Martin',
    })
    expect(r.status).toBe(303)
    r = await submitForm(a, '/pro/patient/dossier', { mode: 'urgence', reason: 'Appel au 15 : malaise' }, '/pro/patient/acces')
    expect(r.status).toBe(303)
    const access = await t
      .db('emergency_accesses as e')
      .join('professionals as p', 'p.id', 'e.professional_id')
      .where('p.rpps', SAMU.login)
      .first('e.kind')
    expect(access.kind).toBe('ETREAT')
  })
})
