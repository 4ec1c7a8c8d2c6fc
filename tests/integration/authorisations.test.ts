import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, LOUIS, PROS } from '../helpers/demo'
import { DEMO_PERSONS } from '../../src/seed/demo'
import { createAccount } from '../helpers/lifecycle'

const rowsOf = (html: string, heading: string) => {
  const $ = cheerio.load(html)
  const h = $('main h2')
    .filter((_i, e) => $(e).text().trim() === heading)
    .first()
  const list = h.nextUntil('h2', '.govuk-summary-list').first()
  return list
    .find('.govuk-summary-list__row')
    .map((_i, r) => ({
      key: $(r).find('.govuk-summary-list__key').text().replace(/\s+/g, ' ').trim(),
      value: $(r).find('.govuk-summary-list__value').text().replace(/\s+/g, ' ').trim(),
      link: $(r).find('.govuk-summary-list__actions a').attr('href'),
    }))
    .get() as { key: string; value: string; link?: string }[]
}

describe('mes autorisations', () => {
  let t: TestApp
  let camille: Agent
  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
  })
  afterAll(async () => {
    await t.close()
  })

  it('liste professionnels (accès calculé par la politique), bloqués, urgence, services connectés et remboursements, chacun avec son lien', async () => {
    const r = await camille.get('/mes-autorisations')
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toContain('no-store')
    const pros = rowsOf(r.text, 'Professionnels de santé')
    const bernard = pros.find((p) => p.key.startsWith('Dr Sophie Bernard'))!
    expect(bernard.value).toContain('Médecin traitant')
    expect(bernard.value).toContain('Administrateur')
    expect(bernard.value).toContain('y compris ceux que vous avez masqués')
    expect(bernard.value).toContain('Voit vos remboursements.')
    expect(bernard.link).toBe('/mes-professionnels')
    const haddad = pros.find((p) => p.key.startsWith('Dr Karim Haddad'))!
    expect(haddad.value).toContain('Équipe de soins')
    expect(haddad.value).toContain('documents non masqués')
    expect(pros.find((p) => p.key.includes('Petit'))).toBeUndefined()
    const blocked = rowsOf(r.text, 'Professionnels bloqués')
    expect(blocked).toHaveLength(1)
    expect(blocked[0].key).toContain('Dr Marc Petit')
    expect(blocked[0].value).toContain("N'a pas accès à votre profil : il peut seulement y déposer des documents")
    const emergency = rowsOf(r.text, 'Accès en urgence')
    expect(emergency.map((e) => e.value)).toEqual(['Autorisé', 'Autorisé', 'Non visibles'])
    const services = rowsOf(r.text, 'Services connectés')
    expect(services.map((s) => s.key)).toEqual(['Vidal Ma santé', 'Withings Health Mate'])
    expect(services[0].value).toContain('Nouvelles autorisations demandées')
    expect(services[1].link).toBe('/catalogue/withings-health-mate')
    expect(cheerio.load(r.text)('main').text()).toContain("Aucun représentant légal n'a accès à ce profil.")
  })

  it('suit les changements : remboursements masqués, service désynchronisé, accès d’un professionnel retiré', async () => {
    await submitForm(camille, '/remboursements', { masquer: 'oui' }, '/remboursements/visibilite')
    await submitForm(camille, '/catalogue/withings-health-mate/desynchroniser', { confirm: 'oui' })
    const camilleId = (await t.db('insured_persons').where({ nir: CAMILLE.nir }).first()).id
    const haddadId = (await t.db('professionals').where({ rpps: PROS.haddad.login }).first()).id
    await t
      .db('patient_professionals')
      .where({ person_id: camilleId, professional_id: haddadId })
      .update({ blocked_at: new Date(), consent_at: null })
    const r = await camille.get('/mes-autorisations')
    const bernard = rowsOf(r.text, 'Professionnels de santé').find((p) => p.key.startsWith('Dr Sophie Bernard'))!
    expect(bernard.value).toContain('Ne voit pas vos remboursements.')
    expect(rowsOf(r.text, 'Remboursements')[0].value).toBe('Masqués')
    expect(rowsOf(r.text, 'Services connectés').map((s) => s.key)).toEqual(['Vidal Ma santé'])
    const blocked = rowsOf(r.text, 'Professionnels bloqués').map((b) => b.key)
    expect(blocked).toHaveLength(2)
    expect(blocked[0].startsWith('Dr Karim Haddad')).toBe(true)
    expect(blocked[1].startsWith('Dr Marc Petit')).toBe(true)
    expect(rowsOf(r.text, 'Professionnels de santé').find((p) => p.key.includes('Haddad'))).toBeUndefined()
  })

  it('les aidants qui ont accès (ou vont l’avoir) sont listés avec leur état, leurs dates et le lien pour les gérer ; pas ceux dont la délégation a pris fin', async () => {
    const camilleId = (await t.db('insured_persons').where({ nir: CAMILLE.nir }).first()).id
    let r = await camille.get('/mes-autorisations')
    // The demo's carer of Camille (Hélène Faure, accepted 29 days ago).
    expect(rowsOf(r.text, 'Aidants').map((c) => [c.key, c.value.split(' – ')[0]])).toEqual([['Hélène Faure', 'Active']])
    expect(cheerio.load(r.text)('main a[href="/aidants"]').last().text()).toBe('Gérer mes aidants')
    const [paul, anne, eve] = await Promise.all(
      ['Paul', 'Anne', 'Eve'].map((first, i) => createAccount(t.db, { firstNames: first, lastName: `Aidantautorisation${'abc'[i]}` })),
    )
    await t.db('carers').insert([
      {
        person_id: camilleId,
        carer_person_id: paul.id,
        status: 'active',
        invitation_expires_at: new Date(),
        starts_on: '2026-01-01',
        ends_on: '2099-12-31',
        accepted_at: new Date(),
      },
      {
        person_id: camilleId,
        carer_person_id: anne.id,
        status: 'invited',
        invitation_expires_at: new Date(Date.now() + 7 * 24 * 3600 * 1000),
        starts_on: '2099-01-01',
      },
      {
        person_id: camilleId,
        carer_person_id: eve.id,
        status: 'revoked',
        invitation_expires_at: new Date(),
        starts_on: '2026-01-01',
        revoked_at: new Date(),
      },
    ])
    r = await camille.get('/mes-autorisations')
    const carers = rowsOf(r.text, 'Aidants')
    // An invitee is named only once they accept (SPEC §3: an invitation never reveals the invitee).
    expect(carers.map((c) => c.key).sort()).toEqual(['Hélène Faure', 'Invitation en attente de réponse', 'Paul Aidantautorisationa'])
    const p = carers.find((c) => c.key.startsWith('Paul'))!
    expect(p.value).toBe("Active – à partir du 1er janvier 2026, jusqu'au 31 décembre 2099")
    expect(p.link).toBe('/aidants')
    expect(carers.find((c) => c.key.startsWith('Invitation'))!.value).toContain('Invitation envoyée')
    expect(r.text).not.toContain('Aidantautorisationb')
  })

  it('sur le profil de Léo : ses représentants légaux ; refusé aux autres comptes', async () => {
    const leoId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
    const r0 = await submitForm(camille, '/changer-de-profil', { profil: leoId })
    expect(r0.status).toBe(303)
    const r = await camille.get('/mes-autorisations')
    expect(r.status).toBe(200)
    expect(cheerio.load(r.text)('main h1 + p').text()).toContain('au profil de Léo Martin')
    expect(rowsOf(r.text, 'Représentants légaux').map((x) => x.key)).toEqual(['Camille Martin'])
    expect(cheerio.load(r.text)(`a[href="/enfants/${leoId}/inviter"]`).length).toBe(1)
    const louis = agent(t.app)
    await signIn(louis, t.db, 'operator', LOUIS.login, LOUIS.password)
    expect((await louis.get('/mes-autorisations')).status).toBe(403)
  })
})
