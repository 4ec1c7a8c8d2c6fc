import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, lastMessage, otpIn, signIn, submitForm, type Agent } from '../helpers/http'
import { createAccount, errorText, h1 } from '../helpers/lifecycle'
import { PASSWORD_MESSAGES } from '../../src/domain/password'

const NEW_PASSWORD = 'Hibou calme sous la lune 31'

describe('connexion : identifiant oublié, mot de passe oublié, réouverture', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  const sessionKey = (sid: string) => `${t.config.redisPrefix}sess:${sid}`
  const sidsOf = async (accountId: string) => (await t.db('account_sessions').where({ account_id: accountId })).map((r) => r.sid as string)

  it('la page de connexion mène à « Identifiant oublié » et « Mot de passe oublié »', async () => {
    const $ = cheerio.load((await agent(t.app).get('/connexion')).text)
    expect($('a[href="/connexion/identifiant-oublie"]').text()).toBe('Identifiant oublié')
    expect($('a[href="/connexion/mot-de-passe-oublie"]').text()).toBe('Mot de passe oublié')
  })

  it('« Identifiant oublié » envoie l’identifiant par courriel, avec la même réponse pour une adresse inconnue', async () => {
    const u = await createAccount(t.db)
    const known = await submitForm(agent(t.app), '/connexion/identifiant-oublie', { email: u.email })
    const unknown = await submitForm(agent(t.app), '/connexion/identifiant-oublie', { email: 'personne@courriel.example' })
    expect(known.status).toBe(303)
    expect(unknown.headers.location).toBe(known.headers.location)
    const mail = await lastMessage(t.db, u.email, 'forgotten-identifiant')
    expect(mail.body).toContain(u.login)
    expect(await t.db('outbox').where({ recipient: 'personne@courriel.example' }).first()).toBeUndefined()
    const bad = await submitForm(agent(t.app), '/connexion/identifiant-oublie', { email: 'pas une adresse' })
    expect(bad.status).toBe(400)
  })

  it('« Mot de passe oublié » : lien de 30 minutes, puis le code à usage unique, puis le nouveau mot de passe ; les sessions ouvertes sont fermées', async () => {
    const u = await createAccount(t.db)
    const other = agent(t.app)
    await signIn(other, t.db, 'patient', u.login, u.password)
    const [otherSid] = await sidsOf(u.accountId)
    expect(await t.redis!.exists(sessionKey(otherSid))).toBe(1)

    const unknown = await submitForm(agent(t.app), '/connexion/mot-de-passe-oublie', { login: 'inconnu.total' })
    const a = agent(t.app)
    const known = await submitForm(a, '/connexion/mot-de-passe-oublie', { login: u.login })
    expect(known.headers.location).toBe(unknown.headers.location)
    const mail = await lastMessage(t.db, u.email, 'password-reset')
    const link = mail.body.match(/(\/connexion\/nouveau-mot-de-passe\?jeton=[A-Za-z0-9_-]+)/)![1]
    // No way around the second factor.
    expect((await a.get('/connexion/nouveau-mot-de-passe/choisir')).headers.location).toBe('/connexion/mot-de-passe-oublie')
    const open = await a.get(link)
    expect(open.headers.location).toBe('/connexion/nouveau-mot-de-passe/code')
    expect((await agent(t.app).get(link)).status).toBe(400) // a link serves once
    const code = otpIn((await lastMessage(t.db, u.email, 'otp')).body)
    const wrong = await submitForm(a, '/connexion/nouveau-mot-de-passe/code', { code: code === '000000' ? '111111' : '000000' })
    expect(wrong.status).toBe(400)
    expect((await a.get('/connexion/nouveau-mot-de-passe/choisir')).headers.location).toBe('/connexion/mot-de-passe-oublie')
    expect((await submitForm(a, '/connexion/nouveau-mot-de-passe/code', { code })).headers.location).toBe(
      '/connexion/nouveau-mot-de-passe/choisir',
    )
    let r = await submitForm(a, '/connexion/nouveau-mot-de-passe/choisir', { password: 'azertyuiop123', confirmation: 'azertyuiop123' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'password')).toBe(PASSWORD_MESSAGES.common)
    r = await submitForm(a, '/connexion/nouveau-mot-de-passe/choisir', { password: NEW_PASSWORD, confirmation: NEW_PASSWORD })
    expect(r.headers.location).toBe('/connexion')
    expect(await t.redis!.exists(sessionKey(otherSid))).toBe(0)
    expect((await other.get('/mon-espace')).status).toBe(303)
    expect((await lastMessage(t.db, u.email, 'password-changed')).subject).toBe('Votre mot de passe a été changé')
    const old = await submitForm(agent(t.app), '/connexion', { login: u.login, password: u.password })
    expect(old.status).toBe(400)
    await signIn(agent(t.app), t.db, 'patient', u.login, NEW_PASSWORD)
  })

  it('un lien de plus de 30 minutes ne sert plus', async () => {
    const u = await createAccount(t.db)
    await submitForm(agent(t.app), '/connexion/mot-de-passe-oublie', { login: u.login })
    const link = (await lastMessage(t.db, u.email, 'password-reset')).body.match(
      /(\/connexion\/nouveau-mot-de-passe\?jeton=[A-Za-z0-9_-]+)/,
    )![1]
    await t
      .db('account_tokens')
      .where({ account_id: u.accountId })
      .update({ expires_at: new Date(Date.now() - 1000) })
    const r = await agent(t.app).get(link)
    expect(r.status).toBe(400)
    expect(h1(r.text)).toBe("Ce lien n'est plus valable")
  })
})

