import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, lastMessage, submitForm } from '../helpers/http'
import { DEMO_CODES, DEMO_PERSONS } from '../helpers/demo'
import { activate, codeFromMail, createPerson, dateFields, errorText, h1 } from '../helpers/lifecycle'
import { MISMATCH_MESSAGE } from '../../src/features/spaces/holder'

const AICHA = { code: DEMO_CODES.aicha, nir: DEMO_PERSONS.aicha.nir, birthDate: DEMO_PERSONS.aicha.birth_date }

describe("m'opposer à la création de mon profil", () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  it('Aïcha s’oppose : confirmation explicite, accusé de réception avec référence, courriel, historique ; puis elle change d’avis et active', async () => {
    const a = agent(t.app)
    let r = await submitForm(a, '/opposition', { code: 'h8rd 2vnc 6jqe', nir: '2 90 07 13 055 321 70', ...dateFields(AICHA.birthDate) })
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/opposition/confirmation')
    const confirm = await a.get('/opposition/confirmation')
    expect(h1(confirm.text)).toBe('Confirmer mon opposition')
    r = await submitForm(a, '/opposition/confirmation', {})
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'confirm')).toContain('Cochez la case pour confirmer votre opposition')
    const person = await t.db('insured_persons').where({ nir: AICHA.nir }).first()
    expect((await t.db('spaces').where({ person_id: person.id }).first()).state).toBe('notified')
    r = await submitForm(a, '/opposition/confirmation', { confirm: 'yes' })
    expect(r.headers.location).toBe('/opposition/accuse-de-reception')
    const receipt = await a.get('/opposition/accuse-de-reception')
    expect(receipt.status).toBe(200)
    const space = await t.db('spaces').where({ person_id: person.id }).first()
    expect(space.state).toBe('opposed')
    expect(space.opposition_reference).toMatch(/^OPP-[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    const $ = cheerio.load(receipt.text)
    expect($('h1').text()).toContain('Opposition enregistrée')
    expect($('main').text()).toContain(space.opposition_reference)
    expect($('main').text()).toContain('Aïcha Benali')
    const mail = await lastMessage(t.db, DEMO_PERSONS.aicha.email, 'opposition-receipt')
    expect(mail.body).toContain(space.opposition_reference)
    expect(mail.body).not.toContain(AICHA.nir)
    const row = await t.db('activity_log').where({ subject_person_id: person.id, action: 'space.opposed' }).first()
    expect(row).toMatchObject({ actor_role: 'patient', actor_account_id: null, actor_name: 'Aïcha Benali' })

    // The same code again: already opposed, with the reference.
    r = await submitForm(agent(t.app), '/opposition', { code: AICHA.code, nir: AICHA.nir, ...dateFields(AICHA.birthDate) })
    expect(h1(r.text)).toBe('Vous vous êtes déjà opposé à la création de votre profil')
    expect(r.text).toContain(space.opposition_reference)

    // She changes her mind: a new code, then activation.
    await submitForm(agent(t.app), '/nouveau-code', { nir: AICHA.nir, ...dateFields(AICHA.birthDate) })
    const code = await codeFromMail(t.db, DEMO_PERSONS.aicha.email)
    r = await activate(
      agent(t.app),
      t.db,
      { code, nir: AICHA.nir, birthDate: AICHA.birthDate },
      { identifiant: 'aicha.benali13', password: 'Calanques bleues et pins 77', email: DEMO_PERSONS.aicha.email },
    )
    expect(r.headers.location).toBe('/mon-espace')
    expect((await t.db('spaces').where({ person_id: person.id }).first()).state).toBe('activated')
  })

  it('le même message pour une combinaison fausse ; chaque champ vide signalé', async () => {
    const p = await createPerson(t.db)
    let r = await submitForm(agent(t.app), '/opposition', { code: p.code, nir: p.nir, ...dateFields('1980-05-18') })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'code')).toBe(MISMATCH_MESSAGE)
    expect(cheerio.load(r.text)('#code').attr('value')).toBe(p.code)
    r = await submitForm(agent(t.app), '/opposition', {
      code: '',
      nir: '',
      'birthDate-day': '',
      'birthDate-month': '',
      'birthDate-year': '',
    })
    const $ = cheerio.load(r.text)
    expect($('.govuk-error-summary li').length).toBe(3)
  })

  it('après les 6 semaines ou une création automatique, dit de fermer le profil à la place', async () => {
    const late = await createPerson(t.db, { noticeDaysAgo: 43, codeDaysAgo: 1 })
    let r = await submitForm(agent(t.app), '/opposition', { code: late.code, nir: late.nir, ...dateFields(late.birthDate) })
    expect(r.status).toBe(400)
    expect(h1(r.text)).toBe('Votre profil a déjà été créé')
    expect(r.text).toContain('fermer votre profil')
    const auto = await createPerson(t.db, { state: 'auto_created', codeDaysAgo: 1 })
    r = await submitForm(agent(t.app), '/opposition', { code: auto.code, nir: auto.nir, ...dateFields(auto.birthDate) })
    expect(h1(r.text)).toBe('Votre profil a déjà été créé')
    expect((await t.db('spaces').where({ person_id: auto.id }).first()).state).toBe('auto_created')
  })

  it('sans adresse électronique, l’accusé part par courrier', async () => {
    const p = await createPerson(t.db, { email: null })
    const a = agent(t.app)
    await submitForm(a, '/opposition', { code: p.code, nir: p.nir, ...dateFields(p.birthDate) })
    const r = await submitForm(a, '/opposition/confirmation', { confirm: 'yes' })
    expect(r.status).toBe(303)
    const letter = await t.db('letters').where({ person_id: p.id, kind: 'opposition_receipt' }).first()
    expect(letter).toBeTruthy()
    expect((await a.get('/opposition/accuse-de-reception')).text).toContain('par courrier')
  })

  it('sans étape précédente, les pages suivantes renvoient au début', async () => {
    expect((await agent(t.app).get('/opposition/confirmation')).headers.location).toBe('/opposition')
    expect((await agent(t.app).get('/opposition/accuse-de-reception')).headers.location).toBe('/opposition')
  })
})
