import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, LOUIS, NADIA, PROS } from '../helpers/demo'
import { errorText, h1 } from '../helpers/lifecycle'
import { mainText } from '../helpers/backoffice'

jest.setTimeout(90_000)

const C = DEMO_PERSONS.camille
const camilleFields = { nir: C.nir, 'birthDate-day': '14', 'birthDate-month': '3', 'birthDate-year': '1968', lastName: 'Martin' }
const ALL = [
  'SYNTHESE',
  'ORD_SOIN',
  'RADIO_SC',
  'BIOLOGIE',
  'CPT_REND',
  'DEPISTAG',
  'CERT_MED',
  'DOC_ADM',
  'AUTR_DOC',
  'SYNTH_PML',
  'DIR_ANT',
  'QUEST_SANTE',
  'CAR_VAC',
  'REMB',
]
const PHARMACIEN_DEFAULT = ALL.filter((c) => !['DIR_ANT', 'QUEST_SANTE', 'CERT_MED', 'DOC_ADM', 'REMB'].includes(c))

describe("back-office : matrice d'accès et catalogue de services", () => {
  let t: TestApp
  let op: Agent
  let camilleId: string
  beforeAll(async () => {
    t = await createTestApp()
    op = agent(t.app)
    await signIn(op, t.db, 'operator', LOUIS.login, LOUIS.password)
    camilleId = (await t.db('insured_persons').where({ nir: C.nir }).first()).id
  })
  afterAll(async () => {
    await t.close()
  })

  const matrixOf = async (profession: string) =>
    (await t.db('access_matrix').where({ profession, can_read: true }).orderBy('category')).map((r) => r.category as string).sort()

  it('réservé aux opérateurs : patient, professionnel, conseiller France Services refusés (403), sans session retour à la connexion', async () => {
    const service = await t.db('catalogue_services').where({ slug: 'appfine' }).first()
    const urls = [
      '/back-office/matrice-acces',
      '/back-office/matrice-acces/PHARMACIEN',
      '/back-office/catalogue',
      '/back-office/catalogue/nouveau',
      `/back-office/catalogue/${service.id}`,
      `/back-office/catalogue/${service.id}/modifier`,
    ]
    const anonymous = await agent(t.app).get('/back-office/matrice-acces')
    expect([anonymous.status, anonymous.headers.location]).toEqual([303, '/back-office/connexion'])
    const others: ['patient' | 'professional' | 'agent', string, string][] = [
      ['patient', CAMILLE.login, CAMILLE.password],
      ['professional', PROS.bernard.login, PROS.bernard.password],
      ['agent', NADIA.login, NADIA.password],
    ]
    for (const [kind, login, password] of others) {
      const a = agent(t.app)
      await signIn(a, t.db, kind, login, password)
      for (const url of urls) {
        const r = await a.get(url)
        expect([kind, url, r.status]).toEqual([kind, url, 403])
      }
    }
    // The services refuse too, whatever the route does (the access policy decides).
    const pro = { accountId: 'x', kind: 'professional' as const, displayName: 'X' }
    await expect(t.services.accessMatrix.update(pro, 'PHARMACIEN', ALL, 'essai')).rejects.toMatchObject({ status: 403 })
    await expect(t.services.catalogueAdmin.setStatus(pro, service.id, 'withdrawn')).rejects.toMatchObject({ status: 403 })
    expect(await matrixOf('PHARMACIEN')).toEqual([...PHARMACIEN_DEFAULT].sort())
    for (const url of urls) expect([url, (await op.get(url)).status]).toEqual([url, 200])
    expect((await op.get('/back-office/matrice-acces/INCONNUE')).status).toBe(404)
    expect((await op.get('/back-office/catalogue/pas-un-identifiant')).status).toBe(404)
    expect((await op.get('/back-office/catalogue/00000000-0000-4000-8000-000000000000')).status).toBe(404)
    const home = cheerio.load((await op.get('/back-office')).text)
    expect(home('main a[href="/back-office/matrice-acces"]').length).toBe(1)
    expect(home('main a[href="/back-office/catalogue"]').length).toBe(1)
  })

  it('la matrice est un tableau accessible : légende, en-têtes de colonnes et de lignes', async () => {
    const r = await op.get('/back-office/matrice-acces')
    expect(r.headers['cache-control']).toContain('no-store')
    const $ = cheerio.load(r.text)
    const table = $('table').first()
    expect(table.find('caption').text()).toContain('Catégories de documents consultables, par profession')
    expect(table.find('thead th[scope="col"]').length).toBe(ALL.length + 2)
    expect(
      table
        .find('tbody th[scope="row"]')
        .map((_i, e) => $(e).text())
        .get(),
    ).toEqual(['Médecin', 'Sage-femme', 'Pharmacien', 'Infirmier', 'Chirurgien-dentiste', 'Masseur-kinésithérapeute'])
    const pharmacien = table.find('tbody tr').filter((_i, e) => $(e).find('th').text() === 'Pharmacien')
    const headers = table
      .find('thead th')
      .map((_i, e) => $(e).text())
      .get()
    const cell = (label: string) =>
      pharmacien
        .find('td')
        .eq(headers.indexOf(label) - 1)
        .text()
    expect([cell('Pièces administratives'), cell('Ordonnances et soins')]).toEqual(['Non', 'Oui'])
  })

  it('une modification sans motif est refusée et ne change rien ; un pharmacien voit aussitôt la catégorie ouverte, et plus celle qui est fermée', async () => {
    const moreau = agent(t.app)
    await signIn(moreau, t.db, 'professional', PROS.moreau.login, PROS.moreau.password)
    await submitForm(moreau, '/pro/patient', camilleFields)
    expect((await submitForm(moreau, '/pro/patient/dossier', { mode: 'consentement' })).status).toBe(303)
    const adm = await t.db('documents').where({ person_id: camilleId, category: 'DOC_ADM', masked: false }).first()
    const ord = await t.db('documents').where({ person_id: camilleId, category: 'ORD_SOIN', masked: false }).first()
    expect((await moreau.get(`/pro/patient/documents/${adm.id}`)).status).toBe(404)
    expect((await moreau.get(`/pro/patient/documents/${ord.id}`)).status).toBe(200)

    // Bad input: error summary + message next to the field, nothing changed, nothing logged.
    const form = await op.get('/back-office/matrice-acces/PHARMACIEN')
    expect(h1(form.text)).toBe('Modifier les accès : Pharmacien')
    expect(
      cheerio
        .load(form.text)('input[name="categories[]"][checked]')
        .map((_i, e) => cheerio.load(form.text)(e).attr('value'))
        .get(),
    ).toEqual(PHARMACIEN_DEFAULT)
    let r = await submitForm(op, '/back-office/matrice-acces/PHARMACIEN', {
      'categories[]': [...PHARMACIEN_DEFAULT, 'DOC_ADM'],
      reason: '  ',
    })
    expect(r.status).toBe(400)
    expect(cheerio.load(r.text)('title').text()).toMatch(/^Erreur : /)
    expect(cheerio.load(r.text)('.govuk-error-summary a[href="#reason"]').text()).toBe('Saisissez le motif de la modification')
    expect(errorText(r.text, 'reason')).toBe('Saisissez le motif de la modification')
    // What was ticked stays ticked.
    expect(cheerio.load(r.text)('input[value="DOC_ADM"]').attr('checked')).toBeDefined()
    r = await submitForm(op, '/back-office/matrice-acces/PHARMACIEN', {
      'categories[]': [...PHARMACIEN_DEFAULT, 'PAS_UNE_CATEGORIE'],
      reason: 'Essai',
    })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'categories')).toBe('Choisissez parmi les catégories proposées')
    expect(await matrixOf('PHARMACIEN')).toEqual([...PHARMACIEN_DEFAULT].sort())
    expect(await t.db('activity_log').where({ action: 'access_matrix.updated' })).toHaveLength(0)

    // Open «Pièces administratives» to pharmacists: Julie Moreau sees the document at her next request.
    r = await submitForm(op, '/back-office/matrice-acces/PHARMACIEN', {
      'categories[]': [...PHARMACIEN_DEFAULT, 'DOC_ADM'],
      reason: 'Décision n° 2026-17',
    })
    expect([r.status, r.headers.location]).toEqual([303, '/back-office/matrice-acces'])
    expect((await moreau.get(`/pro/patient/documents/${adm.id}`)).status).toBe(200)
    const louis = await t.db('accounts').where({ login: LOUIS.login }).first()
    const row = await t.db('activity_log').where({ action: 'access_matrix.updated' }).first()
    expect(row).toMatchObject({
      actor_account_id: louis.id,
      actor_role: 'operator',
      actor_name: 'Louis Garnier',
      object_id: 'PHARMACIEN',
      subject_person_id: null,
    })
    expect(row.details).toMatchObject({
      profession: 'PHARMACIEN',
      added: ['DOC_ADM'],
      removed: [],
      before: PHARMACIEN_DEFAULT,
      reason: 'Décision n° 2026-17',
    })
    expect(row.details.after).toContain('DOC_ADM')
    const page = await op.get('/back-office/matrice-acces')
    expect(mainText(page.text)).toContain('Ajouté : Pièces administratives')
    expect(mainText(page.text)).toContain('Décision n° 2026-17')
    expect(mainText(page.text)).toContain("La matrice d'accès est enregistrée")

    // And the reverse: close «Ordonnances et soins»; the document disappears at once (404: she may not know it exists).
    r = await submitForm(op, '/back-office/matrice-acces/PHARMACIEN', {
      'categories[]': [...PHARMACIEN_DEFAULT, 'DOC_ADM'].filter((c) => c !== 'ORD_SOIN'),
      reason: 'Décision n° 2026-18',
    })
    expect(r.status).toBe(303)
    expect((await moreau.get(`/pro/patient/documents/${ord.id}`)).status).toBe(404)
    const dossier = await moreau.get('/pro/patient/dossier')
    expect(cheerio.load(dossier.text)(`a[href="/pro/patient/documents/${ord.id}"]`).length).toBe(0)
    expect(cheerio.load(dossier.text)(`a[href="/pro/patient/documents/${adm.id}"]`).length).toBe(1)
    expect(await t.db('activity_log').where({ action: 'access_matrix.updated' })).toHaveLength(2)

    // The same boxes again: nothing written, nothing logged.
    r = await submitForm(op, '/back-office/matrice-acces/PHARMACIEN', {
      'categories[]': [...PHARMACIEN_DEFAULT, 'DOC_ADM'].filter((c) => c !== 'ORD_SOIN'),
      reason: 'Rien',
    })
    expect(r.status).toBe(303)
    expect(await t.db('activity_log').where({ action: 'access_matrix.updated' })).toHaveLength(2)
  })

  it('catalogue : ajout avec erreurs en français, brouillon invisible des usagers, publication, modification qui demande un nouvel accord, retrait', async () => {
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const before = await t.db('catalogue_services').count({ n: '*' }).first()

    let r = await submitForm(op, '/back-office/catalogue/nouveau', {
      name: '',
      publisher: '',
      category: '',
      description: '',
      website: 'pas une adresse',
    })
    expect(r.status).toBe(400)
    const $ = cheerio.load(r.text)
    expect($('title').text()).toMatch(/^Erreur : /)
    expect(
      $('.govuk-error-summary li')
        .map((_i, e) => $(e).text().trim())
        .get(),
    ).toEqual([
      'Saisissez le nom',
      "Saisissez l'éditeur",
      'Choisissez la catégorie',
      'Décrivez le service',
      "Saisissez l'adresse du site sous la forme https://www.exemple.fr, ou laissez le champ vide",
      'Cochez les données',
    ])
    expect(errorText(r.text, 'requests')).toBe('Cochez les données')
    expect($('#website').val()).toBe('pas une adresse')
    r = await submitForm(op, '/back-office/catalogue/nouveau', {
      name: 'Vidal Ma Santé',
      publisher: 'X',
      category: 'suivi',
      description: 'Y',
      'requests[]': ['mesures:read'],
    })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'name')).toBe('Un service du catalogue porte déjà ce nom : choisissez un autre nom')
    r = await submitForm(op, '/back-office/catalogue/nouveau', {
      name: 'Z',
      publisher: 'X',
      category: 'suivi',
      description: 'Y',
      'requests[]': ['mesures:lire'],
    })
    expect(errorText(r.text, 'requests')).toBe('Choisissez parmi les données proposées')
    expect(await t.db('catalogue_services').count({ n: '*' }).first()).toEqual(before)

    r = await submitForm(op, '/back-office/catalogue/nouveau', {
      name: 'Tensio Suivi',
      publisher: 'Tensio SAS',
      category: 'suivi',
      description: 'Carnet de tension artérielle.',
      website: 'https://www.tensio.example.fr',
      'requests[]': ['mesures:write', 'mesures:read'],
    })
    expect(r.status).toBe(303)
    const id = r.headers.location.split('/').pop()!
    let s = await t.db('catalogue_services').where({ id }).first()
    expect(s).toMatchObject({ slug: 'tensio-suivi', status: 'draft', current_version: 1 })
    expect((await t.db('catalogue_service_versions').where({ service_id: id, version: 1 }).first()).requests).toEqual([
      { category: 'mesures', access: 'read' },
      { category: 'mesures', access: 'write' },
    ])
    expect(mainText((await camille.get('/catalogue')).text)).not.toContain('Tensio Suivi')
    expect((await camille.get('/catalogue/tensio-suivi')).status).toBe(404)

    r = await submitForm(op, `/back-office/catalogue/${id}`, {}, `/back-office/catalogue/${id}/publier`)
    expect(r.status).toBe(303)
    expect(mainText((await camille.get('/catalogue')).text)).toContain('Tensio Suivi')
    expect((await camille.get('/catalogue/tensio-suivi')).status).toBe(200)

    // Withings Health Mate, connected by Camille (mesures:write): the operator adds «consulter les mesures».
    const withings = await t.db('catalogue_services').where({ slug: 'withings-health-mate' }).first()
    const edit = await op.get(`/back-office/catalogue/${withings.id}/modifier`)
    const e$ = cheerio.load(edit.text)
    expect(e$('#name').val()).toBe('Withings Health Mate')
    expect(
      e$('input[name="requests[]"][checked]')
        .map((_i, x) => e$(x).attr('value'))
        .get(),
    ).toEqual(['mesures:write'])
    const fields = {
      name: 'Withings Health Mate',
      publisher: withings.publisher,
      category: withings.category,
      description: withings.description,
      website: withings.website,
    }
    r = await submitForm(op, `/back-office/catalogue/${withings.id}/modifier`, {
      ...fields,
      description: '',
      'requests[]': ['mesures:write', 'mesures:read'],
    })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'description')).toBe('Décrivez le service')
    expect((await t.db('catalogue_services').where({ id: withings.id }).first()).current_version).toBe(1)
    r = await submitForm(op, `/back-office/catalogue/${withings.id}/modifier`, {
      ...fields,
      'requests[]': ['mesures:write', 'mesures:read'],
    })
    expect(r.status).toBe(303)
    expect((await t.db('catalogue_services').where({ id: withings.id }).first()).current_version).toBe(2)
    expect(await t.services.catalogue.grantedCategories(camilleId, withings.id)).toEqual([{ category: 'mesures', access: 'write' }])
    expect(mainText((await camille.get('/catalogue/withings-health-mate')).text)).toContain('Ce service demande de nouvelles autorisations')
    let log = await t.db('activity_log').where({ action: 'catalogue_service.updated', object_id: withings.id }).first()
    expect(log).toMatchObject({ actor_role: 'operator', subject_person_id: null })
    expect(log.details).toMatchObject({
      service: 'Withings Health Mate',
      version: 2,
      changes: { requests: { from: ['mesures:write'], to: ['mesures:read', 'mesures:write'] } },
    })

    // Only the description: no new version.
    r = await submitForm(op, `/back-office/catalogue/${withings.id}/modifier`, {
      ...fields,
      description: 'Balances et montres connectées.',
      'requests[]': ['mesures:write', 'mesures:read'],
    })
    expect(r.status).toBe(303)
    s = await t.db('catalogue_services').where({ id: withings.id }).first()
    expect([s.current_version, s.description]).toEqual([2, 'Balances et montres connectées.'])
    expect(mainText((await op.get(`/back-office/catalogue/${withings.id}`)).text)).toContain('Service modifié : description')

    // Withdrawn: gone from the catalogue, no access any more; Camille still reaches its page to disconnect it.
    r = await submitForm(op, `/back-office/catalogue/${withings.id}`, {}, `/back-office/catalogue/${withings.id}/retirer`)
    expect(r.status).toBe(303)
    expect(await t.services.catalogue.grantedCategories(camilleId, withings.id)).toEqual([])
    expect(mainText((await camille.get('/catalogue?q=Withings')).text)).not.toContain('Balances et montres connectées')
    const page = await camille.get('/catalogue/withings-health-mate')
    expect(mainText(page.text)).toContain('Ce service a été retiré du catalogue')
    expect((await submitForm(camille, '/catalogue/withings-health-mate/desynchroniser', { confirm: 'oui' })).status).toBe(303)
    log = await t.db('activity_log').where({ action: 'catalogue_service.withdrawn', object_id: withings.id }).first()
    expect(log.details).toMatchObject({ from: 'published', to: 'withdrawn' })
    const actions = (await t.db('activity_log').where('action', 'like', 'catalogue_service.%').orderBy('id')).map((x) => x.action)
    expect(actions).toEqual([
      'catalogue_service.created',
      'catalogue_service.published',
      'catalogue_service.updated',
      'catalogue_service.updated',
      'catalogue_service.withdrawn',
    ])
    const list = await op.get('/back-office/catalogue')
    expect(mainText(list.text)).toContain('Retiré du catalogue')
    expect(mainText(list.text)).toContain('Service ajouté (brouillon)')
  })
})
