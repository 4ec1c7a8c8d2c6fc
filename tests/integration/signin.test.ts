import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, lastMessage, otpIn, signIn, submitForm } from '../helpers/http'
import { CAMILLE, LOUIS, NADIA, PROS } from '../helpers/demo'

describe('connexion avec un second facteur', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  it('connecte Camille : identifiant + mot de passe, puis code reçu par courriel ; nouvelle session ; courriel « Nouvelle connexion »', async () => {
    const a = agent(t.app)
    const page = await a.get('/connexion')
    const before = page.headers['set-cookie'][0].split(';')[0]
    const first = await submitForm(a, '/connexion', { login: CAMILLE.login, password: CAMILLE.password })
    expect(first.status).toBe(303)
    expect(first.headers.location).toBe('/connexion/code')
    const codePage = await a.get('/connexion/code')
    expect(codePage.text).toContain('c•••@courriel.example')
    const msg = await lastMessage(t.db, CAMILLE.email, 'otp')
    expect(msg.subject).toBe('Votre code de connexion')
    const second = await submitForm(a, '/connexion/code', { code: otpIn(msg.body) })
    expect(second.status).toBe(303)
    expect(second.headers.location).toBe('/mon-espace')
    const after = second.headers['set-cookie'][0].split(';')[0]
    expect(after).not.toBe(before)
    const home = await a.get('/mon-espace')
    expect(home.text).toContain('Bonjour Camille')
    const notice = await lastMessage(t.db, CAMILLE.email, 'new-signin')
    expect(notice.subject).toBe('Nouvelle connexion à votre profil')
    expect(notice.body).not.toMatch(/\b\d{6}\b/)
    const person = await t.db('accounts').where({ login: CAMILLE.login }).first()
    const row = await t
      .db('activity_log')
      .where({ action: 'account.signin', subject_person_id: person.person_id })
      .orderBy('id', 'desc')
      .first()
    expect(row).toBeTruthy()
    expect(row.actor_role).toBe('patient')
    const devices = await t.db('account_sessions').where({ account_id: person.id })
    expect(devices.length).toBeGreaterThanOrEqual(1)
  })

  it('ramène à la page demandée avant la connexion, si elle est de ce type de compte', async () => {
    const a = agent(t.app)
    const asked = await a.get('/documents?ajoute-par=professionnels')
    expect(asked.status).toBe(303)
    expect(asked.headers.location).toBe('/connexion')
    await submitForm(a, '/connexion', { login: CAMILLE.login, password: CAMILLE.password })
    const back = await submitForm(a, '/connexion/code', { code: otpIn((await lastMessage(t.db, CAMILLE.email, 'otp')).body) })
    expect(back.status).toBe(303)
    expect(back.headers.location).toBe('/documents?ajoute-par=professionnels')

    // A professional's page asked for, then a patient signs in: her own home, not a page she may not open.
    const b = agent(t.app)
    expect((await b.get('/pro/patient')).headers.location).toBe('/pro/connexion')
    await submitForm(b, '/connexion', { login: CAMILLE.login, password: CAMILLE.password })
    const home = await submitForm(b, '/connexion/code', { code: otpIn((await lastMessage(t.db, CAMILLE.email, 'otp')).body) })
    expect(home.headers.location).toBe('/mon-espace')
  })

  it('répond la même chose pour un identifiant inconnu et un mauvais mot de passe', async () => {
    const a = agent(t.app)
    const unknown = await submitForm(a, '/connexion', { login: 'personne.inconnue', password: 'un mot de passe quelconque' })
    const wrong = await submitForm(a, '/connexion', { login: CAMILLE.login, password: 'pas le bon mot de passe' })
    expect(unknown.status).toBe(400)
    expect(wrong.status).toBe(400)
    const message = (html: string) => cheerio.load(html)('#login-error').text().replace(/\s+/g, ' ').trim()
    expect(message(unknown.text)).toBe(message(wrong.text))
    expect(message(wrong.text)).toBe("Erreur : L'identifiant ou le mot de passe est incorrect")
    expect(wrong.text).toContain('<title>Erreur : Me connecter – Mon espace santé</title>')
    expect(cheerio.load(wrong.text)('#login').attr('value')).toBe(CAMILLE.login)
    expect(cheerio.load(wrong.text)('#password').attr('value')).toBeUndefined()
  })

  it('signale les champs vides à côté de chaque champ', async () => {
    const res = await submitForm(agent(t.app), '/connexion', { login: '', password: '' })
    const $ = cheerio.load(res.text)
    expect($('.govuk-error-summary a[href="#login"]').text()).toBe('Saisissez votre identifiant')
    expect($('.govuk-error-summary a[href="#password"]').text()).toBe('Saisissez votre mot de passe')
  })

  it('limite les essais de code : 5 au plus, puis le code ne fonctionne plus', async () => {
    const a = agent(t.app)
    await submitForm(a, '/connexion', { login: CAMILLE.login, password: CAMILLE.password })
    const good = otpIn((await lastMessage(t.db, CAMILLE.email, 'otp')).body)
    const bad = good === '000000' ? '111111' : '000000'
    for (let i = 4; i >= 1; i--) {
      const r = await submitForm(a, '/connexion/code', { code: bad })
      expect(r.status).toBe(400)
      expect(r.text).toContain(`Il vous reste ${i} essai`)
    }
    const fifth = await submitForm(a, '/connexion/code', { code: bad })
    expect(fifth.text).toContain('Vous avez fait 5 essais incorrects')
    const late = await submitForm(a, '/connexion/code', { code: good })
    expect(late.status).toBe(400)
    expect((await a.get('/mon-espace')).status).toBe(303)
  })

  it('un code ne sert qu’une fois, et un nouveau code annule l’ancien', async () => {
    const a = agent(t.app)
    await submitForm(a, '/connexion', { login: CAMILLE.login, password: CAMILLE.password })
    const first = otpIn((await lastMessage(t.db, CAMILLE.email, 'otp')).body)
    const resent = await submitForm(a, '/connexion/code', {}, '/connexion/code/renvoyer')
    expect(resent.status).toBe(303)
    const second = otpIn((await lastMessage(t.db, CAMILLE.email, 'otp')).body)
    if (first !== second) {
      const old = await submitForm(a, '/connexion/code', { code: first })
      expect(old.status).toBe(400)
    }
    const ok = await submitForm(a, '/connexion/code', { code: second })
    expect(ok.status).toBe(303)
  })

  it("ne ralentit pas une personne qui se connecte souvent : seuls les essais ratés comptent (12 connexions réussies d'affilée)", async () => {
    // Over the limits if successes counted: 5 free failures per login and address, 5 codes sent per account.
    for (let i = 0; i < 12; i++) await signIn(agent(t.app), t.db, 'professional', PROS.moreau.login, PROS.moreau.password)
    // Failed attempts still count, and slow this login down from this address.
    const a = agent(t.app)
    let last: Awaited<ReturnType<typeof submitForm>> | undefined
    for (let i = 0; i < 7; i++) last = await submitForm(a, '/pro/connexion', { login: PROS.moreau.login, password: `essai ${i}` })
    expect(last!.status).toBe(429)
    expect(last!.text).toContain('Trop de tentatives de connexion incorrectes pour cet identifiant')
    // ...even with the right password, until the wait is over (from this address).
    const right = await submitForm(a, '/pro/connexion', { login: PROS.moreau.login, password: PROS.moreau.password })
    expect(right.status).toBe(429)
  })

  it('ralentit un identifiant après 5 essais ratés depuis une adresse : attente croissante (429 en français, Retry-After)', async () => {
    const a = agent(t.app)
    const statuses: number[] = []
    let last: Awaited<ReturnType<typeof submitForm>> | undefined
    for (let i = 0; i < 7; i++) {
      last = await submitForm(a, '/connexion', { login: 'cible.attaque', password: `essai ${i}` })
      statuses.push(last.status)
    }
    // 5 free failures, the 6th sets a wait, the 7th is refused without being checked.
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 429])
    expect(last!.text).toContain('Trop de tentatives de connexion incorrectes pour cet identifiant')
    expect(last!.text).toMatch(/attendez \d+ secondes avant de réessayer/)
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0)
  })

  it.each([
    ['professional', '/pro/connexion', PROS.bernard, '/pro', 'Espace professionnel'],
    ['agent', '/france-services/connexion', NADIA, '/france-services', 'Espace France Services'],
    ['operator', '/back-office/connexion', LOUIS, '/back-office', 'Espace Assurance Maladie'],
  ] as const)('connecte un compte %s sur sa propre page', async (kind, _url, who, home, title) => {
    const a = agent(t.app)
    await signIn(a, t.db, kind, who.login, who.password)
    const res = await a.get(home)
    expect(res.status).toBe(200)
    expect(res.text).toContain(title)
    // Another kind's space is refused.
    expect((await a.get('/mon-espace')).status).toBe(403)
  })

  it('refuse un numéro RPPS dont la clé est fausse, sans chercher le compte', async () => {
    const res = await submitForm(agent(t.app), '/pro/connexion', { login: '10100012343', password: 'x' })
    expect(res.status).toBe(400)
    expect(cheerio.load(res.text)('#login-error').text()).toContain("Le numéro RPPS n'est pas valide")
  })

  it('se déconnecter détruit la session pour de vrai', async () => {
    const a = agent(t.app)
    await signIn(a, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const home = await a.get('/mon-espace')
    const token = cheerio.load(home.text)('form[action="/deconnexion"] input[name="_csrf"]').attr('value')!
    const sid = await t.db('account_sessions').orderBy('created_at', 'desc').first()
    expect(await t.redis!.exists(`${t.config.redisPrefix}sess:${sid.sid}`)).toBe(1)
    const out = await a.post('/deconnexion').type('form').send({ _csrf: token })
    expect(out.status).toBe(303)
    expect(out.headers.location).toBe('/connexion?deconnecte=1')
    expect((await a.get('/mon-espace')).status).toBe(303)
    expect(await t.redis!.exists(`${t.config.redisPrefix}sess:${sid.sid}`)).toBe(0)
    expect(await t.db('account_sessions').where({ sid: sid.sid }).first()).toBeUndefined()
  })
})
