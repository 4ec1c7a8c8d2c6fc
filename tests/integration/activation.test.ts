import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, lastMessage, otpIn, submitForm } from '../helpers/http'
import { DEMO_CODES, DEMO_PERSONS } from '../helpers/demo'
import { activate, codeFromMail, createPerson, dateFields, errorText, h1, makeNir } from '../helpers/lifecycle'
import { MISMATCH_MESSAGE } from '../../src/features/spaces/holder'
import { PASSWORD_MESSAGES } from '../../src/domain/password'

const JEAN = { code: DEMO_CODES.jean, nir: DEMO_PERSONS.jean.nir, birthDate: DEMO_PERSONS.jean.birth_date }
const GOOD_PASSWORD = 'Pivoine ardoise girafe 88'

describe('activer mon profil', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  it('Jean active son profil : code, NIR et date, identifiant et mot de passe, courriel vérifié, conditions ; connecté avec une nouvelle session', async () => {
    const a = agent(t.app)
    const start = await a.get('/activer-mon-profil')
    expect(start.status).toBe(200)
    expect(h1(start.text)).toBe('Activer mon profil')
    const before = start.headers['set-cookie']?.[0]?.split(';')[0]
    let r = await submitForm(a, '/activer-mon-profil', { code: '7k3m-q9tx-4wpb' })
    expect(r.headers.location).toBe('/activer-mon-profil/identite')
    r = await submitForm(a, '/activer-mon-profil/identite', { nir: '1 50 11 69 123 045 32', ...dateFields(JEAN.birthDate) })
    expect(r.headers.location).toBe('/activer-mon-profil/identifiant')
    r = await submitForm(a, '/activer-mon-profil/identifiant', {
      identifiant: 'jean.dupont69',
      password: GOOD_PASSWORD,
      confirmation: GOOD_PASSWORD,
    })
    expect(r.headers.location).toBe('/activer-mon-profil/coordonnees')
    const contact = await a.get('/activer-mon-profil/coordonnees')
    expect(cheerio.load(contact.text)('#email').attr('value')).toBe(DEMO_PERSONS.jean.email)
    // Each step has its own page title, not the journey's name alone.
    expect(contact.text).toContain('<title>Vos coordonnées – Activer mon profil – Mon espace santé</title>')
    r = await submitForm(a, '/activer-mon-profil/coordonnees', { email: 'jean.dupont@courriel.example', mobile: '' })
    expect(r.headers.location).toBe('/activer-mon-profil/verification')
    const mail = await lastMessage(t.db, 'jean.dupont@courriel.example', 'email-verification')
    r = await submitForm(a, '/activer-mon-profil/verification', { code: otpIn(mail.body) })
    expect(r.headers.location).toBe('/activer-mon-profil/conditions')
    r = await submitForm(a, '/activer-mon-profil/conditions', { terms: 'accepted' })
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/mon-espace')
    const after = r.headers['set-cookie'][0].split(';')[0]
    expect(after).not.toBe(before)
    const home = await a.get('/mon-espace')
    expect(home.status).toBe(200)
    expect(home.text).toContain('Votre profil est activé')
    expect(home.text).toContain('Bonjour Jean')

    const person = await t.db('insured_persons').where({ nir: JEAN.nir }).first()
    const space = await t.db('spaces').where({ person_id: person.id }).first()
    expect(space.state).toBe('activated')
    const account = await t.db('accounts').where({ person_id: person.id }).first()
    expect(account).toMatchObject({
      kind: 'patient',
      login: 'jean.dupont69',
      email: 'jean.dupont@courriel.example',
      terms_version: '2026-11',
    })
    expect(account.password_hash).toMatch(/^\$argon2id\$/)
    expect(account.email_verified_at).toBeTruthy()
    const welcome = await lastMessage(t.db, 'jean.dupont@courriel.example', 'welcome')
    expect(welcome.subject).toBe('Bienvenue dans Mon espace santé')
    expect(welcome.body).not.toContain(JEAN.nir)
    const history = await t.db('activity_log').where({ subject_person_id: person.id, action: 'space.activated' }).first()
    expect(history).toMatchObject({ actor_role: 'patient', actor_account_id: account.id })
    expect(await t.db('account_sessions').where({ account_id: account.id }).first()).toBeTruthy()
    const code = await t.db('provisional_codes').where({ person_id: person.id }).first()
    expect(code.used_at).toBeTruthy()

    // The same code again: the space is already activated, the page says so and offers to sign in.
    const b = agent(t.app)
    await submitForm(b, '/activer-mon-profil', { code: JEAN.code })
    const again = await submitForm(b, '/activer-mon-profil/identite', { nir: JEAN.nir, ...dateFields(JEAN.birthDate) })
    expect(again.status).toBe(400)
    expect(h1(again.text)).toBe('Votre profil est déjà activé')
    expect(again.text).toContain('<title>Votre profil est déjà activé – Mon espace santé</title>')
    expect(cheerio.load(again.text)('a[href="/connexion"]').length).toBeGreaterThan(0)
  })

  it('refuse un code mal formé, un NIR dont la clé est fausse et une date impossible, chacun avec son message', async () => {
    const a = agent(t.app)
    let r = await submitForm(a, '/activer-mon-profil', { code: '' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'code')).toBe('Saisissez votre code provisoire')
    expect(r.text).toContain('<title>Erreur : Activer mon profil – Mon espace santé</title>')
    r = await submitForm(a, '/activer-mon-profil', { code: 'ABCD' })
    expect(errorText(r.text, 'code')).toBe('Le code provisoire contient 12 caractères (vous en avez saisi 4)')
    expect(cheerio.load(r.text)('#code').attr('value')).toBe('ABCD')
    r = await submitForm(a, '/activer-mon-profil', { code: 'OOOO IIII LLLL' })
    expect(errorText(r.text, 'code')).toContain('jamais O, I, L ni U')
    await submitForm(a, '/activer-mon-profil', { code: 'AB2C D3EF 4GHJ' })
    r = await submitForm(a, '/activer-mon-profil/identite', {
      nir: '1 50 11 69 123 045 33',
      'birthDate-day': '31',
      'birthDate-month': '2',
      'birthDate-year': '1950',
    })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'nir')).toBe('La clé de votre numéro de sécurité sociale ne correspond pas')
    expect(errorText(r.text, 'birthDate')).toBe('La date de naissance doit être une vraie date')
    const $ = cheerio.load(r.text)
    expect($('#nir').attr('value')).toBe('1 50 11 69 123 045 33')
    expect($('#birthDate-day').attr('value')).toBe('31')
    expect($('.govuk-error-summary a[href="#birthDate-day"]').length).toBe(1)
  })

  it('donne le même message pour un code, un NIR ou une date faux', async () => {
    const p = await createPerson(t.db)
    const messages: string[] = []
    for (const attempt of [
      { code: 'AB2C D3EF 4GHJ', nir: p.nir, birthDate: p.birthDate },
      { code: p.code, nir: makeNir('F', p.birthDate), birthDate: p.birthDate },
      { code: p.code, nir: p.nir, birthDate: '1980-05-18' },
    ]) {
      const a = agent(t.app)
      await submitForm(a, '/activer-mon-profil', { code: attempt.code })
      const r = await submitForm(a, '/activer-mon-profil/identite', { nir: attempt.nir, ...dateFields(attempt.birthDate) })
      expect(r.status).toBe(400)
      messages.push(errorText(r.text, 'nir'))
    }
    expect(new Set(messages)).toEqual(new Set([MISMATCH_MESSAGE]))
  })

  it('ralentit la saisie pour un NIR depuis une adresse après 5 essais faux (429 en français), même avec le bon code ensuite', async () => {
    const p = await createPerson(t.db)
    const a = agent(t.app)
    for (let i = 1; i <= 5; i++) {
      await submitForm(a, '/activer-mon-profil', { code: `AB2C D3EF 4GH${'JKMNP'[i - 1]}` })
      const r = await submitForm(a, '/activer-mon-profil/identite', { nir: p.nir, ...dateFields(p.birthDate) })
      expect(r.status).toBe(400)
    }
    const b = agent(t.app)
    await submitForm(b, '/activer-mon-profil', { code: p.code })
    const right = await submitForm(b, '/activer-mon-profil/identite', { nir: p.nir, ...dateFields(p.birthDate) })
    expect(right.status).toBe(429)
    expect(right.text).toContain('Trop d’essais incorrects avec ce numéro de sécurité sociale')
    expect(right.text).toMatch(/attendez \d+ secondes avant de réessayer/)
  })

  it('ralentit aussi les essais faux depuis une même adresse, au-delà de 60 (plafond qu’un guichet n’atteint pas)', async () => {
    const a = agent(t.app)
    let last: Awaited<ReturnType<typeof submitForm>> | undefined
    for (let i = 0; i < 63; i++) {
      await submitForm(a, '/activer-mon-profil', { code: 'AB2C D3EF 4GHJ' })
      last = await submitForm(a, '/activer-mon-profil/identite', { nir: makeNir('M', '1970-01-01'), ...dateFields('1970-01-01') })
      if (last.status === 429) break
      expect([i, last.status]).toEqual([i, 400])
    }
    expect(last!.status).toBe(429)
    expect(last!.text).toContain('Trop de codes provisoires incorrects ont été saisis depuis cette adresse')
    await t.redis!.del(await t.redis!.keys(`${t.config.redisPrefix}th:code-entry-address*`))
  })

  it('dit qu’un code a expiré ou a déjà servi, et propose d’en recevoir un nouveau', async () => {
    const expired = await createPerson(t.db, { noticeDaysAgo: 50 })
    const a = agent(t.app)
    await submitForm(a, '/activer-mon-profil', { code: expired.code })
    let r = await submitForm(a, '/activer-mon-profil/identite', { nir: expired.nir, ...dateFields(expired.birthDate) })
    expect(r.status).toBe(400)
    expect(h1(r.text)).toBe('Ce code provisoire a expiré')
    expect(cheerio.load(r.text)('a[href="/nouveau-code"]').text()).toContain('Recevoir un nouveau code')

    const voided = await createPerson(t.db)
    await t.db('provisional_codes').where({ person_id: voided.id }).update({ voided_at: new Date() })
    await submitForm(a, '/activer-mon-profil', { code: voided.code })
    r = await submitForm(a, '/activer-mon-profil/identite', { nir: voided.nir, ...dateFields(voided.birthDate) })
    expect(h1(r.text)).toBe('Ce code provisoire a expiré')

    const used = await createPerson(t.db, { state: 'auto_created' })
    await t.db('provisional_codes').where({ person_id: used.id }).update({ used_at: new Date() })
    await submitForm(a, '/activer-mon-profil', { code: used.code })
    r = await submitForm(a, '/activer-mon-profil/identite', { nir: used.nir, ...dateFields(used.birthDate) })
    expect(h1(r.text)).toBe('Ce code provisoire a déjà été utilisé')
  })

  it('un profil fermé dit comment le rouvrir ; un enfant mineur ne s’active pas seul', async () => {
    const closed = await createPerson(t.db, { state: 'closed' })
    const a = agent(t.app)
    await submitForm(a, '/activer-mon-profil', { code: closed.code })
    let r = await submitForm(a, '/activer-mon-profil/identite', { nir: closed.nir, ...dateFields(closed.birthDate) })
    expect(h1(r.text)).toBe('Votre profil est fermé')
    expect(r.text).toContain('rouvrir')
    const minor = await createPerson(t.db, { birthDate: '2014-04-04' })
    await submitForm(a, '/activer-mon-profil', { code: minor.code })
    r = await submitForm(a, '/activer-mon-profil/identite', { nir: minor.nir, ...dateFields(minor.birthDate) })
    expect(h1(r.text)).toBe("Ce profil est celui d'un enfant mineur")
  })

  it('active un profil créé automatiquement', async () => {
    const p = await createPerson(t.db, { state: 'auto_created', codeDaysAgo: 1 })
    const r = await activate(agent(t.app), t.db, p, {
      identifiant: `auto.${p.lastName.toLowerCase()}`,
      password: GOOD_PASSWORD,
      email: p.email!,
    })
    expect(r.headers.location).toBe('/mon-espace')
    expect((await t.db('spaces').where({ person_id: p.id }).first()).state).toBe('activated')
  })

  it('refuse un identifiant pris ou hors des règles, et chaque mot de passe refusé avec son message', async () => {
    const p = await createPerson(t.db, { firstNames: 'Maëlle', lastName: 'Rousseau', birthDate: '1991-09-08' })
    const a = agent(t.app)
    await submitForm(a, '/activer-mon-profil', { code: p.code })
    await submitForm(a, '/activer-mon-profil/identite', { nir: p.nir, ...dateFields(p.birthDate) })
    const tryWith = (identifiant: string, password: string, confirmation = password) =>
      submitForm(a, '/activer-mon-profil/identifiant', { identifiant, password, confirmation })
    let r = await tryWith('camille.martin', GOOD_PASSWORD)
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'identifiant')).toBe('Cet identifiant est déjà utilisé : choisissez-en un autre')
    expect(cheerio.load(r.text)('#password').attr('value')).toBeUndefined()
    r = await tryWith('Maelle.R', GOOD_PASSWORD)
    expect(errorText(r.text, 'identifiant')).toBe("L'identifiant doit être écrit en lettres minuscules")
    r = await tryWith('maelle@courriel.example', GOOD_PASSWORD)
    expect(errorText(r.text, 'identifiant')).toBe("L'identifiant ne peut pas être une adresse électronique")
    r = await tryWith(p.nir, GOOD_PASSWORD)
    expect(errorText(r.text, 'identifiant')).toBe("L'identifiant ne peut pas être un numéro de sécurité sociale")
    const cases: [string, keyof typeof PASSWORD_MESSAGES][] = [
      ['', 'empty'],
      ['court mot', 'too_short'],
      ['x'.repeat(129), 'too_long'],
      ['Maelle aime les girafes', 'name'],
      ['girafe-rousseau-ardoise', 'name'],
      ['Girafe ardoise 08/09/1991', 'birth_date'],
      [`girafe ${p.nir}`, 'nir'],
      ['maelle.r91 girafe ardoise'.replace('maelle', 'mae11e'), 'identifiant'],
      ['azertyuiop123', 'common'],
    ]
    for (const [password, reason] of cases) {
      r = await tryWith('mae11e.r91', password)
      expect(r.status).toBe(400)
      expect(errorText(r.text, 'password')).toBe(PASSWORD_MESSAGES[reason])
    }
    r = await tryWith('mae11e.r91', GOOD_PASSWORD, 'autre chose')
    expect(errorText(r.text, 'confirmation')).toBe('Les deux mots de passe ne sont pas identiques')
    r = await tryWith('mae11e.r91', GOOD_PASSWORD)
    expect(r.status).toBe(303)
  })

  it('refuse une adresse ou un mobile mal écrits, un code de vérification faux, et les conditions non acceptées', async () => {
    const p = await createPerson(t.db)
    const a = agent(t.app)
    await submitForm(a, '/activer-mon-profil', { code: p.code })
    await submitForm(a, '/activer-mon-profil/identite', { nir: p.nir, ...dateFields(p.birthDate) })
    await submitForm(a, '/activer-mon-profil/identifiant', {
      identifiant: `x.${p.lastName.toLowerCase()}`,
      password: GOOD_PASSWORD,
      confirmation: GOOD_PASSWORD,
    })
    let r = await submitForm(a, '/activer-mon-profil/coordonnees', { email: 'pas-une-adresse', mobile: '01 23' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'email')).toBe('Saisissez une adresse électronique valide, par exemple nom@exemple.fr')
    expect(errorText(r.text, 'mobile')).toBe('Saisissez un numéro de mobile français valide, par exemple 06 12 34 56 78')
    // Before the last step, nothing can be skipped.
    expect((await a.get('/activer-mon-profil/conditions')).headers.location).toBe('/activer-mon-profil')
    r = await submitForm(a, '/activer-mon-profil/coordonnees', { email: p.email!, mobile: '06 11 22 33 44' })
    const good = otpIn((await lastMessage(t.db, p.email!, 'email-verification')).body)
    r = await submitForm(a, '/activer-mon-profil/verification', { code: good === '000000' ? '111111' : '000000' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'code')).toBe('Le code est incorrect. Il vous reste 4 essais.')
    r = await submitForm(a, '/activer-mon-profil/verification', { code: good })
    expect(r.headers.location).toBe('/activer-mon-profil/conditions')
    r = await submitForm(a, '/activer-mon-profil/conditions', {})
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'terms')).toBe("Cochez la case pour accepter les conditions générales d'utilisation")
    r = await submitForm(a, '/activer-mon-profil/conditions', { terms: 'accepted' })
    expect(r.headers.location).toBe('/mon-espace')
    expect((await t.db('accounts').where({ person_id: p.id }).first()).mobile).toBe('0611223344')
  })

  it('un code remplacé entre-temps par un nouveau ne sert plus à la dernière étape', async () => {
    const p = await createPerson(t.db)
    const a = agent(t.app)
    await submitForm(a, '/activer-mon-profil', { code: p.code })
    await submitForm(a, '/activer-mon-profil/identite', { nir: p.nir, ...dateFields(p.birthDate) })
    await submitForm(a, '/activer-mon-profil/identifiant', {
      identifiant: `y.${p.lastName.toLowerCase()}`,
      password: GOOD_PASSWORD,
      confirmation: GOOD_PASSWORD,
    })
    await submitForm(a, '/activer-mon-profil/coordonnees', { email: p.email!, mobile: '' })
    await submitForm(a, '/activer-mon-profil/verification', { code: otpIn((await lastMessage(t.db, p.email!, 'email-verification')).body) })
    await t.db('provisional_codes').where({ person_id: p.id }).update({ voided_at: new Date() })
    const r = await submitForm(a, '/activer-mon-profil/conditions', { terms: 'accepted' })
    expect(r.status).toBe(400)
    expect(h1(r.text)).toBe('Ce code provisoire a expiré')
    expect(await t.db('accounts').where({ person_id: p.id }).first()).toBeUndefined()
  })
})

