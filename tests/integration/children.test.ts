import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, lastMessage, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS } from '../helpers/demo'
import { activate, createAccount, createPerson, dateFields, errorText, h1 } from '../helpers/lifecycle'
import { DEMO_CHILD, DEMO_CHILD_CODE } from '../../src/seed/lifecycle'
import { open } from '../../src/infrastructure/crypto'
import { decodeKey } from '../../src/config'
import { TEST_SECRETS } from '../helpers/env'
import { majorityCutoff } from '../../src/domain/age'
import { isoDate } from '../../src/domain/parisTime'

describe('enfants : rattacher, changer de profil, second représentant, majorité', () => {
  let t: TestApp
  let camille: Agent
  let leoId: string
  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    leoId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
  })
  afterAll(async () => {
    await t.close()
  })

  const homeForm = async (a: Agent, profil: string) => {
    const page = await a.get('/mon-espace')
    const token = cheerio.load(page.text)('form[action="/changer-de-profil"] input[name="_csrf"]').attr('value')!
    return a.post('/changer-de-profil').type('form').send({ _csrf: token, profil })
  }

  it('Camille voit Léo sur son accueil et change de profil : nouvelle session, bandeau « Vous consultez le profil de Léo », historique', async () => {
    const home = await camille.get('/mon-espace')
    const $ = cheerio.load(home.text)
    expect($('button[name="profil"]').text()).toContain('Consulter le profil de Léo')
    expect($('main').text()).toContain('Né le 2 juin 2015')
    expect($('.govuk-service-navigation a[href="/mon-espace"]').text()).toContain('Accueil')
    const sidBefore = (
      await t
        .db('account_sessions')
        .where({ account_id: (await t.db('accounts').where({ login: CAMILLE.login }).first()).id })
        .first()
    ).sid
    const r = await homeForm(camille, leoId)
    expect(r.status).toBe(303)
    const cookie = r.headers['set-cookie'][0].split(';')[0]
    expect(cookie).not.toContain(sidBefore)
    expect(await t.redis!.exists(`${t.config.redisPrefix}sess:${sidBefore}`)).toBe(0)
    const renamed = await t.db('account_sessions').where({ sid: sidBefore }).first()
    expect(renamed).toBeUndefined()
    const page = await camille.get('/mon-espace')
    const p = cheerio.load(page.text)
    expect(p('#bandeau-profil').text().trim()).toBe('Vous consultez le profil de Léo')
    expect(p('h1').text()).toBe('Profil de Léo Martin')
    const row = await t.db('activity_log').where({ subject_person_id: leoId, action: 'representative.profile_opened' }).first()
    expect(row.actor_role).toBe('representative')
    // Back to her own profile.
    await homeForm(camille, (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id)
    const back = cheerio.load((await camille.get('/mon-espace')).text)
    expect(back('#bandeau-profil').length).toBe(0)
    expect(back('h1').text()).toBe('Bonjour Camille')
  })

  it('refuse de passer sur le profil d’un enfant qu’on ne représente pas', async () => {
    const stranger = await createPerson(t.db, { birthDate: '2016-01-01' })
    const r = await homeForm(camille, stranger.id)
    expect(r.status).toBe(404)
  })

  it('le bandeau disparaît dès que la représentation prend fin (vérifiée à chaque requête)', async () => {
    const child = await createPerson(t.db, { birthDate: '2012-12-12', state: 'activated' })
    const camilleId = (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id
    const [rep] = await t.db('representatives').insert({ child_person_id: child.id, representative_person_id: camilleId }).returning('id')
    await homeForm(camille, child.id)
    expect(cheerio.load((await camille.get('/mon-espace')).text)('#bandeau-profil').length).toBe(1)
    await t.db('representatives').where({ id: rep.id }).update({ ended_at: new Date(), ended_reason: 'removed' })
    const after = cheerio.load((await camille.get('/mon-espace')).text)
    expect(after('#bandeau-profil').length).toBe(0)
    expect(after('h1').text()).toBe('Bonjour Camille')
  })

  it('Camille ajoute Inès avec son code, son NIR et sa date de naissance ; les refus ont chacun leur message', async () => {
    let r = await submitForm(
      camille,
      '/enfants/ajouter',
      { code: DEMO_CHILD_CODE, nir: DEMO_CHILD.nir, ...dateFields('2019-09-11') },
      '/enfants/ajouter',
    )
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'code')).toContain('ne correspondent pas')
    const jeanCode = await createPerson(t.db, { birthDate: '1990-01-01' })
    r = await submitForm(
      camille,
      '/enfants/ajouter',
      { code: jeanCode.code, nir: jeanCode.nir, ...dateFields(jeanCode.birthDate) },
      '/enfants/ajouter',
    )
    expect(errorText(r.text, 'code')).toContain('Cette personne est majeure')
    r = await submitForm(
      camille,
      '/enfants/ajouter',
      { code: DEMO_CHILD_CODE, nir: DEMO_CHILD.nir, ...dateFields(DEMO_CHILD.birth_date) },
      '/enfants/ajouter',
    )
    expect(r.status).toBe(303)
    const ines = await t.db('insured_persons').where({ nir: DEMO_CHILD.nir }).first()
    expect((await t.db('spaces').where({ person_id: ines.id }).first()).state).toBe('activated')
    expect(await t.db('representatives').where({ child_person_id: ines.id }).whereNull('ended_at').first()).toBeTruthy()
    expect((await t.db('provisional_codes').where({ person_id: ines.id }).first()).used_at).toBeTruthy()
    expect(await t.db('activity_log').where({ subject_person_id: ines.id, action: 'representative.attached' }).first()).toBeTruthy()
    const home = await camille.get('/mon-espace')
    // Issue 16 §5: elision («le profil d'Inès»), and «Née le» from her sex.
    expect(cheerio.load(home.text)('button[name="profil"]').text()).toContain("Consulter le profil d'Inès")
    expect(cheerio.load(home.text)('main').text()).toContain('Née le 10 septembre 2019')
    // Another adult with a new code for an already managed child is refused.
    const other = await createAccount(t.db)
    const b = agent(t.app)
    await signIn(b, t.db, 'patient', other.login, other.password)
    const managed = await createPerson(t.db, { birthDate: '2018-02-02' })
    await t.db('representatives').insert({
      child_person_id: managed.id,
      representative_person_id:
        ines.id === managed.id ? ines.id : (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id,
    })
    r = await submitForm(
      b,
      '/enfants/ajouter',
      { code: managed.code, nir: managed.nir, ...dateFields(managed.birthDate) },
      '/enfants/ajouter',
    )
    expect(errorText(r.text, 'code')).toContain('déjà géré par un représentant légal')
  })

  it('Camille invite le second représentant, qui accepte depuis son propre compte et peut consulter Léo', async () => {
    const papa = await createAccount(t.db, { firstNames: 'Hugo', birthDate: '1966-05-05' })
    let r = await submitForm(
      camille,
      `/enfants/${leoId}/inviter`,
      { nir: DEMO_PERSONS.jean.nir, ...dateFields(DEMO_PERSONS.jean.birth_date) },
      `/enfants/${leoId}/inviter`,
    )
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'nir')).toContain('Aucun profil activé ne correspond')
    r = await submitForm(
      camille,
      `/enfants/${leoId}/inviter`,
      { nir: papa.nir, ...dateFields(papa.birthDate) },
      `/enfants/${leoId}/inviter`,
    )
    expect(r.status).toBe(303)
    expect((await lastMessage(t.db, papa.email, 'representative-invitation')).subject).toBe(
      'Une invitation vous attend dans Mon espace santé',
    )
    r = await submitForm(
      camille,
      `/enfants/${leoId}/inviter`,
      { nir: papa.nir, ...dateFields(papa.birthDate) },
      `/enfants/${leoId}/inviter`,
    )
    expect(errorText(r.text, 'nir')).toBe('Cette personne gère déjà ce profil ou a déjà été invitée.')
    const b = agent(t.app)
    await signIn(b, t.db, 'patient', papa.login, papa.password)
    const home = await b.get('/mon-espace')
    expect(home.text).toContain('Invitation de Camille Martin')
    const inv = await t.db('representative_invitations').where({ invitee_person_id: papa.id }).first()
    r = await submitForm(b, '/mon-espace', {}, `/invitations/${inv.id}/accepter`)
    expect(r.headers.location).toBe('/mon-espace')
    expect(
      await t.db('representatives').where({ child_person_id: leoId, representative_person_id: papa.id }).whereNull('ended_at').first(),
    ).toBeTruthy()
    r = await homeForm(b, leoId)
    expect(
      cheerio
        .load((await b.get('/mon-espace')).text)('#bandeau-profil')
        .text()
        .trim(),
    ).toBe('Vous consultez le profil de Léo')
    // Two representatives: no third invitation.
    const third = await createAccount(t.db)
    expect(cheerio.load((await camille.get('/mon-espace')).text)(`a[href="/enfants/${leoId}/inviter"]`).length).toBe(0)
    r = await submitForm(
      camille,
      `/enfants/${leoId}/inviter`,
      { nir: third.nir, ...dateFields(third.birthDate) },
      `/enfants/${leoId}/inviter`,
    )
    expect(errorText(r.text, 'nir')).toContain('deux représentants légaux')
  })

  it('à 18 ans, le traitement quotidien met fin aux accès, envoie son propre code au jeune adulte, garde la trace ; il active son profil', async () => {
    expect(t.services.jobs.map((j) => j.name)).toContain('majority')
    const today = isoDate()
    await t
      .db('insured_persons')
      .where({ id: leoId })
      .update({ birth_date: majorityCutoff(today) })
    await homeForm(camille, leoId)
    const notYet = await t.services.children.endAtMajority(new Date(Date.now() - 86400000).toISOString().slice(0, 10))
    expect(notYet.representations).toBe(0)
    const result = await t.services.children.endAtMajority(today)
    expect(result.children).toBe(1)
    expect(result.codes).toBe(1)
    const reps = await t.db('representatives').where({ child_person_id: leoId })
    expect(reps.length).toBeGreaterThanOrEqual(1)
    for (const r of reps) expect(r).toMatchObject({ ended_reason: 'majority' })
    const trace = await t.db('activity_log').where({ subject_person_id: leoId, action: 'representative.ended' })
    expect(trace.length).toBe(reps.length)
    const issued = await t.db('activity_log').where({ subject_person_id: leoId, action: 'code.issued' }).first()
    expect(issued.details).toMatchObject({ reason: 'majority', channel: 'post' })
    expect((await lastMessage(t.db, CAMILLE.email, 'representation-ended')).body).toContain('Léo a 18 ans')
    // Camille's switch ends at once.
    expect(cheerio.load((await camille.get('/mon-espace')).text)('#bandeau-profil').length).toBe(0)
    expect((await homeForm(camille, leoId)).status).toBe(404)
    // Running again changes nothing.
    expect((await t.services.children.endAtMajority(today)).representations).toBe(0)
    // Léo activates his own profile with the code of his letter.
    const letter = await t.db('letters').where({ person_id: leoId, kind: 'provisional_code' }).orderBy('id', 'desc').first()
    const { code } = JSON.parse(open(decodeKey(TEST_SECRETS.DOCUMENT_MASTER_KEY)!, letter.sealed_payload).toString())
    const leo = await t.db('insured_persons').where({ id: leoId }).first()
    const r = await activate(
      agent(t.app),
      t.db,
      { code, nir: leo.nir, birthDate: leo.birth_date },
      { identifiant: 'leo.martin', password: 'Skate vert et nuages 2026', email: 'leo.martin@courriel.example' },
    )
    // A young adult whose parent managed the profile lands on «Votre profil est désormais le vôtre» (issue 19 §4).
    expect(r.headers.location).toBe('/mon-espace/majorite')
    expect(h1((await agent(t.app).get('/')).text)).toBe('Mon espace santé')
  })
})
