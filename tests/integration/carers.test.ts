import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, NADIA } from '../helpers/demo'
import { createAccount, dateFields, errorText, makeNir } from '../helpers/lifecycle'
import { INVITATION_SENT, INVITE_MESSAGES } from '../../src/domain/carers'
import { isoDate } from '../../src/domain/parisTime'
import { readPdf } from '../helpers/pdfText'

const today = () => dateFields(isoDate(), 'startsOn')
const ALL_RIGHTS = ['read', 'write', 'messages']
const inviteFields = (p: { nir: string; birthDate: string }, droits: string[] = ALL_RIGHTS) => ({
  nir: p.nir,
  ...dateFields(p.birthDate),
  ...today(),
  'endsOn-day': '',
  'endsOn-month': '',
  'endsOn-year': '',
  // As the browser sends the checkboxes.
  'droits[]': droits,
})
const main = (html: string) => cheerio.load(html)('main').text().replace(/\s+/g, ' ')

describe('aidants', () => {
  let t: TestApp
  let camille: Agent
  let camilleId: string
  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    camilleId = (await t.db('insured_persons').where({ nir: CAMILLE.nir }).first()).id
  })
  afterAll(async () => {
    await t.close()
  })

  const invite = (a: Agent, p: { nir: string; birthDate: string }, droits?: string[]) =>
    submitForm(a, '/aidants/inviter', inviteFields(p, droits))
  const acceptAs = async (a: Agent) => {
    const page = await a.get('/aidants')
    const $ = cheerio.load(page.text)
    const form = $('form[action$="/accepter"]').first()
    return a
      .post(form.attr('action')!)
      .type('form')
      .send({ _csrf: form.find('input[name=_csrf]').val() as string })
  }

  it('Camille invite un aidant, il accepte, une attestation PDF est produite ; il agit pour elle avec un bandeau, chaque action est notée « aidant »', async () => {
    const paul = await createAccount(t.db, { firstNames: 'Paul', lastName: 'Aidantun' })
    // Bad input: nothing changes.
    let r = await submitForm(camille, '/aidants/inviter', {
      nir: '',
      'birthDate-day': '',
      'birthDate-month': '',
      'birthDate-year': '',
      'startsOn-day': '',
      'startsOn-month': '',
      'startsOn-year': '',
    })
    expect(r.status).toBe(400)
    expect(cheerio.load(r.text)('title').text()).toMatch(/^Erreur : /)
    // NIR, date of birth, start date, and what the carer may do (nothing ticked).
    expect(cheerio.load(r.text)('.govuk-error-summary li').length).toBe(4)
    expect(errorText(r.text, 'droits')).toBe('Choisissez ce que votre aidant pourra faire')
    // Herself: refused (she knows her own NIR).
    r = await invite(camille, { nir: CAMILLE.nir, birthDate: DEMO_PERSONS.camille.birth_date })
    expect(errorText(r.text, 'nir')).toBe(INVITE_MESSAGES.self)
    // «Ajouter et modifier» without «Consulter»: refused, next to the checkboxes.
    r = await invite(camille, { nir: paul.nir, birthDate: paul.birthDate }, ['write'])
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'droits')).toBe(
      'Pour ajouter et modifier vos documents et vos données, votre aidant doit aussi pouvoir les consulter',
    )
    // Nothing new (the demo's own carer of Camille, Hélène Faure, is there from the start).
    expect(
      await t
        .db('carers')
        .where({ person_id: camilleId })
        .whereNotIn('carer_person_id', t.db('accounts').where({ login: 'helene.faure' }).select('person_id'))
        .first(),
    ).toBeUndefined()

    r = await invite(camille, { nir: paul.nir, birthDate: paul.birthDate })
    expect(r.status).toBe(303)
    // No name before he accepts (SPEC §3).
    expect(main((await camille.get('/aidants')).text)).not.toContain('Aidantun')
    expect(await t.db('carers').where({ person_id: camilleId, carer_person_id: paul.id }).first()).toMatchObject({
      can_see: true,
      can_write: true,
      can_message: true,
    })
    expect((await t.db('outbox').where({ recipient: paul.email, kind: 'carer-invitation' }).first()).body).not.toContain(CAMILLE.nir)

    const p = agent(t.app)
    await signIn(p, t.db, 'patient', paul.login, paul.password)
    // Before accepting, no way into Camille's profile.
    const before = await submitForm(p, '/aidants', { profil: camilleId }, '/aidants/agir').catch(() => undefined)
    expect(before).toBeUndefined() // no «Agir pour» form yet
    r = await acceptAs(p)
    expect(r.status).toBe(303)
    const row = await t.db('carers').where({ person_id: camilleId, carer_person_id: paul.id }).first()
    expect(row.status).toBe('active')
    // Once he accepted, Camille sees who he is.
    expect(main((await camille.get('/aidants')).text)).toContain('Paul Aidantun')
    const att = await t.db('carer_attestations').where({ carer_id: row.id, kind: 'acceptance' }).first()
    expect(att).toBeDefined()
    for (const who of [p, camille]) {
      const pdf = await who
        .get(`/aidants/attestations/${att.id}`)
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => cb(null, Buffer.concat(chunks)))
        })
      expect(pdf.status).toBe(200)
      expect(pdf.headers['content-type']).toBe('application/pdf')
      expect(pdf.headers['content-disposition']).toContain('attachment')
      expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-')
      // A tagged, accessible PDF (structure tree, language, real text) that says who helps whom.
      const facts = readPdf(pdf.body as Buffer)
      expect(facts).toMatchObject({ tagged: true, lang: 'fr-FR', displayTitle: true })
      expect(facts.structure).toEqual(expect.arrayContaining(['Document', 'H1', 'H2', 'P']))
      expect(facts.text).toContain("Attestation de désignation d'un aidant")
      expect(facts.text).toContain('Personne aidée : Camille Martin')
      expect(facts.text).toContain('Aidant : Paul Aidantun')
      expect(facts.text).toContain("Paul Aidantun a accepté d'être l'aidant de Camille Martin")
    }
    // Someone else: 404.
    const other = await createAccount(t.db)
    const o = agent(t.app)
    await signIn(o, t.db, 'patient', other.login, other.password)
    expect((await o.get(`/aidants/attestations/${att.id}`)).status).toBe(404)
    expect(await t.db('activity_log').where({ subject_person_id: camilleId, action: 'carer.accepted' }).first()).toMatchObject({
      actor_role: 'patient',
      actor_name: 'Paul Aidantun',
    })

    // «Agir pour Camille»
    r = await submitForm(p, '/aidants', { profil: camilleId }, '/aidants/agir')
    expect(r.status).toBe(303)
    const home = await p.get('/mon-espace')
    expect(cheerio.load(home.text)('#bandeau-profil').text()).toContain("Vous agissez en tant qu'aidant de Camille Martin")
    const docs = await p.get('/documents')
    expect(docs.status).toBe(200)
    expect(docs.text).toContain('Bilan sanguin annuel')
    const opened = await t.db('activity_log').where({ subject_person_id: camilleId, action: 'carer.profile_opened' }).first()
    expect(opened).toMatchObject({ actor_role: 'carer', actor_name: 'Paul Aidantun' })

    // What a carer may not do: account pages, carers, deleting.
    for (const url of ['/mon-compte', '/mon-compte/fermer', '/mon-compte/coordonnees', '/mon-compte/mot-de-passe'])
      expect((await p.get(url)).status).toBe(403)
    expect(main((await p.get('/aidants')).text)).toContain('Seule cette personne peut gérer ses aidants')
    const own = await t.db('documents').where({ person_id: camilleId, title: 'Bilan sanguin annuel' }).first()
    expect((await p.get(`/documents/${own.id}/supprimer`)).headers.location).toBe(`/documents/${own.id}`)
    const page = await p.get(`/documents/${own.id}`)
    const del = await p
      .post(`/documents/${own.id}/supprimer`)
      .type('form')
      .send({ _csrf: cheerio.load(page.text)('input[name=_csrf]').first().val() as string, confirm: 'oui' })
    expect([403, 404]).toContain(del.status)
    expect(await t.db('documents').where({ id: own.id }).first()).toBeDefined()
    // He views a document but may not download it (SPEC §3).
    const shown = await p.get(`/documents/${own.id}`)
    expect(shown.status).toBe(200)
    expect(cheerio.load(shown.text)(`a[href="/documents/${own.id}/telecharger"]`).length).toBe(0)
    expect(main(shown.text)).toContain("En tant qu'aidant, vous pouvez consulter ce document mais pas le télécharger.")
    expect((await p.get(`/documents/${own.id}/telecharger`)).status).toBe(403)
    expect(cheerio.load((await camille.get(`/documents/${own.id}`)).text)(`a[href="/documents/${own.id}/telecharger"]`).length).toBe(1)
    const reads = await t.db('activity_log').where({ subject_person_id: camilleId, actor_role: 'carer' }).pluck('action')
    expect(reads.length).toBeGreaterThanOrEqual(2)

    // Camille revokes: Paul's next request is back on his own profile; a revocation attestation exists.
    const list = cheerio.load((await camille.get('/aidants')).text)
    const endForm = list('form[action$="/fin"]').first()
    r = await camille
      .post(endForm.attr('action')!)
      .type('form')
      .send({ _csrf: endForm.find('input[name=_csrf]').val() as string })
    expect(r.status).toBe(303)
    expect((await t.db('carers').where({ id: row.id }).first()).status).toBe('revoked')
    expect(await t.db('carer_attestations').where({ carer_id: row.id, kind: 'revocation' }).first()).toBeDefined()
    const after = await p.get('/mon-espace')
    expect(cheerio.load(after.text)('#bandeau-profil').length).toBe(0)
    expect((await p.get('/documents')).text).not.toContain('Bilan sanguin annuel')
  })

  it('3 aidants au plus par personne, 5 personnes au plus par aidant ; une invitation expirée ne peut plus être acceptée', async () => {
    const holder = await createAccount(t.db, { firstNames: 'Lucie', lastName: 'Limites' })
    const h = agent(t.app)
    await signIn(h, t.db, 'patient', holder.login, holder.password)
    const carers = [] as Awaited<ReturnType<typeof createAccount>>[]
    for (let i = 0; i < 4; i++) carers.push(await createAccount(t.db))
    for (let i = 0; i < 3; i++) expect((await invite(h, carers[i])).status).toBe(303)
    const r = await invite(h, carers[3])
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'nir')).toBe(INVITE_MESSAGES.too_many_carers)

    // A carer who already helps 5 people: the invitation is kept but reaches nobody (the answer does not say so).
    const busy = await createAccount(t.db)
    for (let i = 0; i < 5; i++) {
      const helped = await createAccount(t.db)
      await t.db('carers').insert({
        person_id: helped.id,
        carer_person_id: busy.id,
        status: 'active',
        invitation_expires_at: new Date(),
        starts_on: isoDate(),
        accepted_at: new Date(),
      })
    }
    const other = await createAccount(t.db)
    const oa = agent(t.app)
    await signIn(oa, t.db, 'patient', other.login, other.password)
    const full = await invite(oa, busy)
    expect(full.status).toBe(303)
    expect(await t.db('carers').where({ person_id: other.id }).select('carer_person_id', 'status')).toEqual([
      { carer_person_id: null, status: 'invited' },
    ])
    const b = agent(t.app)
    await signIn(b, t.db, 'patient', busy.login, busy.password)
    expect(main((await b.get('/aidants')).text)).not.toContain(other.lastName)

    // Expired invitation: not offered, and refused when posted.
    const c0 = agent(t.app)
    await signIn(c0, t.db, 'patient', carers[0].login, carers[0].password)
    const page = await c0.get('/aidants')
    const form = cheerio.load(page.text)('form[action$="/accepter"]').first()
    await t
      .db('carers')
      .where({ person_id: holder.id, carer_person_id: carers[0].id })
      .update({ invitation_expires_at: new Date(Date.now() - 1000) })
    const late = await c0
      .post(form.attr('action')!)
      .type('form')
      .send({ _csrf: form.find('input[name=_csrf]').val() as string })
    expect(late.status).toBe(403)
    expect((await t.db('carers').where({ person_id: holder.id, carer_person_id: carers[0].id }).first()).status).toBe('invited')
    expect(main((await c0.get('/aidants')).text)).toContain('Invitation expirée')
  })

  const signedIn = async (p: { login: string; password: string }) => {
    const a = agent(t.app)
    await signIn(a, t.db, 'patient', p.login, p.password)
    return a
  }
  const banner = async (a: Agent) =>
    cheerio
      .load((await a.get('/aidants')).text)('.govuk-notification-banner')
      .text()
      .replace(/\s+/g, ' ')
      .trim()
  /** Posts the first form of /aidants whose action ends with `suffix` (accept, decline or end). */
  const post = async (a: Agent, suffix: string) => {
    const page = cheerio.load((await a.get('/aidants')).text)
    const form = page(`form[action$="${suffix}"]`).first()
    return a
      .post(form.attr('action')!)
      .type('form')
      .send({ _csrf: form.find('input[name=_csrf]').val() as string, profil: form.find('input[name=profil]').val() as string })
  }

  it('une invitation ne révèle personne : la même réponse que le NIR corresponde à quelqu’un ou non, aucun nom avant l’acceptation, un refus ne se voit pas', async () => {
    const holder = await createAccount(t.db, { firstNames: 'Inès', lastName: 'Invitante' })
    const real = await createAccount(t.db, { firstNames: 'Rémi', lastName: 'Reelaidant' })
    const h = await signedIn(holder)
    const nobody = { nir: makeNir('M', '1991-04-12'), birthDate: '1991-04-12' }
    const notActivated = { nir: DEMO_PERSONS.jean.nir, birthDate: DEMO_PERSONS.jean.birth_date }
    const answers: string[] = []
    for (const p of [nobody, notActivated, real]) {
      const r = await invite(h, p)
      expect(r.status).toBe(303)
      expect(r.headers.location).toBe('/aidants')
      answers.push(await banner(h))
    }
    expect(new Set(answers).size).toBe(1)
    expect(answers[0]).toContain(INVITATION_SENT)
    // The list: three invitations alike, no name.
    const $ = cheerio.load((await h.get('/aidants')).text)
    const rows = $('table tbody tr').toArray()
    expect(rows).toHaveLength(3)
    for (const row of rows) expect($(row).text()).toContain('Invitation envoyée')
    const everywhere = [main((await h.get('/aidants')).text), main((await h.get('/mes-autorisations')).text)]
    const history = JSON.stringify(await t.db('activity_log').where({ subject_person_id: holder.id }))
    for (const text of [...everywhere, history])
      for (const name of ['Rémi', 'Reelaidant', 'Jean', 'Dupont']) expect(text).not.toContain(name)
    // Only the real invitee was reached.
    expect(await t.db('carers').where({ person_id: holder.id }).orderBy('invited_at').pluck('carer_person_id')).toEqual([
      null,
      null,
      real.id,
    ])
    expect(await t.db('outbox').where({ kind: 'carer-invitation', recipient: real.email }).first()).toBeDefined()

    // He declines: to Inès, the invitation still looks pending (until it expires), nothing in her history.
    const r = await signedIn(real)
    expect(main((await r.get('/aidants')).text)).toContain('Inès Invitante')
    expect((await post(r, '/fin')).status).toBe(303)
    expect((await t.db('carers').where({ person_id: holder.id, carer_person_id: real.id }).first()).status).toBe('declined')
    const after = cheerio.load((await h.get('/aidants')).text)
    expect(
      after('table tbody tr')
        .toArray()
        .map((row) => after(row).text().includes('Invitation envoyée')),
    ).toEqual([true, true, true])
    expect(await t.db('activity_log').where({ subject_person_id: holder.id, action: 'carer.declined' }).first()).toBeUndefined()
    expect(await t.db('activity_log').where({ subject_person_id: real.id, action: 'carer.declined' }).first()).toBeDefined()
    // And it still takes one of the 3 places, like the others.
    const fourth = await createAccount(t.db)
    expect(errorText((await invite(h, fourth)).text, 'nir')).toBe(INVITE_MESSAGES.too_many_carers)
  })

  it('les droits de la délégation sont choisis à l’invitation et lus par la politique d’accès : consulter seulement, messagerie seulement', async () => {
    const holder = await createAccount(t.db, { firstNames: 'Hélène', lastName: 'Droits' })
    const seer = await createAccount(t.db, { firstNames: 'Victor', lastName: 'Consulte' })
    const writer = await createAccount(t.db, { firstNames: 'Marie', lastName: 'Messagere' })
    const h = await signedIn(holder)
    // The form offers the three rights, all ticked by default (SPEC §3).
    const form = cheerio.load((await h.get('/aidants/inviter')).text)
    expect(
      form('input[name="droits[]"]')
        .toArray()
        .map((i) => [form(i).attr('value'), form(i).is('[checked]')]),
    ).toEqual([
      ['read', true],
      ['write', true],
      ['messages', true],
    ])
    expect((await invite(h, seer, ['read'])).status).toBe(303)
    expect((await invite(h, writer, ['messages'])).status).toBe(303)
    expect(
      await t.db('carers').where({ person_id: holder.id }).orderBy('invited_at').select('can_see', 'can_write', 'can_message'),
    ).toEqual([
      { can_see: true, can_write: false, can_message: false },
      { can_see: false, can_write: false, can_message: true },
    ])
    const act = async (who: typeof seer) => {
      const a = await signedIn(who)
      expect((await post(a, '/accepter')).status).toBe(303)
      expect((await post(a, '/aidants/agir')).status).toBe(303)
      return a
    }
    const v = await act(seer)
    expect((await v.get('/documents')).status).toBe(200)
    expect((await v.get('/documents/ajouter')).status).toBe(403)
    expect((await v.get('/messagerie')).status).toBe(403)
    expect((await v.get('/historique')).status).toBe(200)
    const m = await act(writer)
    expect((await m.get('/messagerie')).status).toBe(200)
    expect((await m.get('/documents')).status).toBe(403)
    expect((await m.get('/historique')).status).toBe(403)
    // The holder sees what each may do.
    const list = main((await h.get('/aidants')).text)
    expect(list).toContain('Victor Consulte')
    expect(list).toContain('Droits : consulter')
    expect(list).toContain('Droits : messagerie')
  })

  it('un profil fermé met fin à ses relations d’aidant, des deux côtés', async () => {
    const closing = await createAccount(t.db, { firstNames: 'Fanny', lastName: 'Fermeture' })
    const [herCarer, sheHelps, inviter] = await Promise.all([createAccount(t.db), createAccount(t.db), createAccount(t.db)])
    const base = { invitation_expires_at: new Date(Date.now() + 86_400_000), starts_on: isoDate() }
    await t.db('carers').insert([
      { ...base, person_id: closing.id, carer_person_id: herCarer.id, status: 'active', accepted_at: new Date() },
      { ...base, person_id: sheHelps.id, carer_person_id: closing.id, status: 'active', accepted_at: new Date() },
      { ...base, person_id: inviter.id, carer_person_id: closing.id, status: 'invited' },
    ])
    const f = await signedIn(closing)
    const r = await submitForm(f, '/mon-compte/fermer', { data: 'archive', password: closing.password })
    expect(r.status).toBe(303)
    const rows = await t
      .db('carers')
      .whereIn('person_id', [closing.id, sheHelps.id, inviter.id])
      .select('person_id', 'status', 'revoked_by')
    expect(rows).toEqual(
      expect.arrayContaining([
        { person_id: closing.id, status: 'revoked', revoked_by: 'closure' },
        { person_id: sheHelps.id, status: 'revoked', revoked_by: 'closure' },
        // The invitation to her is declined: the inviter still sees it pending until it expires.
        { person_id: inviter.id, status: 'declined', revoked_by: null },
      ]),
    )
    expect(rows).toHaveLength(3)
    // Attestations of the end, and the carer of the closed space can no longer act for her.
    expect(
      await t
        .db('carer_attestations')
        .where({ kind: 'revocation' })
        .whereIn('carer_id', t.db('carers').where({ person_id: closing.id }).select('id'))
        .first(),
    ).toBeDefined()
    const c = await signedIn(herCarer)
    expect(cheerio.load((await c.get('/aidants')).text)('form[action="/aidants/agir"]').length).toBe(0)
  })

  it("un conseiller France Services n'accède pas aux aidants", async () => {
    const n = agent(t.app)
    await signIn(n, t.db, 'agent', NADIA.login, NADIA.password)
    expect((await n.get('/aidants')).status).toBe(403)
    expect((await n.get('/documents')).status).toBe(403)
  })
})