describe('recevoir un nouveau code', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  const finalPage = async (fields: Record<string, string>) => {
    const a = agent(t.app)
    const r = await submitForm(a, '/nouveau-code', fields)
    expect(r.status).toBe(303)
    const page = await a.get(r.headers.location)
    return { location: r.headers.location, text: cheerio.load(page.text)('main').text().replace(/\s+/g, ' ') }
  }

  it('envoie un nouveau code par courriel, annule l’ancien, et répond pareil pour une personne inconnue et dans les 30 secondes', async () => {
    const known = await finalPage({ nir: DEMO_PERSONS.jean.nir, ...dateFields(DEMO_PERSONS.jean.birth_date) })
    const code = await codeFromMail(t.db, DEMO_PERSONS.jean.email)
    const jean = await t.db('insured_persons').where({ nir: DEMO_PERSONS.jean.nir }).first()
    const codes = await t.db('provisional_codes').where({ person_id: jean.id }).orderBy('id')
    expect(codes).toHaveLength(2)
    expect(codes[0].voided_at).toBeTruthy()
    expect(codes[1].voided_at).toBeNull()
    const unknown = await finalPage({ nir: makeNir('M', '1950-11-02'), ...dateFields('1950-11-02') })
    const tooSoon = await finalPage({ nir: DEMO_PERSONS.jean.nir, ...dateFields(DEMO_PERSONS.jean.birth_date) })
    expect(unknown).toEqual(known)
    expect(tooSoon).toEqual(known)
    expect(known.location).toBe('/nouveau-code/demande-enregistree')
    expect(await t.db('provisional_codes').where({ person_id: jean.id }).count('* as n').first()).toEqual({ n: 2 })
    // The old code no longer works, the new one does.
    const a = agent(t.app)
    await submitForm(a, '/activer-mon-profil', { code: DEMO_CODES.jean })
    let r = await submitForm(a, '/activer-mon-profil/identite', { nir: DEMO_PERSONS.jean.nir, ...dateFields(DEMO_PERSONS.jean.birth_date) })
    expect(h1(r.text)).toBe('Ce code provisoire a expiré')
    await submitForm(a, '/activer-mon-profil', { code })
    r = await submitForm(a, '/activer-mon-profil/identite', { nir: DEMO_PERSONS.jean.nir, ...dateFields(DEMO_PERSONS.jean.birth_date) })
    expect(r.headers.location).toBe('/activer-mon-profil/identifiant')
  })

  it('met un courrier en file pour une personne sans adresse électronique', async () => {
    const p = await createPerson(t.db, { email: null })
    await finalPage({ nir: p.nir, ...dateFields(p.birthDate) })
    const letter = await t.db('letters').where({ person_id: p.id }).first()
    expect(letter.kind).toBe('provisional_code')
    expect(letter.address.city).toBe('Paris')
  })

  it('ne renvoie pas de code pour un profil déjà activé', async () => {
    const camille = await t.db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()
    await finalPage({ nir: DEMO_PERSONS.camille.nir, ...dateFields(DEMO_PERSONS.camille.birth_date) })
    expect(await t.db('provisional_codes').where({ person_id: camille.id }).first()).toBeUndefined()
  })

  it('signale les champs mal remplis', async () => {
    const r = await submitForm(agent(t.app), '/nouveau-code', { nir: '', 'birthDate-day': '', 'birthDate-month': '', 'birthDate-year': '' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'nir')).toBe('Saisissez votre numéro de sécurité sociale')
    expect(errorText(r.text, 'birthDate')).toBe('Saisissez la date de naissance')
  })

  it('Paul, qui s’était opposé, demande un code et active son profil', async () => {
    await finalPage({ nir: DEMO_PERSONS.paul.nir, ...dateFields(DEMO_PERSONS.paul.birth_date) })
    const code = await codeFromMail(t.db, DEMO_PERSONS.paul.email)
    const r = await activate(
      agent(t.app),
      t.db,
      { code, nir: DEMO_PERSONS.paul.nir, birthDate: DEMO_PERSONS.paul.birth_date },
      { identifiant: 'paul.lefevre', password: GOOD_PASSWORD, email: DEMO_PERSONS.paul.email },
    )
    expect(r.headers.location).toBe('/mon-espace')
    const paul = await t.db('insured_persons').where({ nir: DEMO_PERSONS.paul.nir }).first()
    const space = await t.db('spaces').where({ person_id: paul.id }).first()
    expect(space.state).toBe('activated')
    const row = await t.db('activity_log').where({ subject_person_id: paul.id, action: 'space.activated' }).first()
    expect(row.details).toEqual({ from: 'opposed' })
  })
})
