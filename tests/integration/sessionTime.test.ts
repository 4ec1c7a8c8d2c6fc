import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, lastMessage, otpIn, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, HELENE, NADIA } from '../helpers/demo'
import { dateFields } from '../helpers/lifecycle'
import { isoDate } from '../../src/domain/parisTime'
import { isSecretField } from '../../src/middleware/savedForms'

const MIN = 60 * 1000

describe('limites de temps : annoncées, prolongées, et un formulaire envoyé trop tard est gardé (issue 16 §3)', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  const sidOf = (a: Agent) => {
    const c = a.jar.getCookie('mes_session', { domain: '127.0.0.1', path: '/', secure: false, script: false })
    if (!c) throw new Error('pas de cookie de session')
    return decodeURIComponent(c.value).replace(/^s:/, '').split('.')[0]
  }
  const key = (sid: string) => `${t.config.redisPrefix}sess:${sid}`
  const readSession = async (a: Agent) => JSON.parse((await t.redis!.get(key(sidOf(a))))!)
  /** Moves the session's last activity back in time (the server's idle clock). */
  const idleFor = async (a: Agent, ms: number) => {
    const s = await readSession(a)
    s.lastSeenAt = Date.now() - ms
    await t.redis!.set(key(sidOf(a)), JSON.stringify(s), { KEEPTTL: true })
  }
  const signedInCamille = async () => {
    const a = agent(t.app)
    await signIn(a, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    return a
  }

  it('chaque espace connecté dit sa limite en mots simples ; la page publique sans connexion ne dit rien', async () => {
    const camille = await signedInCamille()
    const $ = cheerio.load((await camille.get('/mon-espace')).text)
    expect($('#limite-de-session').text()).toContain('vous serez déconnecté après 15 minutes sans activité')
    expect($('#limite-de-session').attr('data-keep-alive-url')).toBe('/session/prolonger')
    const remaining = Number($('#limite-de-session').attr('data-remaining-ms'))
    expect(remaining).toBeGreaterThan(13 * MIN)
    expect(remaining).toBeLessThanOrEqual(15 * MIN)

    const nadia = agent(t.app)
    await signIn(nadia, t.db, 'agent', NADIA.login, NADIA.password)
    expect(
      cheerio
        .load((await nadia.get('/france-services')).text)('#limite-de-session')
        .text(),
    ).toContain('15 minutes sans activité')
    // The assisted session at the counter: 5 minutes, and nothing kept.
    await submitForm(nadia, '/france-services/session-accompagnee', {})
    const assisted = cheerio.load((await nadia.get('/session-accompagnee')).text)('#limite-de-session')
    expect(assisted.text()).toContain('la session accompagnée se termine après 5 minutes sans activité')
    expect(assisted.attr('data-assisted')).toBe('true')

    const visitor = agent(t.app)
    expect(cheerio.load((await visitor.get('/aide')).text)('#limite-de-session').length).toBe(0)
  })

  it('« Rester connecté » remet le compteur à zéro, avec le jeton de la session ; sans jeton, 403 et rien ne change', async () => {
    const camille = await signedInCamille()
    const token = csrfOf((await camille.get('/mon-espace')).text)
    let r = await camille.post('/session/prolonger').set('accept', 'application/json')
    expect(r.status).toBe(403)
    await idleFor(camille, 14 * MIN)
    r = await camille.post('/session/prolonger').set('accept', 'application/json').set('x-csrf-token', token)
    expect(r.status).toBe(200)
    expect(r.body.remainingMs).toBeGreaterThan(14 * MIN)
    expect((await readSession(camille)).lastSeenAt).toBeGreaterThan(Date.now() - MIN)
    // Sixteen minutes after the last activity, it would have ended; 14 + the renewal: still signed in.
    expect((await camille.get('/mon-espace')).status).toBe(200)
    // Without JavaScript, the same form post comes back to the page.
    r = await camille
      .post('/session/prolonger')
      .type('form')
      .set('host', 'mes.test')
      .set('referer', 'http://mes.test/agenda')
      .send({ _csrf: token })
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/agenda')
  })

  it('un rendez-vous envoyé après 15 minutes : rien n’est fait, le formulaire est gardé chiffré, puis rendu rempli à Camille après sa reconnexion', async () => {
    const camille = await signedInCamille()
    const page = await camille.get('/agenda/nouveau')
    const token = csrfOf(page.text)
    const before = await t.db('agenda_events').count({ n: '*' }).first()
    await idleFor(camille, 16 * MIN)
    const date = isoDate(new Date(Date.now() + 20 * 24 * 60 * MIN))
    const r = await camille
      .post('/agenda/nouveau')
      .type('form')
      .set('referer', 'http://127.0.0.1/agenda/nouveau')
      .send({ _csrf: token, title: 'Kinésithérapeute Dr Ozturk', ...dateFields(date, 'date'), time: '10h15', notes: 'Genou droit' })
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/connexion')
    // Nothing done with the expired session's request.
    expect(await t.db('agenda_events').count({ n: '*' }).first()).toEqual(before)
    // Kept in the new session's store entry, sealed: no typed word readable there.
    const raw = (await t.redis!.get(key(sidOf(camille))))!
    expect(raw).toContain('savedForm')
    expect(raw).not.toContain('Ozturk')
    expect(raw).not.toContain('Genou')
    const signinPage = cheerio.load((await camille.get('/connexion')).text)
    expect(signinPage('.govuk-notification-banner').text()).toContain('vous retrouverez le formulaire que vous envoyiez')

    // Sign in again (password and code): back on the same form, filled, with the notice.
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const again = await camille.get('/agenda/nouveau')
    const $ = cheerio.load(again.text)
    expect($('#title').val()).toBe('Kinésithérapeute Dr Ozturk')
    expect($('#time').val()).toBe('10h15')
    expect($('#date-year').val()).toBe(date.slice(0, 4))
    expect($('#notes').text()).toBe('Genou droit')
    expect($('.govuk-notification-banner').text()).toContain('le formulaire est rempli avec ce que vous aviez saisi')
    // Never sent for her: she sends it herself, with the new session's token.
    expect(await t.db('agenda_events').count({ n: '*' }).first()).toEqual(before)
    const sent = await camille
      .post('/agenda/nouveau')
      .type('form')
      .send({ _csrf: csrfOf(again.text), title: $('#title').val() as string, ...dateFields(date, 'date'), time: '10h15' })
    expect(sent.status).toBe(303)
    // Once only.
    expect(
      cheerio
        .load((await camille.get('/agenda/nouveau')).text)('#title')
        .val() ?? '',
    ).toBe('')
  })

  it('un mot de passe changé trop tard : la reconnexion ramène à la page, les secrets ne sont jamais gardés et la page le dit', async () => {
    const camille = await signedInCamille()
    const token = csrfOf((await camille.get('/mon-compte/mot-de-passe')).text)
    await idleFor(camille, 16 * MIN)
    const r = await camille.post('/mon-compte/mot-de-passe').type('form').set('referer', 'http://127.0.0.1/mon-compte/mot-de-passe').send({
      _csrf: token,
      current: CAMILLE.password,
      password: 'Un nouveau mot de passe 2026',
      confirmation: 'Un nouveau mot de passe 2026',
    })
    expect(r.headers.location).toBe('/connexion')
    // Secrets are never kept, not even sealed: the form had nothing else, the notice asks for them again.
    const first = await submitForm(camille, '/connexion', { login: CAMILLE.login, password: CAMILLE.password })
    expect(first.status).toBe(303)
    const account = await t.db('accounts').where({ login: CAMILLE.login }).first()
    const code = otpIn((await lastMessage(t.db, account.mobile ?? account.email, 'otp')).body)
    const second = await submitForm(camille, '/connexion/code', { code })
    expect(second.headers.location).toBe('/mon-compte/mot-de-passe')
    const $ = cheerio.load((await camille.get('/mon-compte/mot-de-passe')).text)
    expect($('.govuk-notification-banner').text()).toContain('donnez de nouveau le mot de passe')
    expect(
      $('input[type=password]')
        .toArray()
        .every((i) => !$(i).attr('value')),
    ).toBe(true)
  })

  it('une autre personne qui se connecte sur le même ordinateur ne voit jamais le formulaire gardé', async () => {
    const camille = await signedInCamille()
    const token = csrfOf((await camille.get('/agenda/nouveau')).text)
    await idleFor(camille, 16 * MIN)
    await camille
      .post('/agenda/nouveau')
      .type('form')
      .set('referer', 'http://127.0.0.1/agenda/nouveau')
      .send({ _csrf: token, title: 'Psychiatre confidentiel' })
    await signIn(camille, t.db, 'patient', HELENE.login, HELENE.password)
    expect((await readSession(camille)).savedForm).toBeUndefined()
    const page = await camille.get('/agenda/nouveau')
    expect(page.text).not.toContain('Psychiatre confidentiel')
  })

  it('un document envoyé trop tard : le titre est gardé, le fichier est à joindre de nouveau', async () => {
    const camille = await signedInCamille()
    const token = csrfOf((await camille.get('/documents/ajouter')).text)
    await idleFor(camille, 16 * MIN)
    const r = await camille
      .post('/documents/ajouter')
      .set('referer', 'http://127.0.0.1/documents/ajouter')
      .field('_csrf', token)
      .field('category', 'ORD_SOIN')
      .field('title', 'Ordonnance du Dr Ozturk')
      .field('date-day', '3')
      .field('date-month', '2')
      .field('date-year', '2026')
      .attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), { filename: 'ordonnance.pdf', contentType: 'application/pdf' })
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/connexion')
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const $ = cheerio.load((await camille.get('/documents/ajouter')).text)
    expect($('#title').val()).toBe('Ordonnance du Dr Ozturk')
    expect($('#category option[selected]').attr('value')).toBe('ORD_SOIN')
    expect($('.govuk-notification-banner').text()).toContain('donnez de nouveau le fichier à joindre')
  })

  it('les secrets ne sont jamais gardés', () => {
    for (const f of ['_csrf', 'password', 'current', 'confirmation', 'code', 'newPassword']) expect(isSecretField(f)).toBe(true)
    for (const f of ['title', 'body', 'notes', 'postcode', 'date-day']) expect(isSecretField(f)).toBe(false)
  })
})
