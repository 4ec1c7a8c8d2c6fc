import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, LOUIS, NADIA, PROS } from '../helpers/demo'
import { createAccount, dateFields, errorText, h1 } from '../helpers/lifecycle'
import { isoDate } from '../../src/domain/parisTime'
import { eventually } from '../helpers/objects'

const title = (html: string) => cheerio.load(html)('title').text().trim()
const summary = (html: string) => cheerio.load(html)('.govuk-error-summary').text().replace(/\s+/g, ' ')

describe('profil médical', () => {
  let t: TestApp
  let camille: Agent
  let camilleId: string
  let leoId: string
  const today = isoDate()

  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    camilleId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()).id
    leoId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
  })
  afterAll(async () => {
    await t.close()
  })

  const activity = (action: string, subject: string) =>
    t.db('activity_log').where({ action, subject_person_id: subject }).orderBy('id', 'desc')

  it("l'accueil du profil montre chaque rubrique, la dernière mesure et sa date, l'IMC, et n'est pas mis en cache", async () => {
    const r = await camille.get('/profil-medical')
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toContain('no-store')
    const $ = cheerio.load(r.text)
    expect($('h1').text()).toBe('Profil médical')
    const text = $('main').text().replace(/\s+/g, ' ')
    for (const s of [
      'Maladies et sujets de santé',
      'Traitements',
      'Allergies',
      'Antécédents familiaux',
      'Hospitalisations',
      'Handicaps',
      'Groupe sanguin',
      'Vaccinations',
      'Habitudes de vie',
      'Personne de confiance',
      'Don d’organes',
      'Directives anticipées',
    ]) {
      expect(text).toContain(s)
    }
    expect(text).toContain('Hypertension artérielle')
    expect(text).toContain('A+')
    expect(text).toMatch(/Poids 63,1 kg, le \d{1,2}(er)? \w+ \d{4}/)
    expect(text).toContain('124/79 mmHg')
    expect(text).toContain('23,2 – Corpulence normale') // 63.1 / 1.65²
    expect(text).toContain('Thomas Martin')
    expect($('a[href="/profil-medical/vaccinations"]').length).toBe(1)
    expect($('.govuk-service-navigation a[href="/profil-medical"]').text()).toContain('Profil médical')
  })

  it('allergies : ajouter, modifier, supprimer, chacune dans une transaction avec sa ligne d’historique', async () => {
    let r = await submitForm(camille, '/profil-medical/allergies/ajouter', {
      label: 'Arachide',
      detail: 'Gonflement des lèvres',
      ...dateFields('2020-04-01', 'start'),
    })
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/profil-medical/allergies')
    const row = await t.db('profile_entries').where({ person_id: camilleId, section: 'allergies', label: 'Arachide' }).first()
    expect(row.start_date).toBe('2020-04-01')
    expect((await activity('profile.entry.add', camilleId)).map((a) => a.object_id)).toContain(row.id)
    let page = await camille.get('/profil-medical/allergies')
    expect(page.text).toContain('Arachide')
    expect(page.text).toContain('Gonflement des lèvres')

    r = await submitForm(camille, `/profil-medical/allergies/${row.id}/modifier`, {
      label: 'Arachide et noix de cajou',
      detail: '',
      'start-day': '',
      'start-month': '',
      'start-year': '',
    })
    expect(r.status).toBe(303)
    const changed = await t.db('profile_entries').where({ id: row.id }).first()
    expect(changed).toMatchObject({ label: 'Arachide et noix de cajou', detail: null, start_date: null })
    expect((await activity('profile.entry.update', camilleId))[0].object_id).toBe(row.id)

    page = await camille.get(`/profil-medical/allergies/${row.id}/supprimer`)
    expect(h1(page.text)).toContain('Supprimer « Arachide et noix de cajou »')
    r = await submitForm(camille, `/profil-medical/allergies/${row.id}/supprimer`, {})
    expect(r.status).toBe(303)
    expect(await t.db('profile_entries').where({ id: row.id }).first()).toBeUndefined()
    expect((await activity('profile.entry.delete', camilleId))[0].object_id).toBe(row.id)
  })

  it('une saisie invalide : résumé des erreurs, message sous le champ, titre « Erreur : », saisie conservée, rien enregistré', async () => {
    const before = await t.db('profile_entries').where({ person_id: camilleId }).count('* as n').first()
    const r = await submitForm(camille, '/profil-medical/traitements/ajouter', {
      label: '  ',
      detail: 'Le soir',
      ...dateFields('2031-02-30', 'start'),
      'end-day': '1',
      'end-month': '1',
      'end-year': '2020',
    })
    expect(r.status).toBe(400)
    expect(title(r.text)).toMatch(/^Erreur : Ajouter un traitement/)
    expect(summary(r.text)).toContain('Saisissez le nom du médicament ou du traitement')
    expect(errorText(r.text, 'label')).toBe('Saisissez le nom du médicament ou du traitement')
    expect(errorText(r.text, 'start')).toContain('doit être une vraie date')
    const $ = cheerio.load(r.text)
    expect($('#detail').text()).toBe('Le soir')
    expect($('#start-day').val()).toBe('30')
    expect($('#end-year').val()).toBe('2020')
    const after = await t.db('profile_entries').where({ person_id: camilleId }).count('* as n').first()
    expect(after).toEqual(before)
  })

  it('refuse un élément d’un autre profil (404) et une rubrique inconnue (404)', async () => {
    const other = await createAccount(t.db)
    const [row] = await t.db('profile_entries').insert({ person_id: other.id, section: 'allergies', label: 'Latex' }).returning('id')
    expect((await camille.get(`/profil-medical/allergies/${row.id}/modifier`)).status).toBe(404)
    expect((await camille.get(`/profil-medical/traitements/${row.id}/modifier`)).status).toBe(404)
    expect((await camille.get('/profil-medical/allergies/pas-un-id/modifier')).status).toBe(404)
    expect((await camille.get('/profil-medical/rubrique-inconnue')).status).toBe(404)
    const page = await camille.get('/profil-medical/allergies')
    const token = cheerio.load(page.text)('input[name="_csrf"]').first().attr('value')
    const r = await camille.post(`/profil-medical/allergies/${row.id}/supprimer`).type('form').send({ _csrf: token })
    expect(r.status).toBe(404)
    expect(await t.db('profile_entries').where({ id: row.id }).first()).toBeDefined()
  })

  it('groupe sanguin et don d’organes : enregistrés, valeur inconnue refusée', async () => {
    let r = await submitForm(camille, '/profil-medical/groupe-sanguin', { bloodGroup: 'Z+' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'bloodGroup')).toContain('Choisissez votre groupe sanguin')
    expect((await t.db('profile_facts').where({ person_id: camilleId }).first()).blood_group).toBe('A+')
    r = await submitForm(camille, '/profil-medical/groupe-sanguin', { bloodGroup: 'O-' })
    expect(r.status).toBe(303)
    expect((await t.db('profile_facts').where({ person_id: camilleId }).first()).blood_group).toBe('O-')

    const page = await camille.get('/profil-medical/don-d-organes')
    expect(page.text).toContain('consentement présumé')
    r = await submitForm(camille, '/profil-medical/don-d-organes', {})
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'position')).toContain('Choisissez votre position')
    r = await submitForm(camille, '/profil-medical/don-d-organes', { position: 'refuse', note: 'Inscrite au registre' })
    expect(r.status).toBe(303)
    expect(await t.db('profile_facts').where({ person_id: camilleId }).first()).toMatchObject({
      organ_donation: 'refuse',
      organ_donation_note: 'Inscrite au registre',
    })
    expect((await activity('profile.organ_donation.set', camilleId)).length).toBe(1)
  })

  it('entourage : une seule personne de confiance, 3 contacts d’urgence au plus', async () => {
    let r = await camille.get('/profil-medical/entourage/personne-de-confiance/ajouter')
    r = await submitForm(camille, '/profil-medical/entourage/personne-de-confiance/ajouter', {
      name: 'Autre Personne',
      phone: '0600000000',
    })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'name')).toContain('Une personne de confiance est déjà désignée')
    r = await submitForm(camille, '/profil-medical/entourage/contact-urgence/ajouter', { name: 'Sans Moyen' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'phone')).toContain('Saisissez un numéro de téléphone ou une adresse électronique')
    expect(cheerio.load(r.text)('#name').val()).toBe('Sans Moyen')
    for (const name of ['Paul Martin', 'Anne Martin']) {
      r = await submitForm(camille, '/profil-medical/entourage/contact-urgence/ajouter', { name, phone: '06 12 34 56 78' })
      expect(r.status).toBe(303)
    }
    const page = await camille.get('/profil-medical/entourage')
    expect(cheerio.load(page.text)('a[href="/profil-medical/entourage/contact-urgence/ajouter"]').length).toBe(0)
    r = await submitForm(camille, '/profil-medical/entourage/contact-urgence/ajouter', { name: 'Quatrième Contact', phone: '0612345678' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'name')).toContain('déjà 3 contacts')
    expect(await t.db('profile_contacts').where({ person_id: camilleId, role: 'emergency' }).count('* as n').first()).toEqual({ n: 3 })
    const paul = await t.db('profile_contacts').where({ person_id: camilleId, name: 'Paul Martin' }).first()
    r = await submitForm(camille, `/profil-medical/entourage/${paul.id}/modifier`, {
      name: 'Paul Martin',
      relationship: 'Frère',
      phone: '0612345678',
      email: 'pas-une-adresse',
    })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'email')).toContain('adresse électronique valide')
    r = await submitForm(camille, `/profil-medical/entourage/${paul.id}/supprimer`, {})
    expect(r.status).toBe(303)
    expect(await t.db('profile_contacts').where({ id: paul.id }).first()).toBeUndefined()
  })

  it('mesures : 700 kg refusé, une mesure ajoutée apparaît dans le tableau et le graphique SVG', async () => {
    let r = await submitForm(camille, '/profil-medical/mesures/poids', { value: '700', ...dateFields(today, 'date') })
    expect(r.status).toBe(400)
    expect(title(r.text)).toMatch(/^Erreur : Poids/)
    expect(errorText(r.text, 'value')).toBe('La valeur doit être comprise entre 0,3 et 350 kg')
    expect(cheerio.load(r.text)('#value').val()).toBe('700')

    r = await submitForm(camille, '/profil-medical/mesures/poids', { value: '62,4', ...dateFields(today, 'date') })
    expect(r.status).toBe(303)
    const page = await camille.get('/profil-medical/mesures/poids')
    const $ = cheerio.load(page.text)
    expect($('#valeurs tbody tr').first().text()).toContain('62,4 kg')
    const svg = $('svg.mes-chart').first()
    expect(svg.attr('role')).toBe('img')
    expect(svg.find('title').text()).toBe('Poids : évolution')
    expect(svg.find('desc').text()).toContain('6 mesures')
    expect(svg.find('desc').text()).toContain('dernière valeur 62,4 kg')
    expect(svg.find('circle').length).toBe(6)
    expect($('svg.mes-chart').length).toBe(2) // weight and IMC
    expect((await activity('profile.measure.add', camilleId)).length).toBe(1)
  })

  it('mesures : tension systolique sous la diastolique, date future et date avant la naissance refusées', async () => {
    let r = await submitForm(camille, '/profil-medical/mesures/tension', { value: '80', value2: '120', ...dateFields(today, 'date') })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'value2')).toContain('plus petite que la pression systolique')
    r = await submitForm(camille, '/profil-medical/mesures/tension', { value: '120', value2: '80', ...dateFields('1960-01-01', 'date') })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'date')).toContain('antérieure à la date de naissance')
    r = await submitForm(camille, '/profil-medical/mesures/temperature', {
      value: 'chaud',
      'date-day': '31',
      'date-month': '2',
      'date-year': '2025',
    })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'value')).toContain('en chiffres')
    expect(errorText(r.text, 'date')).toContain('vraie date')
    expect(await t.db('measures').where({ person_id: camilleId, type: 'temperature' }).first()).toBeUndefined()
    // The head circumference is for children only.
    expect((await camille.get('/profil-medical/mesures/perimetre-cranien')).status).toBe(404)
    expect((await camille.get('/profil-medical/mesures/inconnue')).status).toBe(404)
  })

  it('mesures : suppression après confirmation', async () => {
    const m = await t.db('measures').where({ person_id: camilleId, type: 'tension' }).orderBy('measured_on').first()
    const page = await camille.get(`/profil-medical/mesures/tension/${m.id}/supprimer`)
    expect(h1(page.text)).toContain('Supprimer la mesure « Tension artérielle »')
    const r = await submitForm(camille, `/profil-medical/mesures/tension/${m.id}/supprimer`, {})
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/profil-medical/mesures/tension')
    expect(await t.db('measures').where({ id: m.id }).first()).toBeUndefined()
  })

  it('directives anticipées : formulaire en ligne, les nouvelles remplacent les anciennes', async () => {
    let r = await submitForm(camille, '/profil-medical/directives-anticipees', { situation: 'bonne-sante' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'maintien-en-vie')).toBe('Écrivez au moins un souhait')
    r = await submitForm(camille, '/profil-medical/directives-anticipees', {
      situation: 'bonne-sante',
      'maintien-en-vie': 'Je refuse la réanimation prolongée.',
    })
    expect(r.status).toBe(303)
    r = await submitForm(camille, '/profil-medical/directives-anticipees', {
      situation: 'bonne-sante',
      sedation: 'Je souhaite être soulagée.',
    })
    expect(r.status).toBe(303)
    const rows = await t.db('advance_directives').where({ person_id: camilleId }).orderBy('created_at')
    expect(rows).toHaveLength(2)
    expect(rows[0].replaced_at).not.toBeNull()
    expect(rows[1].replaced_at).toBeNull()
    expect(rows[1].answers).toEqual({ situation: 'bonne-sante', sedation: 'Je souhaite être soulagée.' })
    const page = cheerio.load((await camille.get('/profil-medical/directives-anticipees')).text)
    expect(page('#sedation').text()).toBe('Je souhaite être soulagée.')
    expect(page('#directives-actuelles').length).toBe(1)
    expect((await activity('profile.directives.replace', camilleId)).length).toBe(2)
    const doc = await t.db('documents').where({ id: rows[1].document_id }).first()
    expect(doc).toMatchObject({ category: 'DIR_ANT', title: 'Directives anticipées', person_id: camilleId })
    // The new directives replace the old ones in Documents too: one «Directives anticipées» document, the new one.
    expect(rows[0].document_id).not.toBeNull()
    expect(await t.db('documents').where({ id: rows[0].document_id }).first()).toBeUndefined()
    expect(await t.db('document_chunks').where({ document_id: rows[0].document_id }).first()).toBeUndefined()
    // Its bytes leave the object store once the change is committed.
    const oldObject = `documents/${rows[0].document_id}`
    expect(await eventually(async () => !(await t.services.documentStore.blobs.exists(oldObject)))).toBe(true)
    expect(await eventually(async () => (await t.db('object_removals').where({ object_key: oldObject })).length === 0)).toBe(true)
    expect(await t.services.documentStore.blobs.exists(`documents/${rows[1].document_id}`)).toBe(true)
    const dirDocs = await t.db('documents').where({ person_id: camilleId, category: 'DIR_ANT' })
    expect(dirDocs.map((d) => d.id)).toEqual([rows[1].document_id])
    const last = (await activity('profile.directives.replace', camilleId))[0]
    expect(last.details).toMatchObject({ replacedDocumentId: rows[0].document_id })
  })

  it('synthèse du profil médical : un PDF balisé, en français, avec un titre, classé dans Documents (SYNTH_PML)', async () => {
    const r = await submitForm(camille, '/profil-medical/synthese', {})
    expect(r.status).toBe(303)
    const doc = await t.db('documents').where({ person_id: camilleId, category: 'SYNTH_PML' }).orderBy('created_at', 'desc').first()
    expect(doc).toMatchObject({ title: 'Synthèse du profil médical', mime: 'application/pdf' })
    expect(r.headers.location).toBe(`/documents/${doc.id}`)
    const list = await camille.get('/documents')
    expect(list.text).toContain('Synthèse du profil médical')
    const file = await camille
      .get(`/documents/${doc.id}/telecharger`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => cb(null, Buffer.concat(chunks)))
      })
    expect(file.status).toBe(200)
    const pdf = (file.body as Buffer).toString('latin1')
    expect(pdf.startsWith('%PDF-1.7')).toBe(true)
    expect(pdf).toContain('/StructTreeRoot')
    expect(pdf).toContain('/Lang (fr-FR)')
    expect(pdf).toContain('/DisplayDocTitle true')
    expect(pdf).toContain('/Marked true')
    expect(pdf).toContain('/Font')
    expect(pdf).not.toContain('/Subtype /Image')
    expect((await activity('profile.synthesis', camilleId))[0].object_id).toBe(doc.id)
  })

  it('habitudes de vie : tabac et alcool proposés à Camille, enregistrés', async () => {
    const page = cheerio.load((await camille.get('/profil-medical/habitudes-de-vie')).text)
    expect(page('input[name="tabac"]').length).toBe(3)
    const r = await submitForm(camille, '/profil-medical/habitudes-de-vie', { tabac: 'ancien', alcool: 'parfois', 'sommeil-heures': '6-8' })
    expect(r.status).toBe(303)
    expect((await t.db('profile_facts').where({ person_id: camilleId }).first()).lifestyle).toEqual({
      tabac: 'ancien',
      alcool: 'parfois',
      'sommeil-heures': '6-8',
    })
  })

  it('Mon bilan prévention : pas proposé à 58 ans ; à 20 ans, brouillon puis finalisé en « Questionnaire santé »', async () => {
    expect(
      cheerio.load((await camille.get('/profil-medical/bilan-prevention')).text)('form[action="/profil-medical/bilan-prevention"]').length,
    ).toBe(0)
    const young = await createAccount(t.db, { birthDate: `${Number(today.slice(0, 4)) - 20}-01-01` })
    const a = agent(t.app)
    await signIn(a, t.db, 'patient', young.login, young.password)
    let r = await submitForm(a, '/profil-medical/bilan-prevention', { 'etat-general': 'bon', tabac: 'non', action: 'brouillon' })
    expect(r.status).toBe(303)
    let draft = await t.db('questionnaire_responses').where({ person_id: young.id, questionnaire: 'bilan-prevention' }).first()
    expect(draft).toMatchObject({ status: 'draft', version: '2026', answers: { 'etat-general': 'bon', tabac: 'non' } })
    const page = cheerio.load((await a.get('/profil-medical/bilan-prevention')).text)
    expect(page('input[name="tabac"][value="non"]').attr('checked')).toBeDefined()
    r = await submitForm(a, '/profil-medical/bilan-prevention', { 'etat-general': 'bon', tabac: 'non', action: 'finaliser' })
    expect(r.status).toBe(400)
    // Seven answers missing: a short summary (the h1 after it stays on a phone's first screen) that says how many
    // and leads to the first; each question keeps its own message.
    const errorPage = cheerio.load(r.text)
    expect(summary(r.text)).toContain('Il manque 7 réponses')
    expect(
      errorPage('.govuk-error-summary a')
        .map((_i, el) => errorPage(el).attr('href'))
        .get(),
    ).toEqual(['#suivi-medecin'])
    expect(errorPage('#suivi-medecin').attr('type')).toBe('radio')
    expect(errorPage('#vaccins-a-jour-error').text()).toContain('Répondez à la question « Pensez-vous être à jour de vos vaccins ? »')
    const all = {
      'etat-general': 'bon',
      'suivi-medecin': 'oui',
      'vaccins-a-jour': 'ne-sait-pas',
      tabac: 'non',
      alcool: 'non',
      activite: 'oui',
      sommeil: 'non',
      moral: 'non',
      isolement: 'non',
      sujets: 'Le sommeil',
    }
    r = await submitForm(a, '/profil-medical/bilan-prevention', { ...all, action: 'finaliser' })
    expect(r.status).toBe(303)
    draft = await t.db('questionnaire_responses').where({ id: draft.id }).first()
    expect(draft.status).toBe('final')
    expect(draft.finalised_at).not.toBeNull()
    const doc = await t.db('documents').where({ id: draft.document_id }).first()
    expect(doc).toMatchObject({ category: 'QUEST_SANTE', title: 'Questionnaire santé', person_id: young.id })
    expect(r.headers.location).toBe(`/documents/${doc.id}`)
  })

  describe('représentant légal sur le profil de Léo', () => {
    beforeAll(async () => {
      const page = await camille.get('/mon-espace')
      const token = cheerio.load(page.text)('form[action="/changer-de-profil"] input[name="_csrf"]').attr('value')!
      const r = await camille.post('/changer-de-profil').type('form').send({ _csrf: token, profil: leoId })
      expect(r.status).toBe(303)
    })

    it('voit et modifie le profil de Léo ; l’historique de Léo le dit', async () => {
      const home = await camille.get('/profil-medical')
      expect(home.text).toContain('Profil médical de Léo Martin')
      expect((await activity('profile.read', leoId))[0].actor_role).toBe('representative')
      const r = await submitForm(camille, '/profil-medical/allergies/ajouter', { label: 'Pollen de bouleau' })
      expect(r.status).toBe(303)
      expect(await t.db('profile_entries').where({ person_id: leoId, label: 'Pollen de bouleau' }).first()).toBeDefined()
      expect(await t.db('profile_entries').where({ person_id: camilleId, label: 'Pollen de bouleau' }).first()).toBeUndefined()
      expect((await activity('profile.entry.add', leoId))[0].actor_role).toBe('representative')
      // The head circumference is offered for a child.
      expect((await camille.get('/profil-medical/mesures/perimetre-cranien')).status).toBe(200)
    })

    it('les directives anticipées sont refusées pour un mineur', async () => {
      const page = await camille.get('/profil-medical/directives-anticipees')
      expect(page.text).toContain('réservées aux personnes majeures')
      expect(cheerio.load(page.text)('form[action="/profil-medical/directives-anticipees"]').length).toBe(0)
      const token = cheerio.load(page.text)('input[name="_csrf"]').first().attr('value')
      const r = await camille
        .post('/profil-medical/directives-anticipees')
        .type('form')
        .send({ _csrf: token, situation: 'bonne-sante', autres: 'x' })
      expect(r.status).toBe(403)
      expect(await t.db('advance_directives').where({ person_id: leoId }).first()).toBeUndefined()
    })

    it('pas de questions sur le tabac ni l’alcool à 11 ans', async () => {
      const page = cheerio.load((await camille.get('/profil-medical/habitudes-de-vie')).text)
      expect(page('input[name="tabac"]').length).toBe(0)
      expect(page('input[name="alcool"]').length).toBe(0)
      expect(page('input[name="sommeil-heures"]').length).toBe(3)
    })
  })

  it.each([
    ['professional', PROS.bernard.login, PROS.bernard.password],
    ['agent', NADIA.login, NADIA.password],
    ['operator', LOUIS.login, LOUIS.password],
  ] as const)('un compte %s est refusé (403) sur les pages du profil médical', async (kind, login, password) => {
    const a = agent(t.app)
    await signIn(a, t.db, kind, login, password)
    for (const url of [
      '/profil-medical',
      '/profil-medical/allergies',
      '/profil-medical/mesures/poids',
      '/profil-medical/directives-anticipees',
    ]) {
      const r = await a.get(url)
      expect(r.status).toBe(403)
      expect(r.text).not.toContain('Hypertension')
    }
  })

  it('sans connexion : renvoi vers la page de connexion', async () => {
    const r = await agent(t.app).get('/profil-medical/allergies')
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/connexion')
  })

  it('sans jeton CSRF : rien n’est enregistré', async () => {
    const r = await camille.post('/profil-medical/allergies/ajouter').type('form').send({ label: 'Sans jeton' })
    expect(r.status).toBe(403)
    expect(await t.db('profile_entries').where({ label: 'Sans jeton' }).first()).toBeUndefined()
  })
})
