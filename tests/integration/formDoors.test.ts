import request from 'supertest'
import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, LOUIS, NADIA, PROS } from '../helpers/demo'
import { STATE_CHANGING, databaseDigest, harvestFormActions, registeredRoutes, routeRegExp, type RegisteredRoute } from '../helpers/routes'
import { UPLOAD_ROUTES } from '../../src/middleware/uploads'

/**
 * The doors around every form (issue 15, §1 and §4), for every state-changing route registered on
 * the real app (read from its router: a new route is covered without anyone listing it).
 */

type Kind = 'patient' | 'professional' | 'agent' | 'operator'

/**
 * Left out, with the reason: these do not use the session (so no CSRF token can exist for them).
 * - /fhir/*: the FHIR API authenticates each call with an OAuth bearer token, mounted before the session.
 * - the OIDC endpoints (/oidc/*) are a Koa app mounted as one handler (no Express route to list): OAuth
 *   (PKCE, client authentication), no session cookie of ours.
 */
const EXCLUDED = [/^\/fhir\//]

const kindFor = (path: string): Kind =>
  path.startsWith('/pro/') || path === '/pro'
    ? 'professional'
    : path.startsWith('/back-office')
      ? 'operator'
      : path.startsWith('/france-services')
        ? 'agent'
        : 'patient'

const HOMES = [
  ['patient', '/mon-espace'],
  ['professional', '/pro'],
  ['agent', '/france-services'],
  ['operator', '/back-office'],
] as const

/** Values a forged form would carry, so that a handler reached by mistake would act. */
const FORGED_FIELDS: Record<string, string> = { confirm: 'oui', confirmation: 'oui', masquer: 'oui', maskNew: 'oui', profil: 'x' }

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await fn(items[next++])
    }),
  )
}

