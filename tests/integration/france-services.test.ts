import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, lastMessage, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_CODES, DEMO_PERSONS, NADIA } from '../helpers/demo'
import { activate, createPerson, dateFields, errorText, h1 } from '../helpers/lifecycle'
import { IDENTIFY_MISMATCH } from '../../src/features/france-services/service'
import { hashPassword } from '../../src/infrastructure/passwords'
import { formatCode } from '../../src/domain/provisionalCode'

const JEAN = DEMO_PERSONS.jean
const identity = (p: { nir: string; birthDate: string; surname: string }, attest = true) => ({
  nir: p.nir,
  ...dateFields(p.birthDate),
  surname: p.surname,
  ...(attest ? { attestation: 'yes' } : {}),
})
const text = (html: string) => cheerio.load(html)('main').text().replace(/\s+/g, ' ')

describe('France Services : accompagner une personne', () => {
  let t: TestApp
  let nadia: Agent
  beforeAll(async () => {
    t = await createTestApp()
    nadia = agent(t.app)
    await signIn(nadia, t.db, 'agent', NADIA.login, NADIA.password)
  })
  afterAll(async () => {
    await t.close()
  })

  const identifyAs = async (a: Agent, p: { nir: string; birthDate: string; surname: string }) => {
    const r = await submitForm(a, '/france-services/accompagner', identity(p))
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/france-services/personne')
  }

  it("l'accueil du conseiller montre sa structure et ses actions, sans cache", async () => {
    const r = await nadia.get('/france-services')
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toContain('no-store')
    const $ = cheerio.load(r.text)
    expect($('#organisation').text()).toContain('France Services Montreuil')
    expect($('main a[href="/france-services/accompagner"]').text()).toContain('Accompagner une personne')
  })

  it("le conseiller n'a accès à aucune page de données de santé", async () => {
    for (const url of ['/mon-espace', '/mon-compte', '/changer-de-profil']) {
      const r = await nadia.get(url)
      expect(r.status).toBe(403)
    }
  })

  it("l'identification exige les trois informations et l'attestation ; une combinaison fausse ne révèle jamais l'existence", async () => {
    let r = await submitForm(nadia, '/france-services/accompagner', {
      nir: '',
      'birthDate-day': '',
      'birthDate-month': '',
      'birthDate-year': '',
      surname: '',
    })
    expect(r.status).toBe(400)
    let $ = cheerio.load(r.text)
    expect($('title').text()).toMatch(/^Erreur : /)
    expect($('.govuk-error-summary li').length).toBe(4)
    // The number of the person helped, not «votre numéro».
    expect(errorText(r.text, 'nir')).toBe('Saisissez son numéro de sécurité sociale')
    expect(errorText(r.text, 'attestation')).toContain("pièce d'identité")

    // The right person without the attestation: refused, nothing written.
    const before = await t.db('activity_log').where({ action: 'france_services.identified' }).count({ n: '*' }).first()
    r = await submitForm(
      nadia,
      '/france-services/accompagner',
      identity({ nir: JEAN.nir, birthDate: JEAN.birth_date, surname: 'Dupont' }, false),
    )
    expect(r.status).toBe(400)
    expect(cheerio.load(r.text)('#surname').attr('value')).toBe('Dupont')
    const after = await t.db('activity_log').where({ action: 'france_services.identified' }).count({ n: '*' }).first()
    expect(after!.n).toBe(before!.n)

    // Wrong surname for an existing person, and a NIR nobody has: the same answer.
    const wrongName = await submitForm(
      nadia,
      '/france-services/accompagner',
      identity({ nir: JEAN.nir, birthDate: JEAN.birth_date, surname: 'Durand' }),
    )
    const other = await createPerson(t.db)
    await t.db('insured_persons').where({ id: other.id }).del()
    const nobody = await submitForm(
      nadia,
      '/france-services/accompagner',
      identity({ nir: other.nir, birthDate: other.birthDate, surname: 'Durand' }),
    )
    for (const res of [wrongName, nobody]) {
      expect(res.status).toBe(400)
      expect(errorText(res.text, 'nir')).toBe(IDENTIFY_MISMATCH)
    }
    $ = cheerio.load(wrongName.text)
    expect($('main h1').text()).toBe(cheerio.load(nobody.text)('main h1').text())
    expect((await nadia.get('/france-services/personne')).headers.location).toBe('/france-services/accompagner')
  })

  it('la situation de Jean Dupont : état, dates, code, canal, coordonnées masquées ; une ligne dans son historique', async () => {
    await identifyAs(nadia, { nir: '1 50 11 69 123 045 32', birthDate: JEAN.birth_date, surname: 'DUPONT' })
    const r = await nadia.get('/france-services/personne')
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toContain('no-store')
    expect(h1(r.text)).toBe('Jean Dupont')
    const main = text(r.text)
    expect(main).toContain('Information envoyée, profil pas encore activé')
    expect(main).toContain("Date limite pour s'opposer")
    expect(main).toMatch(/Code provisoire valable Oui, jusqu'au/)
    expect(main).toContain('Par courriel')
    expect(main).toContain('Adresse électronique j•••@courriel.example')
    expect(r.text).not.toContain(JEAN.email)
    expect(r.text).not.toContain(JEAN.nir)
    const row = await t
      .db('activity_log')
      .where({
        subject_person_id: (await t.db('insured_persons').where({ nir: JEAN.nir }).first()).id,
        action: 'france_services.identified',
      })
      .first()
    expect(row).toMatchObject({ actor_role: 'agent', actor_name: 'Nadia Roux', actor_organisation: 'France Services Montreuil' })
    expect(row.details.label).toBe('Action réalisée par un conseiller France Services (France Services Montreuil)')
  })

  it('un nouveau code envoyé à l’adresse connue, avec récépissé imprimable et ligne d’historique ; pas deux fois en 30 secondes', async () => {
    const p = await createPerson(t.db, { lastName: 'Nouveaucode', codeDaysAgo: 10 })
    const a = agent(t.app)
    await signIn(a, t.db, 'agent', NADIA.login, NADIA.password)
    await identifyAs(a, { nir: p.nir, birthDate: p.birthDate, surname: p.lastName })
    let r = await submitForm(a, '/france-services/personne', {}, '/france-services/personne/nouveau-code')
    expect(r.status).toBe(303)
    expect(r.headers.location).toMatch(/^\/france-services\/recus\/[0-9a-f-]{36}$/)
    const receipt = await a.get(r.headers.location)
    expect(receipt.status).toBe(200)
    expect(receipt.text).toContain('Nouveau code envoyé')
    expect(receipt.text).toContain('France Services Montreuil')
    expect(receipt.text).toContain('3422')
    const action = await t.db('france_services_actions').where({ person_id: p.id, kind: 'new_code' }).first()
    expect(receipt.text).toContain(action.reference)
    expect(action.reference).toMatch(/^COD-/)
    // The code went to the person, not to the agent's screen.
    const mail = await lastMessage(t.db, p.email!, 'provisional-code')
    const sent = mail.body.match(/code provisoire : ([A-Z0-9 ]{14})/)![1]
    expect(receipt.text).not.toContain(sent)
    expect(receipt.text).not.toContain(sent.replace(/ /g, ''))
    // The old code no longer works.
    expect(
      Number((await t.db('provisional_codes').where({ person_id: p.id }).whereNull('voided_at').count({ n: '*' }).first())!.n),
    ).toEqual(1)
    const rows = await t
      .db('activity_log')
      .where({ subject_person_id: p.id })
      .whereIn('action', ['code.issued', 'france_services.new_code'])
    expect(rows).toHaveLength(2)
    for (const row of rows) expect(row).toMatchObject({ actor_role: 'agent', actor_organisation: 'France Services Montreuil' })
    expect(rows.find((x) => x.action === 'france_services.new_code').details.label).toBe(
      'Action réalisée par un conseiller France Services (France Services Montreuil)',
    )

    r = await submitForm(a, '/france-services/personne', {}, '/france-services/personne/nouveau-code')
    expect(r.headers.location).toBe('/france-services/personne')
    const page = await a.get('/france-services/personne')
    expect(text(page.text)).toContain('Attendez 30 secondes')
    expect(Number((await t.db('france_services_actions').where({ person_id: p.id }).count({ n: '*' }).first())!.n)).toEqual(1)
  })

  it("une opposition avant la date limite : confirmation exigée, récépissé, courriel, historique ; un conseiller d'une autre structure ne voit pas le récépissé", async () => {
    const p = await createPerson(t.db, { lastName: "D'Oppose-Éléonore" })
    const a = agent(t.app)
    await signIn(a, t.db, 'agent', NADIA.login, NADIA.password)
    await identifyAs(a, { nir: p.nir, birthDate: p.birthDate, surname: 'doppose eleonore' })
    let r = await submitForm(a, '/france-services/personne/opposition', {})
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'confirm')).toContain('confirme')
    expect((await t.db('spaces').where({ person_id: p.id }).first()).state).toBe('notified')
    r = await submitForm(a, '/france-services/personne/opposition', { confirm: 'yes' })
    expect(r.status).toBe(303)
    const space = await t.db('spaces').where({ person_id: p.id }).first()
    expect(space.state).toBe('opposed')
    const receipt = await a.get(r.headers.location)
    expect(receipt.text).toContain('Opposition enregistrée')
    expect(receipt.text).toContain(space.opposition_reference)
    expect((await lastMessage(t.db, p.email!, 'opposition-receipt')).body).toContain(space.opposition_reference)
    const row = await t.db('activity_log').where({ subject_person_id: p.id, action: 'space.opposed' }).first()
    expect(row).toMatchObject({ actor_role: 'agent', actor_name: 'Nadia Roux', actor_organisation: 'France Services Montreuil' })
    expect(row.details.label).toContain('conseiller France Services')
    // The code can no longer be used.
    expect(await t.db('provisional_codes').where({ person_id: p.id }).whereNull('voided_at').whereNull('used_at').first()).toBeUndefined()
    // Opposition is no longer offered.
    expect((await a.get('/france-services/personne/opposition')).headers.location).toBe('/france-services/personne')

    // Another organisation's agent: 404 on the receipt.
    await t.db('accounts').insert({
      kind: 'agent',
      login: 'autre.agent',
      password_hash: await hashPassword('Autre-Guichet-Loin-12'),
      display_name: 'Autre Agent',
      organisation: 'France Services Lille',
      email: 'autre.agent@courriel.example',
      email_verified_at: new Date(),
    })
    const b = agent(t.app)
    await signIn(b, t.db, 'agent', 'autre.agent', 'Autre-Guichet-Loin-12')
    expect((await b.get(r.headers.location)).status).toBe(404)
    // And a patient: 403.
    const c = agent(t.app)
    await signIn(c, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    expect((await c.get(r.headers.location)).status).toBe(403)
  })

  it('après la date limite, pas d’opposition proposée ni acceptée', async () => {
    const p = await createPerson(t.db, { noticeDaysAgo: 43, codeDaysAgo: 1 })
    const a = agent(t.app)
    await signIn(a, t.db, 'agent', NADIA.login, NADIA.password)
    await identifyAs(a, { nir: p.nir, birthDate: p.birthDate, surname: p.lastName })
    const page = await a.get('/france-services/personne')
    expect(text(page.text)).toContain('(dépassée)')
    expect(page.text).not.toContain('/france-services/personne/opposition')
    const r = await a
      .post('/france-services/personne/opposition')
      .type('form')
      .send({ _csrf: cheerio.load(page.text)('input[name=_csrf]').first().val() as string, confirm: 'yes' })
    expect(r.headers.location).toBe('/france-services/personne')
    expect((await t.db('spaces').where({ person_id: p.id }).first()).state).toBe('notified')
  })

  it('la fermeture demandée au guichet : choix obligatoires, profil fermé, sessions terminées, récépissé, historique', async () => {
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    expect((await camille.get('/mon-espace')).status).toBe(200)
    await identifyAs(nadia, { nir: CAMILLE.nir, birthDate: DEMO_PERSONS.camille.birth_date, surname: 'Martin' })
    let r = await submitForm(nadia, '/france-services/personne/fermeture', {})
    expect(r.status).toBe(400)
    expect(cheerio.load(r.text)('.govuk-error-summary li').length).toBe(2)
    const person = await t.db('insured_persons').where({ nir: CAMILLE.nir }).first()
    expect((await t.db('spaces').where({ person_id: person.id }).first()).state).toBe('activated')
    r = await submitForm(nadia, '/france-services/personne/fermeture', { data: 'archive', confirm: 'yes' })
    expect(r.status).toBe(303)
    expect((await t.db('spaces').where({ person_id: person.id }).first()).state).toBe('closed')
    const receipt = await nadia.get(r.headers.location)
    expect(receipt.text).toContain('Profil fermé')
    expect(receipt.text).toMatch(/FER-[A-Z0-9]{4}-[A-Z0-9]{4}/)
    // Camille's own session has ended.
    expect((await camille.get('/mon-espace')).status).toBe(303)
    const row = await t.db('activity_log').where({ subject_person_id: person.id, action: 'space.closed' }).first()
    expect(row).toMatchObject({ actor_role: 'agent', actor_organisation: 'France Services Montreuil' })
    expect((await lastMessage(t.db, CAMILLE.email, 'space-closed')).body).not.toContain(CAMILLE.nir)
  })

  it('limite les identifications sans correspondance pour un même numéro', async () => {
    const p = await createPerson(t.db)
    const a = agent(t.app)
    await signIn(a, t.db, 'agent', NADIA.login, NADIA.password)
    let last = 0
    for (let i = 0; i < 7; i++) {
      const r = await submitForm(a, '/france-services/accompagner', identity({ nir: p.nir, birthDate: p.birthDate, surname: 'Mauvais' }))
      last = r.status
      if (r.status === 429) break
    }
    expect(last).toBe(429)
  })
})

