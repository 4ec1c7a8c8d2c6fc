import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, PROS } from '../helpers/demo'
import { createAccount } from '../helpers/lifecycle'
import { simplePdf } from '../../src/infrastructure/simplePdf'
import { isoDate } from '../../src/domain/parisTime'
import type { Actor } from '../../src/domain/actor'

/**
 * Issue 15 §2: what the patient hides stays hidden, everywhere. The activity history decides row by
 * row with the access policy: a result held for a consultation d'annonce leaves no row the patient
 * can see until it is released; a document invisible to representatives never appears in their view;
 * a row names its document when the viewer may see it, «un document» otherwise; a carer sees the rows
 * the delegation allows; a representation ends on the 18th birthday itself.
 */
const identity = (p: { nir: string; birth_date: string }, lastName: string) => {
  const [y, m, d] = p.birth_date.split('-')
  return { nir: p.nir, 'birthDate-day': String(Number(d)), 'birthDate-month': String(Number(m)), 'birthDate-year': y, lastName }
}
const text = (html: string, selector = 'main') => cheerio.load(html)(selector).text().replace(/\s+/g, ' ')

describe('historique : ce que le patient cache reste caché', () => {
  let t: TestApp
  let camille: Agent
  let haddad: Agent
  let camilleId: string
  let leoId: string

  async function fileAsHaddad(patient: 'camille' | 'leo', fields: Record<string, string>): Promise<string> {
    const who = patient === 'camille' ? identity(DEMO_PERSONS.camille, 'Martin') : identity(DEMO_PERSONS.leo, 'Martin')
    expect((await submitForm(haddad, '/pro/patient', who)).headers.location).toBe('/pro/patient/dossier')
    const page = await haddad.get('/pro/patient/deposer')
    const req = haddad.post('/pro/patient/deposer').field('_csrf', csrfOf(page.text))
    for (const [k, v] of Object.entries({ category: 'BIOLOGIE', 'date-day': '1', 'date-month': '12', 'date-year': '2026', ...fields }))
      req.field(k, v)
    expect((await req.attach('file', simplePdf(['Résultat', fields.title]), 'resultat.pdf')).status).toBe(303)
    const doc = await t.db('documents').where({ title: fields.title }).first('id')
    // The professional reads it (a row of the history about it).
    expect((await haddad.get(`/pro/patient/documents/${doc.id}`)).status).toBe(200)
    return doc.id
  }

  const othersTab = async (a: Agent) => {
    const r = await a.get('/historique?onglet=autres&periode=all')
    expect(r.status).toBe(200)
    return r.text
  }

  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    haddad = agent(t.app)
    await signIn(haddad, t.db, 'professional', PROS.haddad.login, PROS.haddad.password)
    camilleId = (await t.db('insured_persons').where({ nir: CAMILLE.nir }).first()).id
    leoId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
  })
  afterAll(async () => {
    await t.close()
  })

  it('un résultat retenu pour une consultation d’annonce ne laisse aucune ligne visible du patient avant sa levée, puis le dépôt apparaît, nommé', async () => {
    const before = await othersTab(camille)
    const rowsBefore = cheerio.load(before)('tbody tr').length
    const id = await fileAsHaddad('camille', { title: 'Résultat à annoncer', held: 'oui' })
    // Rows about it exist (filing, reading), but the patient sees none of them, not even anonymously.
    expect(await t.db('activity_log').where({ object_id: id }).pluck('action')).toEqual(['document.create', 'document.read'])
    const during = await othersTab(camille)
    expect(cheerio.load(during)('tbody tr').length).toBe(rowsBefore)
    expect(during).not.toContain('Résultat à annoncer')
    // Nor on the home page's «Derniers accès».
    const account = await t.db('accounts').where({ login: CAMILLE.login }).first()
    const actor: Actor = { accountId: account.id, kind: 'patient', displayName: 'Camille Martin', personId: camilleId }
    const home = await t.services.home.patientHome(actor)
    expect(home.lastAccesses!.map((a) => a.object_id)).not.toContain(id)
    expect(text((await camille.get('/mon-espace')).text)).not.toContain('Résultat à annoncer')

    // Its author releases it: from then on the history shows the filing, named.
    const page = await haddad.get(`/pro/patient/documents/${id}`)
    const released = await haddad
      .post(`/pro/patient/documents/${id}/rendre-visible`)
      .type('form')
      .send({ _csrf: csrfOf(page.text) })
    expect(released.status).toBe(303)
    const after = await othersTab(camille)
    const $ = cheerio.load(after)
    const rows = $('tbody tr')
      .toArray()
      .map((r) => $(r).text().replace(/\s+/g, ' '))
      .filter((r) => r.includes('Résultat à annoncer'))
    expect(
      rows.some((r) => r.includes('Document ajouté') && r.includes('Concerne : « Résultat à annoncer » (Résultats de biologie)')),
    ).toBe(true)
    expect(rows.some((r) => r.includes('Document consulté'))).toBe(true)
  })

  it('un document « invisible aux représentants légaux » n’apparaît jamais dans l’historique vu par un représentant ; les autres documents sont nommés', async () => {
    const hidden = await fileAsHaddad('leo', { title: 'Consultation confidentielle', invisible: 'oui' })
    const shown = await fileAsHaddad('leo', { title: 'Vaccination à jour' })
    expect((await submitForm(camille, '/changer-de-profil', { profil: leoId })).status).toBe(303)
    try {
      const view = await othersTab(camille)
      expect(view).not.toContain('Consultation confidentielle')
      expect(view).toContain('Concerne : « Vaccination à jour » (Résultats de biologie)')
      // Not a single row about it, named or not: the rows of the page are the others.
      const visibleIds = await t
        .db('activity_log')
        .where({ subject_person_id: leoId })
        .whereNot({ object_id: hidden })
        .whereNotIn('actor_role', ['patient', 'representative'])
        .count('* as n')
        .first()
      expect(cheerio.load(view)('tbody tr').length).toBe(Number(visibleIds!.n))
      expect(shown).toBeTruthy()
    } finally {
      await submitForm(camille, '/changer-de-profil', { profil: camilleId })
    }
  })

  it('une ligne nomme le document (titre et catégorie) quand le lecteur peut le voir, « un document » quand il n’existe plus', async () => {
    // Camille masks one of her own uploads: the row names it.
    const doc = await t.db('documents').where({ person_id: camilleId, title: 'Bilan sanguin annuel' }).first('id')
    const shown = await camille.get(`/documents/${doc.id}`)
    expect(
      (
        await camille
          .post(`/documents/${doc.id}/masquer`)
          .type('form')
          .send({ _csrf: csrfOf(shown.text) })
      ).status,
    ).toBe(303)
    const mine = await camille.get('/historique?onglet=moi&periode=all')
    expect(text(mine.text, 'tbody')).toContain(
      'Document masqué aux professionnels Concerne : « Bilan sanguin annuel » (Résultats de biologie)',
    )
    // She deletes it: its rows now say «un document».
    const page = await camille.get(`/documents/${doc.id}/supprimer`)
    const del = await camille
      .post(`/documents/${doc.id}/supprimer`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), confirm: 'oui' })
    expect(del.status).toBe(303)
    const after = text((await camille.get('/historique?onglet=moi&periode=all')).text, 'tbody')
    expect(after).not.toContain('Bilan sanguin annuel')
    expect(after).toContain('Document supprimé Concerne : un document')
    expect(after).toContain('Document masqué aux professionnels Concerne : un document')
  })

  it('un aidant voit les lignes que sa délégation permet, et l’accueil dit « aidant », jamais « représentant légal », sans faux « aucun professionnel »', async () => {
    const paul = await createAccount(t.db, { firstNames: 'Paul', lastName: 'Aidanthisto' })
    await t.db('carers').insert({
      person_id: camilleId,
      carer_person_id: paul.id,
      status: 'active',
      invitation_expires_at: new Date(),
      starts_on: isoDate(),
      accepted_at: new Date(),
      can_see: true,
      can_write: false,
      can_message: false,
    })
    // A held result, and a conversation a professional started: neither shows to this carer (no «messages» right).
    const held = await fileAsHaddad('camille', { title: 'Autre résultat retenu', held: 'oui' })
    const haddadAccount = await t.db('accounts').where({ login: PROS.haddad.login }).first()
    const haddadActor: Actor = {
      accountId: haddadAccount.id,
      kind: 'professional',
      displayName: 'Dr Karim Haddad',
      professionalId: haddadAccount.professional_id,
      organisation: 'Hôpital Tenon',
    }
    await t.db.transaction((trx) =>
      t.services.activity.record(trx, haddadActor, { action: 'message.start', subjectPersonId: camilleId, objectType: 'conversation' }),
    )
    expect(text(await othersTab(camille), 'tbody')).toContain('Nouvelle conversation dans la messagerie')
    const p = agent(t.app)
    await signIn(p, t.db, 'patient', paul.login, paul.password)
    expect((await submitForm(p, '/aidants', { profil: camilleId }, '/aidants/agir')).status).toBe(303)
    const home = await p.get('/mon-espace')
    expect(text(home.text, '#bandeau-profil')).toContain("Vous agissez en tant qu'aidant de Camille Martin")
    const main = text(home.text)
    expect(main).toContain('aidant')
    expect(main).not.toMatch(/représentant légal/)
    expect(main).not.toContain("Aucun professionnel de santé n'a consulté ce profil récemment")
    expect(main).toContain('Dr Karim Haddad (Hôpital Tenon) a consulté')
    const history = await othersTab(p)
    expect(text(history, 'tbody')).toContain('Dr Karim Haddad')
    expect(history).not.toContain('Autre résultat retenu')
    expect(history).not.toContain('Nouvelle conversation dans la messagerie')
    expect(held).toBeTruthy()
  })

  it('un représentant perd l’accès le jour même des 18 ans (heure de Paris), sans attendre la tâche de nuit', async () => {
    const today = isoDate()
    const eighteenYearsAgo = `${Number(today.slice(0, 4)) - 18}${today.slice(4)}`
    const tomorrowEighteen = new Date(`${eighteenYearsAgo}T12:00:00Z`)
    tomorrowEighteen.setUTCDate(tomorrowEighteen.getUTCDate() + 1)
    // The day before: still a minor, Camille may open Léo's profile.
    await t
      .db('insured_persons')
      .where({ id: leoId })
      .update({ birth_date: isoDate(tomorrowEighteen) })
    expect((await submitForm(camille, '/changer-de-profil', { profil: leoId })).status).toBe(303)
    expect(text((await camille.get('/mon-espace')).text, 'h1')).toContain('Léo')
    expect((await camille.get('/documents')).text).toContain('Vaccination à jour')
    // Today is the 18th birthday: the very next request is back on her own profile, nothing of Léo's.
    await t.db('insured_persons').where({ id: leoId }).update({ birth_date: eighteenYearsAgo })
    expect(await t.db('representatives').where({ child_person_id: leoId }).whereNull('ended_at').first()).toBeDefined()
    const docs = await camille.get('/documents')
    expect(docs.status).toBe(200)
    expect(docs.text).not.toContain('Vaccination à jour')
    expect(text((await camille.get('/mon-espace')).text, 'h1')).toContain('Bonjour Camille')
    // The profile switcher no longer offers it, and a forged switch is refused.
    expect(text((await camille.get('/changer-de-profil')).text)).not.toContain('Léo')
    const switchPage = await camille.get('/changer-de-profil')
    const forged = await camille
      .post('/changer-de-profil')
      .type('form')
      .send({ _csrf: csrfOf(switchPage.text), profil: leoId })
    expect([403, 404]).toContain(forged.status)
    // The policy's facts: the same condition as the request's actor (one shared SQL condition).
    const account = await t.db('accounts').where({ login: CAMILLE.login }).first()
    const asRep: Actor = {
      accountId: account.id,
      kind: 'patient',
      displayName: 'Camille Martin',
      personId: camilleId,
      acting: { personId: leoId, as: 'representative', displayName: 'Léo Martin' },
    }
    expect((await t.services.access.loadFacts(t.db, asRep, leoId))!.relation).toEqual({ kind: 'none' })
    await expect(t.services.documents.list(asRep, leoId, { sort: 'date_desc' }, 1)).rejects.toMatchObject({ status: 403 })
    // The day before, the facts carried the child's age (17) to the policy.
    await t
      .db('insured_persons')
      .where({ id: leoId })
      .update({ birth_date: isoDate(tomorrowEighteen) })
    expect((await t.services.access.loadFacts(t.db, asRep, leoId))!.relation).toEqual({ kind: 'representative', childAge: 17 })
  })
})
