import { DATA_CATEGORIES } from '../../src/domain/consent'
import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, LOUIS } from '../helpers/demo'
import { createAccount, errorText, h1 } from '../helpers/lifecycle'

const text = (html: string, sel = 'main') => cheerio.load(html)(sel).text().replace(/\s+/g, ' ').trim()

describe('catalogue de services', () => {
  let t: TestApp
  let camille: Agent
  let camilleId: string
  const serviceId = async (slug: string) => (await t.db('catalogue_services').where({ slug }).first()).id as string
  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    camilleId = (await t.db('insured_persons').where({ nir: CAMILLE.nir }).first()).id
  })
  afterAll(async () => {
    await t.close()
  })

  it('liste les 12 services, cherche par mot-clé et filtre par catégorie (formulaire GET)', async () => {
    let r = await camille.get('/catalogue')
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toContain('no-store')
    let $ = cheerio.load(r.text)
    expect($('main h3 a').length).toBe(12)
    expect($('main h2').text()).toContain('12 services')
    // Camille's connected services, one of which asks for more.
    expect(text(r.text)).toContain('Nouvelles autorisations demandées')
    r = await camille.get('/catalogue?q=glucose')
    $ = cheerio.load(r.text)
    expect(
      $('main h3 a')
        .map((_i, e) => $(e).text())
        .get(),
    ).toEqual(['FreeStyle LibreLink'])
    expect($('#q').attr('value')).toBe('glucose')
    r = await camille.get('/catalogue?categorie=medicaments')
    $ = cheerio.load(r.text)
    expect(
      $('main h3 a')
        .map((_i, e) => $(e).text())
        .get(),
    ).toEqual(['Mes médicaments chez moi', 'Vidal Ma santé'])
    expect($('#categorie option[selected]').attr('value')).toBe('medicaments')
    r = await camille.get('/catalogue?q=%25')
    expect(text(r.text)).toContain('Aucun service ne correspond à votre recherche')
    r = await camille.get('/catalogue?categorie=inconnue')
    expect(cheerio.load(r.text)('main h3 a').length).toBe(12)
  })

  it('connecter : rien de pré-coché, au moins une case, consentement daté avec sa version, historique, puis désynchroniser avec confirmation', async () => {
    const page = await camille.get('/catalogue/appfine')
    expect(h1(page.text)).toBe('Appfine')
    expect(text(page.text)).toContain('Appfine SAS')
    const form = await camille.get('/catalogue/appfine/connecter')
    const $ = cheerio.load(form.text)
    expect($('input[name="autorisations[]"]').length).toBe(4)
    expect($('input[name="autorisations[]"][checked]').length).toBe(0)

    let r = await submitForm(camille, '/catalogue/appfine/connecter', {})
    expect(r.status).toBe(400)
    expect(r.text).toContain('<title>Erreur : ')
    expect(errorText(r.text, 'autorisations')).toBe('Cochez au moins une autorisation pour connecter ce service')
    r = await submitForm(camille, '/catalogue/appfine/connecter', { 'autorisations[]': ['mesures:read', 'documents:write'] })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'autorisations')).toBe('Choisissez parmi les autorisations proposées')
    // Kept as ticked.
    expect(cheerio.load(r.text)('input[value="mesures:read"]').attr('checked')).toBeDefined()
    const id = await serviceId('appfine')
    expect(await t.db('service_connections').where({ person_id: camilleId, service_id: id })).toHaveLength(0)

    r = await submitForm(camille, '/catalogue/appfine/connecter', { 'autorisations[]': ['mesures:read', 'traitements:read'] })
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/catalogue/appfine')
    const c = await t.db('service_connections').where({ person_id: camilleId, service_id: id }).whereNull('ended_at').first()
    expect(c).toMatchObject({ version: 1, granted: ['traitements:read', 'mesures:read'] })
    expect(c.asked).toHaveLength(4)
    expect(await t.services.catalogue.grantedCategories(camilleId, id)).toEqual([
      { category: 'traitements', access: 'read' },
      { category: 'mesures', access: 'read' },
    ])
    const shown = await camille.get('/catalogue/appfine')
    expect(text(shown.text)).toContain('Le service est connecté à votre profil.')
    expect(text(shown.text)).toContain('Consulter : Traitements')
    expect(
      await t.db('activity_log').where({ subject_person_id: camilleId, action: 'service.connected', object_id: id }).first(),
    ).toMatchObject({ actor_role: 'patient' })

    // Changing the ticks: the form shows what was granted.
    const again = await camille.get('/catalogue/appfine/connecter')
    expect(
      cheerio
        .load(again.text)('input[name="autorisations[]"][checked]')
        .map((_i, e) => cheerio.load(again.text)(e).attr('value'))
        .get(),
    ).toEqual(['traitements:read', 'mesures:read'])

    // «Désynchroniser» asks first.
    r = await submitForm(camille, '/catalogue/appfine/desynchroniser', {})
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'confirm')).toContain('Choisissez « Oui »')
    expect(await t.services.catalogue.grantedCategories(camilleId, id)).toHaveLength(2)
    r = await submitForm(camille, '/catalogue/appfine/desynchroniser', { confirm: 'non' })
    expect(r.status).toBe(400)
    r = await submitForm(camille, '/catalogue/appfine/desynchroniser', { confirm: 'oui' })
    expect(r.status).toBe(303)
    expect(await t.services.catalogue.grantedCategories(camilleId, id)).toEqual([])
    expect(await t.db('service_connections').where({ person_id: camilleId, service_id: id }).whereNull('ended_at')).toHaveLength(0)
    expect(
      await t.db('activity_log').where({ subject_person_id: camilleId, action: 'service.disconnected', object_id: id }).first(),
    ).toBeDefined()
    const after = await camille.get('/catalogue/appfine')
    expect(cheerio.load(after.text)('a.govuk-button').text()).toContain('Connecter ce service')
  })

  it('un service qui demande plus doit obtenir un nouvel accord avant de recevoir les nouvelles catégories', async () => {
    const id = await serviceId('withings-health-mate')
    expect(await t.services.catalogue.grantedCategories(camilleId, id)).toEqual([{ category: 'mesures', access: 'write' }])
    await t.services.catalogue.publishRequests(id, [
      { category: 'mesures', access: 'write' },
      { category: 'mesures', access: 'read' },
    ])
    // Not granted yet; the old one still is.
    expect(await t.services.catalogue.grantedCategories(camilleId, id)).toEqual([{ category: 'mesures', access: 'write' }])
    const page = await camille.get('/catalogue/withings-health-mate')
    expect(text(page.text)).toContain('Ce service demande de nouvelles autorisations')
    const form = await camille.get('/catalogue/withings-health-mate/connecter')
    expect(h1(form.text)).toBe('Ce service demande de nouvelles autorisations')
    const $ = cheerio.load(form.text)
    expect($('input[value="mesures:read"]').attr('checked')).toBeUndefined()
    expect($('input[value="mesures:write"]').attr('checked')).toBeDefined()
    const r = await submitForm(camille, '/catalogue/withings-health-mate/connecter', {
      'autorisations[]': ['mesures:write', 'mesures:read'],
    })
    expect(r.status).toBe(303)
    expect(await t.services.catalogue.grantedCategories(camilleId, id)).toEqual([
      { category: 'mesures', access: 'write' },
      { category: 'mesures', access: 'read' },
    ])
    const rows = await t.db('service_connections').where({ person_id: camilleId, service_id: id }).orderBy('consented_at')
    expect(rows.map((x) => [x.version, x.ended_at === null])).toEqual([
      [1, false],
      [2, true],
    ])
    expect(
      await t.db('activity_log').where({ subject_person_id: camilleId, action: 'service.consent_updated', object_id: id }).first(),
    ).toBeDefined()
    expect(text((await camille.get('/catalogue/withings-health-mate')).text)).not.toContain('Ce service demande de nouvelles autorisations')
  })

  it('signaler un problème : erreurs en français, puis visible des opérateurs seulement', async () => {
    let r = await submitForm(camille, '/catalogue/mapatho/signaler', { message: 'x'.repeat(1001) })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'reason')).toBe('Choisissez le type de problème')
    expect(errorText(r.text, 'message')).toContain('1000 caractères au maximum')
    expect(cheerio.load(r.text)('#message').text()).toHaveLength(1001)
    r = await submitForm(camille, '/catalogue/mapatho/signaler', {
      reason: 'fonctionnement',
      message: "L'application ne se synchronise plus depuis hier.",
    })
    expect(r.status).toBe(303)
    const stored = await t.db('service_reports').where({ person_id: camilleId }).first()
    expect(stored).toMatchObject({ reason: 'fonctionnement' })
    expect((await camille.get('/back-office/signalements')).status).toBe(403)
    const louis = agent(t.app)
    await signIn(louis, t.db, 'operator', LOUIS.login, LOUIS.password)
    const list = await louis.get('/back-office/signalements')
    expect(list.status).toBe(200)
    expect(text(list.text)).toContain('Mapatho')
    expect(text(list.text)).toContain('Le service ne fonctionne pas')
    expect((await louis.get('/catalogue')).status).toBe(403)
  })

  it('un service inconnu donne 404 ; sans connexion on est renvoyé vers la connexion', async () => {
    expect((await camille.get('/catalogue/inconnu')).status).toBe(404)
    const anon = await agent(t.app).get('/catalogue')
    expect(anon.status).toBe(303)
    expect(anon.headers.location).toBe('/connexion')
  })

  it('tous les 90 jours, un courriel qui liste les services connectés (nom et éditeur, sans donnée de santé), selon les préférences', async () => {
    const now = new Date()
    const DAY = 24 * 3600 * 1000
    const sent = () => t.db('outbox').where({ recipient: CAMILLE.email, kind: 'connected-services' }).orderBy('id', 'desc')
    // Camille was reminded 30 days ago: nothing yet, nor on day 89.
    let r = await t.services.catalogue.remindConnected(now)
    expect(r.reminded).toBe(0)
    expect((await t.services.catalogue.remindConnected(new Date(now.getTime() + 59 * DAY))).reminded).toBe(0)
    const later = new Date(now.getTime() + 61 * DAY)
    r = await t.services.catalogue.remindConnected(later)
    expect(r.reminded).toBe(1)
    expect(await sent()).toHaveLength(1)
    const mail = (await sent())[0]
    expect(mail.subject).toBe('Vos services connectés à Mon espace santé')
    // The services by name and publisher, the links; nothing else.
    expect(mail.body).toContain('Ces 2 services sont connectés à votre profil Mon espace santé :')
    expect(mail.body).toContain('- Vidal Ma santé (Vidal)')
    expect(mail.body).toContain('- Withings Health Mate (Withings)')
    expect(mail.body).toMatch(/Mes autorisations : \S+\/mes-autorisations/)
    expect(mail.body).toMatch(/Catalogue de services : \S+\/catalogue/)
    expect(mail.body).not.toContain(CAMILLE.nir)
    expect(mail.body).not.toMatch(/\b[12]\s?\d{2}\s?\d{2}\s?\d{2}\s?\d{3}\s?\d{3}/)
    for (const label of Object.values(DATA_CATEGORIES)) expect(mail.body).not.toContain(label)
    expect(mail.body).not.toMatch(/mesures|documents|vaccin|traitement|allergie/i)
    // Once sent, not again the same day, nor 89 days later; again after 90 days.
    expect((await t.services.catalogue.remindConnected(later)).reminded).toBe(0)
    expect((await t.services.catalogue.remindConnected(new Date(later.getTime() + 89 * DAY))).reminded).toBe(0)
    expect(await sent()).toHaveLength(1)
    expect((await t.services.catalogue.remindConnected(new Date(later.getTime() + 90 * DAY))).reminded).toBe(1)
    expect(await sent()).toHaveLength(2)
    expect(
      await t.db('activity_log').where({
        subject_person_id: await t
          .db('insured_persons')
          .where({ nir: CAMILLE.nir })
          .first()
          .then((x) => x.id),
        action: 'service.reminder_sent',
      }),
    ).toHaveLength(2)

    // Someone who turned this notification off gets nothing.
    const p = await createAccount(t.db)
    await t
      .db('accounts')
      .where({ id: p.accountId })
      .update({ notification_prefs: JSON.stringify({ connected_services: false }) })
    const a = agent(t.app)
    await signIn(a, t.db, 'patient', p.login, p.password)
    await submitForm(a, '/catalogue/sante-fr/connecter', { 'autorisations[]': ['identite:read'] })
    const santeFr = await serviceId('sante-fr')
    expect(await t.services.catalogue.grantedCategories(p.id, santeFr)).toEqual([{ category: 'identite', access: 'read' }])
    const far = new Date(now.getTime() + 91 * DAY)
    r = await t.services.catalogue.remindConnected(far)
    expect(await t.db('outbox').where({ recipient: p.email, kind: 'connected-services' })).toHaveLength(0)
    expect(r.skipped).toBeGreaterThanOrEqual(1)
    // A closed space gives nothing to its services.
    await t.db('spaces').where({ person_id: p.id }).update({ state: 'closed' })
    expect(await t.services.catalogue.grantedCategories(p.id, santeFr)).toEqual([])
    expect(await t.services.catalogue.grantedCategories('pas-un-uuid', santeFr)).toEqual([])
  })
})