describe('mon compte', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })
  const sessionKey = (sid: string) => `${t.config.redisPrefix}sess:${sid}`

  async function signedIn(u: { login: string; password: string }): Promise<Agent> {
    const a = agent(t.app)
    await signIn(a, t.db, 'patient', u.login, u.password)
    return a
  }

  it('demande une connexion et n’est jamais mis en cache', async () => {
    expect((await agent(t.app).get('/mon-compte')).headers.location).toBe('/connexion')
    const u = await createAccount(t.db)
    const a = await signedIn(u)
    const page = await a.get('/mon-compte')
    expect(page.status).toBe(200)
    expect(page.headers['cache-control']).toContain('no-store')
    expect(h1(page.text)).toBe('Mon compte')
    expect(page.text).toContain(u.login)
  })

  it('modifie le mobile avec le mot de passe, et une nouvelle adresse après vérification par code', async () => {
    const u = await createAccount(t.db)
    const a = await signedIn(u)
    let r = await submitForm(
      a,
      '/mon-compte/coordonnees',
      { email: u.email, mobile: '0622334455', password: 'pas le bon' },
      '/mon-compte/coordonnees',
    )
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'password')).toBe('Le mot de passe est incorrect')
    r = await submitForm(
      a,
      '/mon-compte/coordonnees',
      { email: u.email, mobile: '0622334455', password: u.password },
      '/mon-compte/coordonnees',
    )
    expect(r.headers.location).toBe('/mon-compte')
    expect((await t.db('accounts').where({ id: u.accountId }).first()).mobile).toBe('0622334455')
    r = await submitForm(
      a,
      '/mon-compte/coordonnees',
      { email: 'nouvelle.adresse@courriel.example', mobile: '0622334455', password: u.password },
      '/mon-compte/coordonnees',
    )
    expect(r.headers.location).toBe('/mon-compte/coordonnees/verification')
    expect((await t.db('accounts').where({ id: u.accountId }).first()).email).toBe(u.email)
    const code = otpIn((await lastMessage(t.db, 'nouvelle.adresse@courriel.example', 'email-verification')).body)
    r = await submitForm(a, '/mon-compte/coordonnees/verification', { code }, '/mon-compte/coordonnees/verification')
    expect(r.headers.location).toBe('/mon-compte')
    expect((await t.db('accounts').where({ id: u.accountId }).first()).email).toBe('nouvelle.adresse@courriel.example')
    expect((await lastMessage(t.db, u.email, 'contact-changed')).subject).toBe('Vos coordonnées ont été modifiées')
    const rows = await t.db('activity_log').where({ subject_person_id: u.id, action: 'account.contact_changed' })
    expect(rows).toHaveLength(2)
  })

  it('change le mot de passe (règles comprises) et ferme les autres sessions, pas celle-ci', async () => {
    const u = await createAccount(t.db)
    const other = await signedIn(u)
    const a = await signedIn(u)
    const sids = (await t.db('account_sessions').where({ account_id: u.accountId }).orderBy('created_at')).map((r) => r.sid)
    expect(sids).toHaveLength(2)
    let r = await submitForm(
      a,
      '/mon-compte/mot-de-passe',
      { current: u.password, password: `${u.firstNames} et les hiboux`, confirmation: `${u.firstNames} et les hiboux` },
      '/mon-compte/mot-de-passe',
    )
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'password')).toBe(PASSWORD_MESSAGES.name)
    r = await submitForm(
      a,
      '/mon-compte/mot-de-passe',
      { current: u.password, password: NEW_PASSWORD, confirmation: NEW_PASSWORD },
      '/mon-compte/mot-de-passe',
    )
    expect(r.headers.location).toBe('/mon-compte')
    expect(await t.redis!.exists(sessionKey(sids[0]))).toBe(0)
    expect(await t.redis!.exists(sessionKey(sids[1]))).toBe(1)
    expect((await other.get('/mon-compte')).status).toBe(303)
    expect((await a.get('/mon-compte')).status).toBe(200)
  })

  it('5 mots de passe faux à la suite déconnectent (429)', async () => {
    const u = await createAccount(t.db)
    const a = await signedIn(u)
    const [sid] = (await t.db('account_sessions').where({ account_id: u.accountId })).map((r) => r.sid)
    let r: Awaited<ReturnType<typeof submitForm>> | undefined
    for (let i = 0; i < 5; i++)
      r = await submitForm(
        a,
        '/mon-compte/mot-de-passe',
        { current: `faux ${i}`, password: NEW_PASSWORD, confirmation: NEW_PASSWORD },
        '/mon-compte/mot-de-passe',
      )
    expect(r!.status).toBe(429)
    expect(r!.text).toContain('vous avez été déconnecté')
    expect(await t.redis!.exists(sessionKey(sid))).toBe(0)
    expect((await a.get('/mon-compte')).status).toBe(303)
  })

  it('les notifications se règlent une à une ; sans « Nouvelle connexion », plus de courriel à la connexion ; l’accès en urgence reste signalé', async () => {
    const u = await createAccount(t.db)
    const a = await signedIn(u)
    const page = cheerio.load((await a.get('/mon-compte/notifications')).text)
    expect(page('input[name="notifications[]"]').length).toBe(6)
    expect(page('input[name="notifications[]"]:checked').length).toBe(6)
    expect(page('main').text()).toContain('Les accès en urgence à votre profil vous sont toujours signalés')
    await submitForm(
      a,
      '/mon-compte/notifications',
      { 'notifications[]': ['professional_access', 'new_message', 'prevention_due'] },
      '/mon-compte/notifications',
    )
    const prefs = t.services.notificationPrefs
    expect(await prefs.wants(u.id, 'new_signin')).toBe(false)
    expect(await prefs.wants(u.id, 'new_document')).toBe(false)
    expect(await prefs.wants(u.id, 'new_message')).toBe(true)
    expect(await prefs.wants(u.id, 'emergency_access')).toBe(true)
    expect(await prefs.recipient(u.id, 'professional_access')).toBe(u.email)
    const before = await t.db('outbox').where({ recipient: u.email, kind: 'new-signin' }).count('* as n').first()
    await signedIn(u)
    expect(await t.db('outbox').where({ recipient: u.email, kind: 'new-signin' }).count('* as n').first()).toEqual(before)
    const row = await t.db('activity_log').where({ subject_person_id: u.id, action: 'account.notifications_changed' }).first()
    expect(row.details.off).toEqual(['new_signin', 'new_document', 'connected_services'])
  })

  it('liste les appareils connectés et en déconnecte un, puis tous, pour de vrai dans Redis', async () => {
    const u = await createAccount(t.db)
    const phone = await signedIn(u)
    const a = await signedIn(u)
    const list = cheerio.load((await a.get('/mon-compte/appareils')).text)
    expect(list('input[name="device"]').length).toBe(2)
    expect(list('main').text()).toContain('(cet appareil)')
    const rows = await t.db('account_sessions').where({ account_id: u.accountId }).orderBy('created_at')
    for (const row of rows) expect(list.html()).not.toContain(row.sid) // no session id on the page
    const phoneRow = rows[0]
    let r = await submitForm(a, '/mon-compte/appareils', { device: phoneRow.public_id }, '/mon-compte/appareils/deconnecter')
    expect(r.headers.location).toBe('/mon-compte/appareils')
    expect(await t.redis!.exists(sessionKey(phoneRow.sid))).toBe(0)
    expect((await phone.get('/mon-espace')).status).toBe(303)
    expect((await a.get('/mon-espace')).status).toBe(200)
    const again = await signedIn(u)
    r = await submitForm(a, '/mon-compte/appareils', {}, '/mon-compte/appareils/deconnecter-partout')
    expect(r.headers.location).toBe('/connexion?deconnecte=1')
    for (const row of await t.db('account_sessions').where({ account_id: u.accountId }))
      expect(await t.redis!.exists(sessionKey(row.sid))).toBe(0)
    expect(await t.db('account_sessions').where({ account_id: u.accountId }).first()).toBeUndefined()
    expect((await again.get('/mon-espace')).status).toBe(303)
    expect((await a.get('/mon-espace')).status).toBe(303)
    // Another account's device cannot be signed out.
    const other = await createAccount(t.db)
    await signedIn(other)
    const otherRow = await t.db('account_sessions').where({ account_id: other.accountId }).first()
    const b = await signedIn(u)
    await submitForm(b, '/mon-compte/appareils', { device: otherRow.public_id }, '/mon-compte/appareils/deconnecter')
    expect(await t.redis!.exists(sessionKey(otherRow.sid))).toBe(1)
  })

  it('« Fermer mon profil » : mot de passe, archivage 10 ans, sessions fermées, courriel, historique ; puis réouverture depuis la connexion, données comme avant', async () => {
    const u = await createAccount(t.db)
    const other = await signedIn(u)
    const a = await signedIn(u)
    let r = await submitForm(a, '/mon-compte/fermer', { password: u.password }, '/mon-compte/fermer')
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'data')).toBe('Indiquez ce que deviennent vos données')
    r = await submitForm(a, '/mon-compte/fermer', { data: 'archive', password: 'faux mot de passe' }, '/mon-compte/fermer')
    expect(errorText(r.text, 'password')).toBe('Le mot de passe est incorrect')
    const sids = (await t.db('account_sessions').where({ account_id: u.accountId })).map((x) => x.sid)
    r = await submitForm(a, '/mon-compte/fermer', { data: 'archive', password: u.password }, '/mon-compte/fermer')
    expect(r.headers.location).toBe('/profil-ferme')
    const closedPage = await a.get('/profil-ferme')
    expect(h1(closedPage.text)).toBe('Votre profil est fermé')
    const space = await t.db('spaces').where({ person_id: u.id }).first()
    expect(space.state).toBe('closed')
    expect(Number(space.archive_until.slice(0, 4)) - new Date().getFullYear()).toBe(10)
    expect(space.deletion_requested_at).toBeNull()
    for (const sid of sids) expect(await t.redis!.exists(sessionKey(sid))).toBe(0)
    expect((await other.get('/mon-espace')).status).toBe(303)
    expect((await a.get('/mon-compte')).status).toBe(303)
    expect((await lastMessage(t.db, u.email, 'space-closed')).subject).toBe('Votre profil Mon espace santé est fermé')
    expect(await t.db('activity_log').where({ subject_person_id: u.id, action: 'space.closed' }).first()).toBeTruthy()

    // Reopening: the right password on /connexion leads to «Rouvrir mon profil», then the one-time code.
    const b = agent(t.app)
    r = await submitForm(b, '/connexion', { login: u.login, password: u.password })
    expect(r.headers.location).toBe('/connexion/rouvrir')
    const reopenPage = await b.get('/connexion/rouvrir')
    expect(h1(reopenPage.text)).toBe('Rouvrir mon profil')
    r = await submitForm(b, '/connexion/rouvrir', {})
    expect(r.headers.location).toBe('/connexion/rouvrir/code')
    const code = otpIn((await lastMessage(t.db, u.email, 'otp')).body)
    r = await submitForm(b, '/connexion/rouvrir/code', { code })
    expect(r.headers.location).toBe('/mon-espace')
    expect((await b.get('/mon-espace')).text).toContain('Votre profil est rouvert')
    const reopened = await t.db('spaces').where({ person_id: u.id }).first()
    expect(reopened).toMatchObject({ state: 'activated', closed_at: null, archive_until: null })
    expect(await t.db('activity_log').where({ subject_person_id: u.id, action: 'space.reopened' }).first()).toBeTruthy()
    // A wrong password on a closed space answers like any wrong password.
  })

  it('fermeture avec suppression demandée ; après la suppression, plus de réouverture', async () => {
    const u = await createAccount(t.db)
    const a = await signedIn(u)
    await submitForm(a, '/mon-compte/fermer', { data: 'delete', password: u.password }, '/mon-compte/fermer')
    const space = await t.db('spaces').where({ person_id: u.id }).first()
    expect(space.deletion_requested_at).toBeTruthy()
    const wrong = await submitForm(agent(t.app), '/connexion', { login: u.login, password: 'pas le bon mot de passe' })
    expect(errorText(wrong.text, 'login')).toBe("L'identifiant ou le mot de passe est incorrect")
    await t
      .db('spaces')
      .where({ person_id: u.id })
      .update({ deletion_requested_at: new Date(Date.now() - 100 * 86400000) })
    const b = agent(t.app)
    await submitForm(b, '/connexion', { login: u.login, password: u.password })
    const r = await b.get('/connexion/rouvrir')
    expect(r.status).toBe(400)
    expect(h1(r.text)).toBe('Votre profil ne peut plus être rouvert')
  })
})