describe('France Services : session accompagnée', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  const sidOf = (setCookie: string[] | string | undefined) => {
    const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []
    const c = all.find((x) => x.startsWith('mes_session='))!
    return decodeURIComponent(c.split(';')[0].slice('mes_session='.length)).replace(/^s:/, '').split('.')[0]
  }
  const sessionKey = (sid: string) => `${t.config.redisPrefix}sess:${sid}`

  const openAssisted = async (
    who: { nir: string; birthDate: string; surname: string } = { nir: JEAN.nir, birthDate: JEAN.birth_date, surname: 'Dupont' },
  ) => {
    const a = agent(t.app)
    await signIn(a, t.db, 'agent', NADIA.login, NADIA.password)
    await submitForm(a, '/france-services/accompagner', identity(who))
    const agentSids = (
      await t
        .db('account_sessions')
        .join('accounts', 'accounts.id', 'account_sessions.account_id')
        .where({ login: NADIA.login })
        .select('sid')
    ).map((x) => x.sid)
    const r = await submitForm(a, '/france-services/session-accompagnee', {})
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/session-accompagnee')
    return { a, sid: sidOf(r.headers['set-cookie']), agentSids }
  }

  it("l'ordinateur passe au citoyen : session du conseiller fermée, bandeau, Terminer, rien de mémorisé ; Jean active son profil lui-même", async () => {
    const { a, sid, agentSids } = await openAssisted()
    // The agent's session is gone: a new session id, the old one no longer in the store.
    for (const old of agentSids) {
      expect(old).not.toBe(sid)
      expect(await t.redis!.exists(sessionKey(old))).toBe(0)
    }
    expect((await a.get('/france-services')).status).toBe(303)
    const home = await a.get('/session-accompagnee')
    expect(home.status).toBe(200)
    expect(home.headers['cache-control']).toContain('no-store')
    let $ = cheerio.load(home.text)
    expect($('#bandeau-accompagnement').text()).toContain('Accompagnement par un conseiller France Services (France Services Montreuil)')
    expect($('#terminer').text().trim()).toBe('Terminer')
    // Secrets are not remembered by the browser.
    const signin = cheerio.load((await a.get('/connexion')).text)
    expect(signin('#login').attr('autocomplete')).toBe('off')
    // A password field marked «new-password» is never filled with a password saved on the computer.
    expect(signin('#password').attr('autocomplete')).toBe('new-password')

    const person = await t.db('insured_persons').where({ nir: JEAN.nir }).first()
    const started = await t.db('activity_log').where({ subject_person_id: person.id, action: 'france_services.assisted_session' }).first()
    expect(started).toMatchObject({ actor_role: 'agent', actor_organisation: 'France Services Montreuil' })

    // Jean types his own code and secrets.
    let r = await submitForm(a, '/activer-mon-profil', { code: formatCode(DEMO_CODES.jean) })
    r = await submitForm(a, '/activer-mon-profil/identite', { nir: JEAN.nir, ...dateFields(JEAN.birth_date) })
    const creds = cheerio.load((await a.get('/activer-mon-profil/identifiant')).text)
    expect(creds('#password').attr('autocomplete')).toBe('new-password')
    expect(creds('#identifiant').attr('autocomplete')).toBe('off')
    r = await activate(
      a,
      t.db,
      { code: formatCode(DEMO_CODES.jean), nir: JEAN.nir, birthDate: JEAN.birth_date },
      { identifiant: 'jean.dupont69', password: 'Bellecour et la Saône 1950', email: JEAN.email },
    )
    expect(r.headers.location).toBe('/mon-espace')
    const space = await a.get('/mon-espace')
    expect(space.status).toBe(200)
    $ = cheerio.load(space.text)
    expect($('#bandeau-accompagnement').text()).toContain('Accompagnement par un conseiller France Services')
    // His own actions, in his history, say that they were assisted.
    const activated = await t.db('activity_log').where({ subject_person_id: person.id, action: 'space.activated' }).first()
    expect(activated).toMatchObject({ actor_role: 'patient', actor_name: 'Jean Dupont' })
    expect(activated.details.assistedBy).toBe('France Services Montreuil')

    // «Terminer»: the session is destroyed and the browser told to forget everything.
    const ended = await a
      .post('/session-accompagnee/terminer')
      .type('form')
      .send({ _csrf: $('#bandeau-accompagnement input[name=_csrf]').val() as string })
    expect(ended.status).toBe(303)
    expect(ended.headers.location).toBe('/session-accompagnee/terminee')
    // The browser forgets the cache and storage; its session cookie is replaced by the agent's resumed one.
    expect(ended.headers['clear-site-data']).toBe('"cache", "storage"')
    expect(await t.redis!.exists(sessionKey(sid))).toBe(0)
    const resumed = await a.get('/session-accompagnee/terminee')
    expect(resumed.status).toBe(303)
    const endPage = await a.get('/session-accompagnee/terminee')
    expect(h1(endPage.text)).toBe('Session accompagnée terminée')
    expect(endPage.text).not.toContain('bandeau-accompagnement')
    // Issue 16 §4: the agent's own session resumes without a new password and code…
    expect(cheerio.load(endPage.text)('#session-conseiller-reprise').text()).toContain('Votre session de conseiller a repris')
    expect((await a.get('/france-services')).status).toBe(200)
    expect((await a.get('/france-services/personne')).status).toBe(200)
    // …and nothing of Jean's session remains: not his sign-in, not his journeys, not his session in the store.
    expect((await a.get('/mon-espace')).status).toBe(403)
    expect((await a.get('/session-accompagnee')).headers.location).toBe('/session-accompagnee/terminee')
    const jeanAccount = await t.db('accounts').where({ login: 'jean.dupont69' }).first()
    const c = a.jar.getCookie('mes_session', { domain: '127.0.0.1', path: '/', secure: false, script: false })!
    const newSid = decodeURIComponent(c.value).replace(/^s:/, '').split('.')[0]
    expect(newSid).not.toBe(sid)
    const stored = (await t.redis!.get(sessionKey(newSid)))!
    expect(JSON.parse(stored).auth.kind).toBe('agent')
    expect(stored).not.toContain(jeanAccount.id)
    expect(stored).not.toContain('assisted')
    expect(stored).not.toContain('activation')
    const jeanSessions = await t
      .db('account_sessions')
      .join('accounts', 'accounts.id', 'account_sessions.account_id')
      .where({ login: 'jean.dupont69' })
      .select('sid')
    for (const s of jeanSessions) expect(await t.redis!.exists(sessionKey(s.sid))).toBe(0)
  })

  it('le conseiller qui se reconnecte pendant une session accompagnée la termine : plus de bandeau, sa session normale', async () => {
    const { a, sid } = await openAssisted()
    await signIn(a, t.db, 'agent', NADIA.login, NADIA.password)
    expect(await t.redis!.exists(sessionKey(sid))).toBe(0)
    const home = await a.get('/france-services')
    expect(home.status).toBe(200)
    expect(cheerio.load(home.text)('#bandeau-accompagnement').length).toBe(0)
  })

  it('se termine seule après 5 minutes sans activité', async () => {
    const { a, sid } = await openAssisted()
    expect((await a.get('/session-accompagnee')).status).toBe(200)
    const key = sessionKey(sid)
    const raw = await t.redis!.get(key)
    expect(raw).toBeTruthy()
    const sess = JSON.parse(raw!)
    expect(sess.idleLimitMs).toBe(5 * 60 * 1000)
    // Four minutes of silence: still open.
    sess.lastSeenAt = Date.now() - 4 * 60 * 1000
    await t.redis!.set(key, JSON.stringify(sess), { KEEPTTL: true })
    expect((await a.get('/session-accompagnee')).status).toBe(200)
    // Six minutes: ended.
    sess.lastSeenAt = Date.now() - 6 * 60 * 1000
    await t.redis!.set(key, JSON.stringify(sess), { KEEPTTL: true })
    const r = await a.get('/connexion')
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/session-accompagnee/terminee?raison=inactivite')
    expect(await t.redis!.exists(key)).toBe(0)
    // The agent's session resumes (issue 16 §4), counted idle from the citizen's last activity.
    expect((await a.get(r.headers.location)).status).toBe(303)
    const page = await a.get(r.headers.location)
    expect(page.text).toContain('5 minutes sans activité')
    expect(page.text).toContain('Votre session de conseiller a repris')
    expect(page.text).not.toContain('bandeau-accompagnement')
  })

  it('ouverte depuis la page de la personne, la session accompagnée commence avec elle déjà identifiée (issue 16 §4)', async () => {
    const p = await createPerson(t.db, { firstNames: 'Odile', lastName: 'Guichet' })
    const { a } = await openAssisted({ nir: p.nir, birthDate: p.birthDate, surname: p.lastName })
    const home = cheerio.load((await a.get('/session-accompagnee')).text)
    expect(home('#personne-accompagnee').text()).toContain('Personne accompagnée : Odile Guichet')
    let r = await submitForm(a, '/activer-mon-profil', { code: p.code })
    expect(r.headers.location).toBe('/activer-mon-profil/identite')
    const $ = cheerio.load((await a.get('/activer-mon-profil/identite')).text)
    expect(($('#nir').val() as string).replace(/\s/g, '')).toBe(p.nir)
    const [y, m, d] = p.birthDate.split('-')
    expect($('#birthDate-day').val()).toBe(String(Number(d)))
    expect($('#birthDate-month').val()).toBe(String(Number(m)))
    expect($('#birthDate-year').val()).toBe(y)
    expect($('#identite-verifiee-au-guichet').text()).toContain('Votre conseiller France Services a vérifié votre identité')
    // A shared computer: the browser never offers a date of birth typed by someone else.
    expect($('#birthDate-day').attr('autocomplete')).toBe('off')
    // Jean only confirms: the identity the agent checked carries him to the next step.
    r = await a
      .post('/activer-mon-profil/identite')
      .type('form')
      .send({ _csrf: $('form input[name=_csrf]').val() as string, nir: $('#nir').val() as string, ...dateFields(p.birthDate) })
    expect(r.headers.location).toBe('/activer-mon-profil/identifiant')
    // The opposition journey starts the same way; an assisted session opened without a person does not.
    expect(cheerio.load((await a.get('/opposition')).text)('#identite-verifiee-au-guichet').length).toBe(1)
    const plain = agent(t.app)
    await signIn(plain, t.db, 'agent', NADIA.login, NADIA.password)
    await submitForm(plain, '/france-services/session-accompagnee', {})
    expect(cheerio.load((await plain.get('/session-accompagnee')).text)('#personne-accompagnee').length).toBe(0)
    expect(
      cheerio
        .load((await plain.get('/opposition')).text)('#nir')
        .val() ?? '',
    ).toBe('')
  })

  it('une personne sans courriel reçoit un nouveau code par SMS, au numéro que le conseiller vérifie sur place (issue 16 §4)', async () => {
    const p = await createPerson(t.db, { email: null, lastName: 'Sanscourriel', codeDaysAgo: 10 })
    const a = agent(t.app)
    await signIn(a, t.db, 'agent', NADIA.login, NADIA.password)
    await submitForm(a, '/france-services/accompagner', identity({ nir: p.nir, birthDate: p.birthDate, surname: p.lastName }))
    const page = cheerio.load((await a.get('/france-services/personne')).text)
    expect(page('main').text()).toContain("Ou l'envoyer par SMS, tout de suite")
    // The number must be given and checked with the person.
    let r = await submitForm(a, '/france-services/personne', { canal: 'sms', mobile: '06 12' }, '/france-services/personne/nouveau-code')
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'mobile')).toContain('Saisissez un numéro de mobile français valide')
    expect(errorText(r.text, 'mobileVerifie')).toContain('Cochez la case pour attester que vous avez vérifié ce numéro avec la personne')
    expect(await t.db('outbox').where({ recipient: '0698765432' }).first()).toBeUndefined()
    r = await submitForm(
      a,
      '/france-services/personne',
      { canal: 'sms', mobile: '06 98 76 54 32', mobileVerifie: 'yes' },
      '/france-services/personne/nouveau-code',
    )
    expect(r.status).toBe(303)
    const sms = await lastMessage(t.db, '0698765432', 'provisional-code')
    expect(sms.body).toMatch(/votre code provisoire est [0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{4}/)
    // The code sent works, the old one no longer does; the receipt masks the number.
    const code = await t.db('provisional_codes').where({ person_id: p.id }).orderBy('created_at', 'desc').first()
    expect(code.channel).toBe('sms')
    const receipt = await a.get(r.headers.location)
    expect(text(receipt.text)).toContain('par SMS au 06 •• •• •• 32')
    expect(receipt.text).not.toContain('0698765432')
    // A person with an e-mail address on file gets no SMS form (the code goes to the address).
    await submitForm(a, '/france-services/accompagner', identity({ nir: JEAN.nir, birthDate: JEAN.birth_date, surname: 'Dupont' }))
    expect(
      cheerio
        .load((await a.get('/france-services/personne')).text)('main')
        .text(),
    ).not.toContain('par SMS')
  })

  it('la fiche d’aide imprimable parle simplement et donne le 3422', async () => {
    const a = agent(t.app)
    await signIn(a, t.db, 'agent', NADIA.login, NADIA.password)
    const r = await a.get('/france-services/fiche-aide')
    expect(r.status).toBe(200)
    expect(h1(r.text)).toBe('Se connecter à Mon espace santé')
    expect(text(r.text)).toContain('3422')
    expect(text(r.text)).toContain('Me connecter')
    expect((await agent(t.app).get('/france-services/fiche-aide')).status).toBe(303)
  })
})