describe('portes des formulaires : CSRF, types de corps, entrées invalides (toutes les routes)', () => {
  let t: TestApp
  let routes: RegisteredRoute[]
  const agents = {} as Record<Kind, Agent>
  const tokens = {} as Record<Kind, string>
  /** A concrete URL for each route (real ids where a page offers the form). */
  const urls = new Map<RegisteredRoute, string>()
  /** The routes whose URL came from a form met on a page. */
  const fromPages = new Set<RegisteredRoute>()

  beforeAll(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' } })
    routes = registeredRoutes(t.app).filter((r) => STATE_CHANGING.has(r.method) && !EXCLUDED.some((x) => x.test(r.path)))
    const who: Record<Kind, [string, string]> = {
      patient: [CAMILLE.login, CAMILLE.password],
      professional: [PROS.bernard.login, PROS.bernard.password],
      agent: [NADIA.login, NADIA.password],
      operator: [LOUIS.login, LOUIS.password],
    }
    for (const kind of Object.keys(who) as Kind[]) {
      agents[kind] = agent(t.app)
      await signIn(agents[kind], t.db, kind, ...who[kind])
    }
    // The doctor opens Camille's record (her médecin traitant), so the record's forms show.
    const c = DEMO_PERSONS.camille
    const open = await submitForm(agents.professional, '/pro/patient', {
      nir: c.nir,
      'birthDate-day': '14',
      'birthDate-month': '3',
      'birthDate-year': '1968',
      lastName: 'Martin',
    })
    expect(open.status).toBe(303)
    const starts: Record<Kind, string[]> = {
      patient: ['/mon-espace', '/documents', '/messagerie', '/agenda', '/profil-medical', '/mes-professionnels', '/mon-compte', '/aidants'],
      professional: ['/pro', '/pro/patient/dossier', '/pro/messagerie'],
      agent: ['/france-services'],
      operator: ['/back-office', '/back-office/catalogue', '/back-office/clients'],
    }
    // The four crawls at once (four people, four sessions; each crawl stays in its order): a page's
    // database queries of one overlap the rendering of another.
    const kinds = Object.keys(starts) as Kind[]
    const crawls = await Promise.all(kinds.map((kind) => harvestFormActions(agents[kind], starts[kind], 80)))
    const harvested = Object.fromEntries(kinds.map((kind, i) => [kind, crawls[i]])) as Record<Kind, Set<string>>
    for (const r of routes) {
      const re = routeRegExp(r.path)
      const found = [...harvested[kindFor(r.path)]].find((a) => re.test(a.split('?')[0]))
      if (found) fromPages.add(r)
      urls.set(
        r,
        found ??
          r.path.replace(/:(\w+)/g, (_m, name: string) =>
            name === 'answer' ? 'accepter' : name === 'type' ? 'poids' : crypto.randomUUID(),
          ),
      )
    }
    for (const [kind, home] of HOMES) tokens[kind] = csrfOf((await agents[kind].get(home)).text)
  })

  afterAll(async () => {
    await t?.close()
  })

  it('lit les routes sur le routeur de l’application, y compris celles qui prennent un fichier', () => {
    expect(routes.length).toBeGreaterThan(100)
    const keys = routes.map((r) => `${r.method} ${r.path}`)
    for (const k of ['POST /documents/:id/masquer', 'POST /mes-professionnels/:id/administrateur', 'POST /back-office/clients/:id/secret'])
      expect(keys).toContain(k)
    // Every declared upload route is a real route (a typo there would leave an upload form refused).
    for (const u of UPLOAD_ROUTES)
      expect(routes.some((r) => r.method === 'POST' && routeRegExp(r.path).test(u.path.replace(/:\w+/g, 'x')))).toBe(true)
    // Most routes got a real URL from the pages (ids of real documents, conversations, appointments...).
    const withParams = routes.filter((r) => r.path.includes(':'))
    const missing = withParams.filter((r) => !fromPages.has(r)).map((r) => r.path)
    expect({ found: withParams.length - missing.length > withParams.length * 0.45, missing }).toEqual({ found: true, missing })
  })

  it('sans jeton valide, chaque requête qui modifie (formulaire, multipart, JSON, texte) répond 403 et ne change rien', async () => {
    const before = await databaseDigest(t.db)
    const failures: string[] = []
    const tasks = routes.flatMap((r) => (['urlencoded', 'multipart', 'json', 'text'] as const).map((type) => ({ r, type })))
    await pool(tasks, 6, async ({ r, type }) => {
      const a = agents[kindFor(r.path)]
      const url = urls.get(r)!
      const method = (r.method === 'ALL' ? 'post' : r.method.toLowerCase()) as 'post' | 'put' | 'patch' | 'delete'
      const fields = { _csrf: 'jeton-forge', ...FORGED_FIELDS }
      let req = a[method](url)
      if (type === 'urlencoded') req = req.type('form').send(fields)
      else if (type === 'json') req = req.set('Content-Type', 'application/json').send(JSON.stringify(fields))
      else if (type === 'text')
        req = req.set('Content-Type', 'text/plain').send(
          Object.entries(fields)
            .map(([k, v]) => `${k}=${v}`)
            .join('\r\n'),
        )
      else {
        for (const [k, v] of Object.entries(fields)) req = req.field(k, v)
        req = req.attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), 'forge.pdf')
      }
      const res = await req
      if (res.status !== 403 || !res.text.includes('Votre session a expiré'))
        failures.push(`${r.method} ${url} (${type}) → ${res.status} ${res.headers.location ?? ''}`)
    })
    const after = await databaseDigest(t.db)
    expect(failures).toEqual([])
    expect(Object.keys(after).filter((k) => after[k] !== before[k])).toEqual([])
    // And nobody was signed out by a forged «Se déconnecter» or «Se déconnecter partout».
    for (const [kind, home] of HOMES) expect((await agents[kind].get(home)).status).toBe(200)
  })

  it('multipart n’est accepté que sur les routes qui prennent un fichier : ailleurs 415 avant le gestionnaire, même avec un jeton valide', async () => {
    const before = await databaseDigest(t.db)
    const failures: string[] = []
    const others = routes.filter(
      (r) => r.method === 'POST' && !UPLOAD_ROUTES.some((u) => routeRegExp(r.path).test(u.path.replace(/:\w+/g, 'x'))),
    )
    await pool(others, 6, async (r) => {
      const kind = kindFor(r.path)
      const res = await agents[kind]
        .post(urls.get(r)!)
        .set('x-csrf-token', tokens[kind])
        .field('_csrf', tokens[kind])
        .field('confirm', 'oui')
        .field('masquer', 'oui')
      if (res.status !== 415 || !res.text.includes('Demande incorrecte')) failures.push(`${r.path} → ${res.status}`)
    })
    expect(failures).toEqual([])
    const after = await databaseDigest(t.db)
    expect(Object.keys(after).filter((k) => after[k] !== before[k])).toEqual([])
  })

  it('JSON ou texte envoyé à un formulaire, même avec un jeton valide : 415, page en français, rien d’écrit', async () => {
    const before = await databaseDigest(t.db)
    const failures: string[] = []
    const posts = routes.filter((r) => r.method === 'POST')
    await pool(posts, 6, async (r) => {
      const kind = kindFor(r.path)
      for (const [type, body] of [
        ['application/json', JSON.stringify({ _csrf: tokens[kind], confirm: 'oui' })],
        ['text/plain', `_csrf=${tokens[kind]}\r\nconfirm=oui`],
      ]) {
        const res = await agents[kind].post(urls.get(r)!).set('x-csrf-token', tokens[kind]).set('Content-Type', type).send(body)
        if (res.status !== 415 || !cheerio.load(res.text)('html').attr('lang')?.startsWith('fr'))
          failures.push(`${r.path} ${type} → ${res.status}`)
      }
    })
    expect(failures).toEqual([])
    const after = await databaseDigest(t.db)
    expect(Object.keys(after).filter((k) => after[k] !== before[k])).toEqual([])
  })

  it('un octet NUL ou un caractère de contrôle dans un champ de n’importe quel formulaire : 400, page en français, rien d’écrit', async () => {
    const before = await databaseDigest(t.db)
    const failures: string[] = []
    const forms = routes.filter(
      (r) => r.method === 'POST' && !UPLOAD_ROUTES.some((u) => routeRegExp(r.path).test(u.path.replace(/:\w+/g, 'x'))),
    )
    const BAD = ['Titre\u0000caché', 'ligne\u0007', '\u009bcsi']
    await pool(forms, 6, async (r) => {
      const kind = kindFor(r.path)
      // A NUL byte at every route, and in turn a C0 or a C1 control character.
      for (const bad of [BAD[0], BAD[1 + (forms.indexOf(r) % 2)]]) {
        const res = await agents[kind]
          .post(urls.get(r)!)
          .type('form')
          .send({ _csrf: tokens[kind], title: bad, body: bad, login: bad, confirm: 'oui' })
        if (res.status !== 400 || !res.text.includes('caractères non autorisés'))
          failures.push(`${r.path} ${JSON.stringify(bad)} → ${res.status}`)
      }
    })
    expect(failures).toEqual([])
    const after = await databaseDigest(t.db)
    expect(Object.keys(after).filter((k) => after[k] !== before[k])).toEqual([])
  })

  it('une adresse mal encodée répond 400 avec la page en français, pas 500', async () => {
    for (const url of [
      '/documents/%E0%A4%A',
      '/documents/%ZZ/modifier',
      '/documents?categorie=%C3',
      '/recherche%00',
      '/documents/%00/supprimer',
    ]) {
      const res = await agents.patient.get(url)
      expect([url, res.status]).toEqual([url, 400])
      expect(res.text).toContain('Demande incorrecte')
    }
    const post = await agents.patient.post('/documents/%E0%A4%A/masquer').type('form').send({ _csrf: tokens.patient })
    expect(post.status).toBe(400)
  })

  it('un corps trop volumineux répond 413 avec la page en français', async () => {
    const res = await agents.patient
      .post('/documents/parametres')
      .type('form')
      .send({ _csrf: tokens.patient, maskNew: 'x'.repeat(100_000) })
    expect(res.status).toBe(413)
    expect(res.text).toContain('Envoi trop volumineux')
    const multipartField = await agents.patient
      .post('/documents/ajouter')
      .field('_csrf', tokens.patient)
      .field('title', 'x'.repeat(20_000))
      .attach('file', Buffer.from('bonjour'), 'note.txt')
    expect(multipartField.status).toBe(413)
  })

  describe('formulaires avec fichier (multipart), jeton valide', () => {
    const countDocs = async () => Number((await t.db('documents').count({ n: '*' }).first())!.n)
    const rawMultipart = (boundary: string, parts: string[], close = true) =>
      Buffer.from(parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + (close ? `--${boundary}--\r\n` : ''), 'utf8')
    const docParts = (_boundary: string, token: string, extra: string[] = []) => [
      `Content-Disposition: form-data; name="_csrf"\r\n\r\n${token}`,
      `Content-Disposition: form-data; name="title"\r\n\r\nCompte rendu`,
      `Content-Disposition: form-data; name="category"\r\n\r\nCPT_REND`,
      `Content-Disposition: form-data; name="date-day"\r\n\r\n2`,
      `Content-Disposition: form-data; name="date-month"\r\n\r\n3`,
      `Content-Disposition: form-data; name="date-year"\r\n\r\n2024`,
      ...extra,
    ]

    it('un corps multipart tronqué ou mal formé : 400, rien d’enregistré', async () => {
      const n = await countDocs()
      const b = 'frontiere123'
      const file = `Content-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\n${'du texte '.repeat(2000)}`
      for (const body of [
        rawMultipart(b, docParts(b, tokens.patient, [file]), false), // no closing boundary
        Buffer.concat([
          rawMultipart(b, docParts(b, tokens.patient), false),
          Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\ncoupé`),
        ]),
      ]) {
        const res = await agents.patient.post('/documents/ajouter').set('Content-Type', `multipart/form-data; boundary=${b}`).send(body)
        expect(res.status).toBe(400)
        expect(res.text).toContain('incomplet ou mal formé')
      }
      // A field with a NUL after the file: the file was already streamed, it is rolled back.
      const after = rawMultipart(b, [...docParts(b, tokens.patient, [file]), `Content-Disposition: form-data; name="note"\r\n\r\nx\u0000y`])
      const res = await agents.patient.post('/documents/ajouter').set('Content-Type', `multipart/form-data; boundary=${b}`).send(after)
      expect(res.status).toBe(400)
      // Without a boundary at all, the token cannot even be read: 403.
      const noBoundary = await agents.patient.post('/documents/ajouter').set('Content-Type', 'multipart/form-data').send('x')
      expect(noBoundary.status).toBe(403)
      expect(await countDocs()).toBe(n)
    })

    it('un NUL dans un champ ou dans le nom du fichier : refusé, rien d’enregistré', async () => {
      const n = await countDocs()
      const field = await agents.patient
        .post('/documents/ajouter')
        .field('_csrf', tokens.patient)
        .field('title', 'Compte\u0000rendu')
        .attach('file', Buffer.from('bonjour'), 'note.txt')
      expect(field.status).toBe(400)
      expect(field.text).toContain('caractères non autorisés')
      const b = 'frontiere456'
      const name = await agents.patient
        .post('/documents/ajouter')
        .set('Content-Type', `multipart/form-data; boundary=${b}`)
        .send(
          rawMultipart(
            b,
            docParts(b, tokens.patient, [
              `Content-Disposition: form-data; name="file"; filename="note\u0000.txt"\r\nContent-Type: text/plain\r\n\r\nbonjour`,
            ]),
          ),
        )
      // busboy refuses a NUL in a part's header: the form is malformed.
      expect(name.status).toBe(400)
      expect(name.text).toContain('incomplet ou mal formé')
      // Other control characters and bidirectional controls in a file name: refused with the form's
      // error (the name is not silently changed).
      for (const [bad, mayBeMalformed] of [
        ['note\u0001.txt', true], // busboy may refuse a control character in a part's header
        ['scan\u009b.pdf', true],
        ['facture\u202etxt.pdf', false],
        ['photo\u2066.png', false],
        ['lettre\u200f.txt', false],
      ] as const) {
        const res = await agents.patient
          .post('/documents/ajouter')
          .set('Content-Type', `multipart/form-data; boundary=${b}`)
          .send(
            rawMultipart(
              b,
              docParts(b, tokens.patient, [
                `Content-Disposition: form-data; name="file"; filename="${bad}"\r\nContent-Type: text/plain\r\n\r\nbonjour`,
              ]),
            ),
          )
        expect([bad, res.status]).toEqual([bad, 400])
        const nameError = cheerio.load(res.text)('.govuk-error-summary').text().includes("Le nom du fichier n'est pas accepté")
        expect([bad, nameError || (mayBeMalformed && res.text.includes('incomplet ou mal formé'))]).toEqual([bad, true])
      }
      expect(await countDocs()).toBe(n)
    })

    it('refuse un PDF avec du JavaScript, une action de lancement ou un fichier joint, et un fichier de deux types, avec un message clair', async () => {
      const n = await countDocs()
      const upload = (bytes: Buffer, name: string) =>
        agents.patient
          .post('/documents/ajouter')
          .field('_csrf', tokens.patient)
          .field('title', 'Compte rendu')
          .field('category', 'CPT_REND')
          .field('date-day', '2')
          .field('date-month', '3')
          .field('date-year', '2024')
          .attach('file', bytes, name)
      const pdf = (object: string) =>
        Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Type /Catalog ${object} >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n`, 'latin1')
      for (const object of [
        '/OpenAction << /S /JavaScript /JS (app.alert(1)) >>',
        '/OpenAction << /S /Launch /F (calc.exe) >>',
        '/Names << /EmbeddedFiles 3 0 R >>',
      ]) {
        const res = await upload(pdf(object), 'compte-rendu.pdf')
        expect(res.status).toBe(400)
        expect(cheerio.load(res.text)('#file-error').text()).toContain('Ce PDF contient du contenu actif')
      }
      const png = Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAAAAAA6mKC9AAAAFElEQVR4nGOIOoEKGdD4UQwjSgUADZORAdBqpucAAAAASUVORK5CYII=',
        'base64',
      )
      const res = await upload(Buffer.concat([png, pdf('')]), 'radio.png')
      expect(res.status).toBe(400)
      expect(cheerio.load(res.text)('#file-error').text()).toContain('plusieurs types de fichier')
      expect(await countDocs()).toBe(n)
      // A plain PDF still goes in.
      const ok = await upload(pdf('/Pages 2 0 R'), 'compte-rendu.pdf')
      expect(ok.status).toBe(303)
    })

    it('retire les caractères de contrôle bidirectionnels d’un texte libre (titre)', async () => {
      const camilleId = (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id
      const doc = await t.db('documents').where({ person_id: camilleId, author_kind: 'patient' }).first()
      const res = await agents.patient
        .post(`/documents/${doc.id}/modifier`)
        .type('form')
        .send({ _csrf: tokens.patient, title: 'Ordonnance \u202Efdp.exe\u202C du \u2066médecin\u2069', category: 'ORD_SOIN' })
      expect(res.status).toBe(303)
      expect((await t.db('documents').where({ id: doc.id }).first()).title).toBe('Ordonnance fdp.exe du médecin')
    })

    it('le jeton d’un formulaire multipart doit venir en premier et être le bon (403 sinon), et rien n’est lu du fichier', async () => {
      const n = await countDocs()
      const second = await agents.patient
        .post('/documents/ajouter')
        .field('title', 'Compte rendu')
        .field('_csrf', tokens.patient)
        .attach('file', Buffer.from('bonjour'), 'note.txt')
      expect(second.status).toBe(403)
      const other = await agents.patient
        .post('/documents/ajouter')
        .field('_csrf', tokens.operator)
        .attach('file', Buffer.from('bonjour'), 'note.txt')
      expect(other.status).toBe(403)
      expect(await countDocs()).toBe(n)
      // A forged upload from another origin without any session: 403 as well.
      const anonymous = await request(t.app)
        .post('/documents/ajouter')
        .field('_csrf', 'x')
        .attach('file', Buffer.from('bonjour'), 'note.txt')
      expect(anonymous.status).toBe(403)
    })
  })

  it('en-têtes : pages de connexion jamais gardées en cache ; Clear-Site-Data à la déconnexion', async () => {
    for (const url of [
      '/connexion',
      '/pro/connexion',
      '/france-services/connexion',
      '/back-office/connexion',
      '/connexion/mot-de-passe-oublie',
    ]) {
      const res = await request(t.app).get(url)
      expect([url, res.status, res.headers['cache-control']]).toEqual([url, 200, 'no-store'])
    }
    const a = agent(t.app)
    await signIn(a, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const home = await a.get('/mon-espace')
    const out = await a
      .post('/deconnexion')
      .type('form')
      .send({ _csrf: csrfOf(home.text) })
    expect(out.status).toBe(303)
    expect(out.headers['clear-site-data']).toBe('"cache", "cookies", "storage"')
    expect((await a.get('/mon-espace')).status).toBe(303)
  })
})

describe('servi en HTTPS (production) : cookie de session préfixé __Host-', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp({ env: { NODE_ENV: 'production', DEV_OUTBOX: 'false', TRUST_PROXY: 'loopback' } })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('Secure, HttpOnly, Path=/, sans Domain, et la session marche sous ce nom', async () => {
    const a = agent(t.app)
    const page = await a.get('/connexion').set('X-Forwarded-Proto', 'https')
    const cookie = (page.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('__Host-mes_session='))
    expect(cookie).toBeDefined()
    expect(cookie).toMatch(/; Path=\//)
    expect(cookie).toMatch(/; Secure/)
    expect(cookie).toMatch(/; HttpOnly/)
    expect(cookie).not.toMatch(/Domain=/i)
    // The session works under that name (a sign-in form posted back with its token).
    const sid = cookie!.split(';')[0]
    const r = await request(t.app)
      .post('/connexion')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', sid)
      .type('form')
      .send({ _csrf: csrfOf(page.text), login: CAMILLE.login, password: 'mauvais mot de passe' })
    expect(r.status).toBe(400)
  })
})
