import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, PROS } from '../helpers/demo'
import { errorText, h1 } from '../helpers/lifecycle'
import { simplePdf } from '../../src/infrastructure/simplePdf'

const C = DEMO_PERSONS.camille
const camilleFields = (lastName = 'Martin') => ({
  nir: C.nir,
  'birthDate-day': '14',
  'birthDate-month': '3',
  'birthDate-year': '1968',
  lastName,
})

async function proAgent(t: TestApp, who: keyof typeof PROS): Promise<Agent> {
  const a = agent(t.app)
  await signIn(a, t.db, 'professional', PROS[who].login, PROS[who].password)
  return a
}

async function fileAsPro(a: Agent, fields: Record<string, string>, bytes: Buffer, name: string) {
  const page = await a.get('/pro/patient/deposer')
  const req = a.post('/pro/patient/deposer').field('_csrf', csrfOf(page.text))
  for (const [k, v] of Object.entries(fields)) req.field(k, v)
  return req.attach('file', bytes, name)
}

const docFields = { title: 'Résultat de biopsie', category: 'BIOLOGIE', 'date-day': '1', 'date-month': '11', 'date-year': '2026' }

describe('portail professionnel', () => {
  let t: TestApp
  let camilleId: string
  beforeAll(async () => {
    t = await createTestApp()
    camilleId = (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id
  })
  afterAll(async () => {
    await t.close()
  })

  it('finds a patient only with all three identifiers', async () => {
    const moreau = await proAgent(t, 'moreau')
    let r = await submitForm(moreau, '/pro/patient', camilleFields('Dupont'))
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'nir')).toContain('Aucun patient ne correspond à ces trois informations')
    r = await submitForm(moreau, '/pro/patient', { ...camilleFields(), 'birthDate-day': '15' })
    expect(r.status).toBe(400)
    r = await submitForm(moreau, '/pro/patient', { ...camilleFields(), lastName: '' })
    expect(errorText(r.text, 'lastName')).toContain('Saisissez le nom')
    expect(cheerio.load(r.text)('#nir').val()).toBe(C.nir)
    r = await submitForm(moreau, '/pro/patient', camilleFields('MARTIN'))
    expect(r.headers.location).toBe('/pro/patient/dossier')
    const page = await moreau.get('/pro/patient/dossier')
    expect(h1(page.text)).toBe('Camille Martin')
    expect(page.text).toContain('Le patient a donné son consentement')
    expect(page.text).not.toContain('Compte rendu de consultation')
  })

  it('consent: Julie Moreau joins the care team, sees documents per the matrix, never the masked one; Camille is told', async () => {
    const moreau = await proAgent(t, 'moreau')
    await submitForm(moreau, '/pro/patient', camilleFields())
    let r = await submitForm(moreau, '/pro/patient/dossier', {})
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'mode')).toBe('Choisissez comment vous accédez au profil')
    r = await submitForm(moreau, '/pro/patient/dossier', { mode: 'consentement' })
    expect(r.headers.location).toBe('/pro/patient/dossier')
    const page = await moreau.get('/pro/patient/dossier')
    const titles = cheerio
      .load(page.text)('tbody a')
      .map((_, e) => cheerio.load(e).text())
      .get()
    expect(titles).toContain('Ordonnance de renouvellement')
    expect(titles).not.toContain('Notes personnelles de suivi') // masked
    expect(titles).not.toContain('Carte de groupe sanguin') // DOC_ADM: not for pharmacists
    const mail = await t.db('outbox').where({ recipient: C.email, kind: 'professional-access' }).first()
    expect(mail.body).not.toMatch(/Moreau|pharmac/i)
    const masked = await t.db('documents').where({ person_id: camilleId, masked: true }).first()
    const adm = await t.db('documents').where({ person_id: camilleId, category: 'DOC_ADM' }).first()
    for (const d of [masked, adm]) {
      expect((await moreau.get(`/pro/patient/documents/${d.id}`)).status).toBe(404)
      expect((await moreau.get(`/pro/patient/documents/${d.id}/telecharger`)).status).toBe(404)
    }
    expect(
      await t.db('activity_log').where({ subject_person_id: camilleId, action: 'careteam.consent', actor_role: 'professional' }).first(),
    ).toBeDefined()
  })

  it('Dr Bernard (médecin traitant) sees the masked document and downloads it (logged)', async () => {
    const bernard = await proAgent(t, 'bernard')
    await submitForm(bernard, '/pro/patient', camilleFields())
    const page = await bernard.get('/pro/patient/dossier')
    expect(page.text).toContain('Notes personnelles de suivi')
    const masked = await t.db('documents').where({ person_id: camilleId, masked: true }).first()
    const dl = await bernard.get(`/pro/patient/documents/${masked.id}/telecharger`)
    expect(dl.status).toBe(200)
    expect(dl.headers['x-content-type-options']).toBe('nosniff')
    expect(
      await t.db('activity_log').where({ object_id: masked.id, action: 'document.download', actor_role: 'professional' }).first(),
    ).toBeDefined()
  })

  it('Dr Petit (blocked) is refused with a clear reason but may still file a document', async () => {
    const petit = await proAgent(t, 'petit')
    await submitForm(petit, '/pro/patient', camilleFields())
    const page = await petit.get('/pro/patient/dossier')
    expect(page.text).toContain('Ce patient vous a bloqué')
    expect(page.text).not.toContain('Le patient a donné son consentement')
    const res = await petit
      .post('/pro/patient/acces')
      .type('form')
      .send({ _csrf: csrfOf(page.text), mode: 'consentement' })
    expect(res.status).toBe(403)
    expect(
      await t
        .db('patient_professionals')
        .where({ person_id: camilleId, professional_id: (await t.db('professionals').where({ rpps: '10100045672' }).first()).id })
        .first(),
    ).toMatchObject({ consent_at: null })
    const r = await fileAsPro(petit, { ...docFields, title: 'Radio thorax' }, simplePdf(['Radio']), 'radio.pdf')
    expect(r.status).toBe(303)
  })

  it('a professional with an old session is refused at once after being blocked', async () => {
    const haddad = await proAgent(t, 'haddad')
    await submitForm(haddad, '/pro/patient', camilleFields())
    let page = await haddad.get('/pro/patient/dossier')
    expect(page.text).toContain('Compte rendu de consultation de cardiologie')
    const doc = await t.db('documents').where({ person_id: camilleId, title: 'Ordonnance de renouvellement' }).first()
    expect((await haddad.get(`/pro/patient/documents/${doc.id}`)).status).toBe(200)
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const haddadId = (await t.db('professionals').where({ rpps: '10100023455' }).first()).id
    await submitForm(camille, '/mes-professionnels', {}, `/mes-professionnels/${haddadId}/bloquer`)
    page = await haddad.get('/pro/patient/dossier')
    expect(page.text).toContain('Ce patient vous a bloqué')
    expect(page.text).not.toContain('Compte rendu de consultation de cardiologie')
    expect((await haddad.get(`/pro/patient/documents/${doc.id}`)).status).toBe(404)
    expect((await haddad.get(`/pro/patient/documents/${doc.id}/telecharger`)).status).toBe(404)
    // Unblocked: consent must be declared again.
    await submitForm(camille, '/mes-professionnels', {}, `/mes-professionnels/${haddadId}/debloquer`)
    page = await haddad.get('/pro/patient/dossier')
    expect(page.text).toContain('Le patient a donné son consentement')
  })

  it('emergency access: reason required, e-mailed, highlighted; masked only if allowed; refused when switched off', async () => {
    // Dr Haddad was unblocked in the previous test and has not declared consent again.
    const haddad = await proAgent(t, 'haddad')
    await submitForm(haddad, '/pro/patient', camilleFields())
    let r = await submitForm(haddad, '/pro/patient/dossier', { mode: 'urgence', reason: '' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'reason')).toBe("Saisissez le motif de l'accès en urgence")
    r = await submitForm(haddad, '/pro/patient/dossier', { mode: 'urgence', reason: 'Patiente inconsciente aux urgences' })
    expect(r.status).toBe(303)
    const page = await haddad.get('/pro/patient/dossier')
    expect(page.text).toContain('Compte rendu de consultation de cardiologie')
    expect(page.text).not.toContain('Notes personnelles de suivi')
    const mail = await t.db('outbox').where({ recipient: C.email, kind: 'emergency-access' }).first()
    expect(mail.body).not.toContain('inconsciente')
    const row = await t.db('activity_log').where({ subject_person_id: camilleId, action: 'emergency.access' }).first()
    expect(row.emergency).toBe(true)
    expect(JSON.stringify(row.details ?? {})).not.toContain('inconsciente')
    // Reads during the emergency are highlighted too.
    expect(
      await t.db('activity_log').where({ subject_person_id: camilleId, action: 'document.list', emergency: true }).first(),
    ).toBeDefined()
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const hist = await camille.get('/historique?onglet=autres&urgence=oui')
    expect(cheerio.load(hist.text)('tr.mes-urgence').length).toBeGreaterThan(0)
    // The patient allows masked documents in an emergency: now visible.
    await submitForm(camille, '/mes-professionnels', { urgence: ['ETREAT', 'BTG', 'MASKED'] }, '/mes-professionnels/urgence')
    expect((await haddad.get('/pro/patient/dossier')).text).toContain('Notes personnelles de suivi')
    // She switches «bris de glace» off: the access ends at the next request.
    await submitForm(camille, '/mes-professionnels', { urgence: ['ETREAT'] }, '/mes-professionnels/urgence')
    const after = await haddad.get('/pro/patient/dossier')
    expect(after.text).not.toContain('Compte rendu de consultation de cardiologie')
    expect(cheerio.load(after.text)('main').text()).toContain("Ce patient n'autorise pas l'accès en urgence")
  })

  it('consultation d’annonce: hidden from the patient until released; the daily job reminds at 2 weeks and releases at 1 month', async () => {
    const bernard = await proAgent(t, 'bernard')
    await submitForm(bernard, '/pro/patient', camilleFields())
    const r = await fileAsPro(bernard, { ...docFields, held: 'oui' }, simplePdf(['Biopsie']), 'biopsie.pdf')
    expect(r.status).toBe(303)
    const doc = await t.db('documents').where({ person_id: camilleId, title: 'Résultat de biopsie' }).first()
    expect(doc.held_until).not.toBeNull()
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    expect((await camille.get('/documents')).text).not.toContain('Résultat de biopsie')
    expect((await camille.get(`/documents/${doc.id}`)).status).toBe(404)
    expect((await camille.get(`/documents/${doc.id}/telecharger`)).status).toBe(404)
    expect(await t.db('outbox').where({ recipient: C.email, kind: 'new-document' }).where('id', '>', 0).count({ n: '*' })).toBeDefined()
    // Two weeks later: a reminder; a month later: released.
    const { proPortal } = t.services
    await t
      .db('documents')
      .where({ id: doc.id })
      .update({ created_at: new Date(Date.now() - 15 * 86400000) })
    expect(await proPortal.processHeldDocuments()).toEqual({ reminded: 1, released: 0 })
    expect((await t.db('outbox').where({ recipient: C.email, kind: 'held-document-reminder' }).first()).body).not.toContain('biopsie')
    expect(await proPortal.processHeldDocuments()).toEqual({ reminded: 0, released: 0 })
    expect(await proPortal.processHeldDocuments(new Date(Date.now() + 31 * 86400000))).toEqual({ reminded: 0, released: 1 })
    expect((await camille.get(`/documents/${doc.id}`)).status).toBe(200)
  })

  it('the author releases a held result early', async () => {
    const bernard = await proAgent(t, 'bernard')
    await submitForm(bernard, '/pro/patient', camilleFields())
    await fileAsPro(bernard, { ...docFields, title: 'Scanner à annoncer', held: 'oui' }, simplePdf(['Scanner']), 'scanner.pdf')
    const doc = await t.db('documents').where({ person_id: camilleId, title: 'Scanner à annoncer' }).first()
    const r = await submitForm(bernard, `/pro/patient/documents/${doc.id}`, {}, `/pro/patient/documents/${doc.id}/rendre-visible`)
    expect(r.status).toBe(303)
    expect((await t.db('documents').where({ id: doc.id }).first()).held_released_at).not.toBeNull()
  })

  it('a held result of another patient than the one opened: 404, checked before the change, nothing released nor logged', async () => {
    const bernard = await proAgent(t, 'bernard')
    await submitForm(bernard, '/pro/patient', camilleFields())
    await fileAsPro(bernard, { ...docFields, title: 'Biopsie à annoncer', held: 'oui' }, simplePdf(['Biopsie']), 'biopsie.pdf')
    const doc = await t.db('documents').where({ person_id: camilleId, title: 'Biopsie à annoncer' }).first()
    const page = await bernard.get(`/pro/patient/documents/${doc.id}`)
    // Bernard now opens Léo's profile, then posts the release of Camille's result from the old page.
    const L = DEMO_PERSONS.leo
    await submitForm(bernard, '/pro/patient', {
      nir: L.nir,
      'birthDate-day': '2',
      'birthDate-month': '6',
      'birthDate-year': '2015',
      lastName: 'Martin',
    })
    const r = await bernard
      .post(`/pro/patient/documents/${doc.id}/rendre-visible`)
      .type('form')
      .send({ _csrf: csrfOf(page.text) })
    expect(r.status).toBe(404)
    expect((await t.db('documents').where({ id: doc.id }).first()).held_released_at).toBeNull()
    expect(await t.db('activity_log').where({ object_id: doc.id, action: 'document.release' })).toEqual([])
    // Opened again, Camille's profile lets him release it.
    await submitForm(bernard, '/pro/patient', camilleFields())
    expect(
      (
        await bernard
          .post(`/pro/patient/documents/${doc.id}/rendre-visible`)
          .type('form')
          .send({ _csrf: csrfOf(page.text) })
      ).status,
    ).toBe(303)
    expect((await t.db('documents').where({ id: doc.id }).first()).held_released_at).not.toBeNull()
  })

  it('«invisible aux représentants légaux»: never shown to Camille on Léo’s profile, by any path', async () => {
    const bernard = await proAgent(t, 'bernard')
    const L = DEMO_PERSONS.leo
    await submitForm(bernard, '/pro/patient', {
      nir: L.nir,
      'birthDate-day': '2',
      'birthDate-month': '6',
      'birthDate-year': '2015',
      lastName: 'Martin',
    })
    const r = await fileAsPro(
      bernard,
      { ...docFields, title: 'Consultation confidentielle', category: 'CPT_REND', invisible: 'oui' },
      simplePdf(['Confidentiel']),
      'c.pdf',
    )
    expect(r.status).toBe(303)
    const doc = await t.db('documents').where({ title: 'Consultation confidentielle' }).first()
    expect(doc.invisible_to_representatives).toBe(true)
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const leoId = (await t.db('insured_persons').where({ nir: L.nir }).first()).id
    await submitForm(camille, '/changer-de-profil', { profil: leoId })
    const list = await camille.get('/documents')
    expect(list.text).toContain('Examen de santé des 9 ans')
    expect(list.text).not.toContain('Consultation confidentielle')
    for (const p of ['', '/telecharger', '/apercu']) expect((await camille.get(`/documents/${doc.id}${p}`)).status).toBe(404)
    const res = await camille
      .post(`/documents/${doc.id}/masquer`)
      .type('form')
      .send({ _csrf: csrfOf(list.text) })
    expect(res.status).toBe(404)
  })

  it('IDOR: a professional cannot open a document of another patient through the current patient’s pages', async () => {
    const bernard = await proAgent(t, 'bernard')
    await submitForm(bernard, '/pro/patient', camilleFields())
    const leoDoc = await t
      .db('documents as d')
      .join('insured_persons as p', 'p.id', 'd.person_id')
      .where('p.first_names', 'Léo')
      .first('d.id')
    expect((await bernard.get(`/pro/patient/documents/${leoDoc.id}`)).status).toBe(404)
    expect((await bernard.get(`/pro/patient/documents/${leoDoc.id}/telecharger`)).status).toBe(404)
    // Without having found a patient, nothing.
    const moreau = await proAgent(t, 'moreau')
    expect((await moreau.get('/pro/patient/dossier')).status).toBe(404)
  })

  it('the activity log still verifies (append-only, hash chain intact) after all these journeys', async () => {
    const r = await t.services.activity.verify()
    expect(r.ok).toBe(true)
    expect(r.rows).toBeGreaterThan(20)
    // The application's role may not rewrite it (issue 15 §5: privileges, not only the trigger).
    await expect(t.db('activity_log').where({ subject_person_id: camilleId }).update({ action: 'x' })).rejects.toThrow(/permission denied/)
  })
})
