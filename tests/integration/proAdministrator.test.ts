import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, PROS } from '../helpers/demo'
import { errorText, h1 } from '../helpers/lifecycle'

const C = DEMO_PERSONS.camille
const camilleFields = () => ({ nir: C.nir, 'birthDate-day': '14', 'birthDate-month': '3', 'birthDate-year': '1968', lastName: 'Martin' })

async function proAgent(t: TestApp, who: keyof typeof PROS): Promise<Agent> {
  const a = agent(t.app)
  await signIn(a, t.db, 'professional', PROS[who].login, PROS[who].password)
  return a
}

describe('portail professionnel : un administrateur bloque un autre professionnel', () => {
  let t: TestApp
  let camilleId: string
  beforeAll(async () => {
    t = await createTestApp()
    camilleId = (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id
  })
  afterAll(async () => {
    await t.close()
  })

  it('an «administrateur» (Dr Bernard) blocks another professional for the patient; others may not (SPEC §5)', async () => {
    const haddad = await proAgent(t, 'haddad')
    await submitForm(haddad, '/pro/patient', camilleFields())
    let page = await haddad.get('/pro/patient/dossier')
    expect(page.text).not.toContain('Bloquer un professionnel de santé')
    expect((await haddad.get('/pro/patient/bloquer')).status).toBe(403)
    expect(
      (
        await haddad
          .post('/pro/patient/bloquer')
          .type('form')
          .send({ _csrf: csrfOf(page.text), rpps: PROS.moreau.login, confirm: 'oui' })
      ).status,
    ).toBe(403)

    const bernard = await proAgent(t, 'bernard')
    await submitForm(bernard, '/pro/patient', camilleFields())
    page = await bernard.get('/pro/patient/dossier')
    expect(page.text).toContain('Bloquer un professionnel de santé pour ce patient')
    let r = await submitForm(bernard, '/pro/patient/bloquer', { rpps: '' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'rpps')).toBe('Saisissez le numéro RPPS du professionnel à bloquer')
    r = await submitForm(bernard, '/pro/patient/bloquer', { rpps: '10100099999' })
    expect(errorText(r.text, 'rpps')).toBe('Aucun professionnel de santé ne correspond à ce numéro RPPS')
    r = await submitForm(bernard, '/pro/patient/bloquer', { rpps: PROS.bernard.login })
    expect(errorText(r.text, 'rpps')).toBe('Vous ne pouvez pas vous bloquer vous-même')
    r = await submitForm(bernard, '/pro/patient/bloquer', { rpps: PROS.haddad.login })
    expect(r.status).toBe(200)
    expect(h1(r.text)).toBe('Confirmer le blocage')
    expect(r.text).toContain('Karim Haddad')
    // Nothing changed before the confirmation.
    expect((await haddad.get('/pro/patient/dossier')).text).not.toContain('Ce patient vous a bloqué')
    r = await bernard
      .post('/pro/patient/bloquer')
      .type('form')
      .send({ _csrf: csrfOf(r.text), rpps: PROS.haddad.login, confirm: 'oui' })
    expect(r.status).toBe(303)
    // Dr Haddad's old session loses access at once; the patient sees who blocked whom.
    page = await haddad.get('/pro/patient/dossier')
    expect(page.text).toContain('Ce patient vous a bloqué')
    expect(page.text).not.toContain('Documents que vous pouvez consulter')
    const haddadId = (await t.db('professionals').where({ rpps: PROS.haddad.login }).first()).id
    expect(await t.db('patient_professionals').where({ person_id: camilleId, professional_id: haddadId }).first()).toMatchObject({
      consent_at: null,
    })
    const log = await t.db('activity_log').where({ subject_person_id: camilleId, action: 'careteam.block' }).orderBy('id', 'desc').first()
    expect(log).toMatchObject({ actor_role: 'professional', object_id: PROS.haddad.login })
    // The patient unblocks (only the patient side may).
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    r = await submitForm(camille, '/mes-professionnels', {}, `/mes-professionnels/${haddadId}/debloquer`)
    expect(r.status).toBe(303)
    expect((await t.db('patient_professionals').where({ person_id: camilleId, professional_id: haddadId }).first()).blocked_at).toBeNull()
  })

  it('«administrateur» gives nothing without a declared consent; unblocking clears consent and administrator status (SPEC §5)', async () => {
    const moreauId = (await t.db('professionals').where({ rpps: PROS.moreau.login }).first()).id
    // Camille names Julie Moreau «administrateur» though she never declared Camille's consent.
    await t.db('patient_professionals').insert({ person_id: camilleId, professional_id: moreauId, listed: true, administrator: true })
    const moreau = await proAgent(t, 'moreau')
    await submitForm(moreau, '/pro/patient', camilleFields())
    let page = await moreau.get('/pro/patient/dossier')
    expect(page.text).not.toContain('Documents que vous pouvez consulter')
    expect(page.text).not.toContain('Bloquer un professionnel de santé')
    expect((await moreau.get('/pro/patient/bloquer')).status).toBe(403)
    const camilleDoc = await t.db('documents').where({ person_id: camilleId, masked: false }).first('id')
    expect((await moreau.get(`/pro/patient/documents/${camilleDoc.id}`)).status).toBe(404)
    // «Mes autorisations» says the status has no effect yet.
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    expect((await camille.get('/mes-autorisations')).text).toContain('sans effet tant que son consentement n’est pas déclaré')
    // Once she declares the consent, the status counts: she may block others.
    const r = await submitForm(moreau, '/pro/patient/dossier', { mode: 'consentement' }, '/pro/patient/acces')
    expect(r.status).toBe(303)
    page = await moreau.get('/pro/patient/dossier')
    expect(page.text).toContain('Bloquer un professionnel de santé pour ce patient')

    // Dr Petit is blocked; his row still says consent and administrator (data from before this rule).
    const petitId = (await t.db('professionals').where({ rpps: PROS.petit.login }).first()).id
    await t
      .db('patient_professionals')
      .where({ person_id: camilleId, professional_id: petitId })
      .update({ consent_at: new Date(), administrator: true })
    expect((await submitForm(camille, '/mes-professionnels', {}, `/mes-professionnels/${petitId}/debloquer`)).status).toBe(303)
    expect(await t.db('patient_professionals').where({ person_id: camilleId, professional_id: petitId }).first()).toMatchObject({
      blocked_at: null,
      consent_at: null,
      administrator: false,
    })
    const petit = await proAgent(t, 'petit')
    await submitForm(petit, '/pro/patient', camilleFields())
    page = await petit.get('/pro/patient/dossier')
    expect(page.text).not.toContain('Documents que vous pouvez consulter')
    expect((await petit.get('/pro/patient/bloquer')).status).toBe(403)
  })

  it('the activity log still verifies after the block', async () => {
    expect((await t.services.activity.verify()).ok).toBe(true)
  })
})
