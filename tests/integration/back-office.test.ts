import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, lastMessage, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, LOUIS, NADIA, PROS } from '../helpers/demo'
import { createPerson, dateFields, errorText, h1 } from '../helpers/lifecycle'
import { CSV_HEADER, mainText, nirFor, uploadCsv } from '../helpers/backoffice'
import { BACKOFFICE_PERSONS } from '../../src/seed/backoffice'
import { formatNir } from '../../src/domain/nir'

jest.setTimeout(60_000)

describe('back-office des opérateurs', () => {
  let t: TestApp
  let op: Agent
  beforeAll(async () => {
    t = await createTestApp()
    op = agent(t.app)
    await signIn(op, t.db, 'operator', LOUIS.login, LOUIS.password)
  })
  afterAll(async () => {
    await t.close()
  })

  it('réservé aux opérateurs : un patient, un professionnel, un conseiller France Services sont refusés ; sans session, retour à la connexion', async () => {
    const anonymous = await agent(t.app).get('/back-office/chiffres')
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.location).toBe('/back-office/connexion')
    const others: [string, string, string][] = [
      ['patient', CAMILLE.login, CAMILLE.password],
      ['professional', PROS.bernard.login, PROS.bernard.password],
      ['agent', NADIA.login, NADIA.password],
    ]
    for (const [kind, login, password] of others) {
      const a = agent(t.app)
      await signIn(a, t.db, kind as 'patient', login, password)
      for (const url of [
        '/back-office',
        '/back-office/import',
        '/back-office/chiffres',
        '/back-office/courriers',
        '/back-office/journal',
        '/back-office/opposition-telephone',
      ]) {
        const r = await a.get(url)
        expect([url, r.status]).toEqual([url, 403])
      }
    }
    const page = await op.get('/back-office')
    expect(page.status).toBe(200)
    expect(page.headers['cache-control']).toContain('no-store')
    const $ = cheerio.load(page.text)
    expect($('caption').first().text()).toContain('Profils par état')
    expect($('main a[href="/back-office/chiffres"]').length).toBe(1)
  })

  it('import : bonnes lignes enregistrées, mauvaises lignes signalées par numéro dans un rapport CSV, réimport idempotent', async () => {
    const good1 = nirFor('F', '1985-04-12', 11)
    const good2 = nirFor('M', '1990-11-30', 12)
    const csv = [
      CSV_HEADER,
      `${good1};Lambert;Sophie;F;1985-04-12;Lyon;4 rue Neuve;;69001;Lyon;sophie.lambert@courriel.example;06 12 34 56 78`,
      `${good2};Morel;Hugo Jean;M;30/11/1990;;10 place du Marché;Bât. B;35000;Rennes;;`,
      `${good1.slice(0, 13)}00;Faux;Clé;F;1985-04-12;;;;;;;`, // line 4: wrong key
      `${nirFor('M', '1970-01-01', 13)};;Sans nom;M;1970-01-01;;;;;;pas-un-courriel;`, // line 5: no surname, bad e-mail
      `${nirFor('F', '2001-02-03', 14)};Date;Fausse;F;2001-02-30;;;;;;;`, // line 6: not a real date
    ].join('\n')
    let r = await uploadCsv(op, csv)
    expect(r.status).toBe(303)
    const result = await op.get(r.headers.location)
    expect(result.status).toBe(200)
    const text = mainText(result.text)
    expect(text).toContain('Lignes correctes 2')
    expect(text).toContain('Lignes refusées 3')
    const importId = Number(r.headers.location.split('/').pop())
    const persons = await t.db('insured_persons').whereIn('nir', [good1, good2]).orderBy('nir')
    expect(persons).toHaveLength(2)
    const hugo = persons.find((p) => p.nir === good2)
    expect(hugo).toMatchObject({
      last_name: 'Morel',
      first_names: 'Hugo Jean',
      birth_date: '1990-11-30',
      email: null,
      address_line2: 'Bât. B',
    })
    expect(persons.find((p) => p.nir === good1)).toMatchObject({ mobile: '+33612345678', email: 'sophie.lambert@courriel.example' })
    const spaces = await t.db('spaces').whereIn(
      'person_id',
      persons.map((p) => p.id),
    )
    expect(spaces.map((s) => s.state)).toEqual(['not_notified', 'not_notified'])

    const report = await op.get(`/back-office/import/${importId}/rapport.csv`)
    expect(report.status).toBe(200)
    expect(report.headers['content-type']).toContain('text/csv')
    const lines = report.text
      .replace(/^\ufeff/, '')
      .trim()
      .split('\n')
    expect(lines[0]).toBe('ligne;colonne;message')
    expect(lines.slice(1).map((l) => l.split(';').slice(0, 2).join(';'))).toEqual(['4;nir', '5;nom', '5;courriel', '6;date_naissance'])
    expect(report.text).toContain('La clé du numéro de sécurité sociale ne correspond pas')
    expect(report.text).not.toContain(good1.slice(0, 13)) // never the line's content

    // Re-import: updates, never duplicates.
    r = await uploadCsv(
      op,
      [CSV_HEADER, `${good2};Morel;Hugo Jean;M;1990-11-30;;12 place du Marché;;35000;Rennes;hugo.morel@courriel.example;`].join('\r\n'),
    )
    expect(r.status).toBe(303)
    const again = mainText((await op.get(r.headers.location)).text)
    expect(again).toContain('Assurés ajoutés 0')
    expect(again).toContain('Assurés mis à jour 1')
    const rows = await t.db('insured_persons').where({ nir: good2 })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ address_line1: '12 place du Marché', email: 'hugo.morel@courriel.example' })
    expect(await t.db('spaces').where({ person_id: rows[0].id }).count('* as n').first()).toEqual({ n: 1 })
    const log = await t
      .db('activity_log')
      .where({ action: 'persons.imported', object_id: String(importId) })
      .first()
    expect(log).toMatchObject({ actor_role: 'operator', actor_name: 'Louis Garnier' })
    expect(JSON.stringify(log.details)).not.toContain(good1)
  })

  it('import : séparateur virgule, BOM, champ entre guillemets, colonnes dans un autre ordre, en-têtes en majuscules', async () => {
    const nir = nirFor('F', '1977-07-07', 41)
    const csv =
      '\ufeffNOM,Prenoms,nir,sexe,date_naissance,adresse_ligne2,ville\n' +
      `Roux,"Anne, Marie",${nir},F,07/07/1977,"Bât. C, 3e étage",Lyon\n`
    const r = await uploadCsv(op, csv)
    expect(r.status).toBe(303)
    const p = await t.db('insured_persons').where({ nir }).first()
    expect(p).toMatchObject({
      last_name: 'Roux',
      first_names: 'Anne, Marie',
      address_line2: 'Bât. C, 3e étage',
      city: 'Lyon',
      birth_date: '1977-07-07',
    })
  })

  it('import : un fichier sans les colonnes obligatoires, ou sans fichier, est refusé avec un message', async () => {
    let r = await uploadCsv(op, 'nom;prenoms\nDupont;Jean\n')
    expect(r.status).toBe(400)
    expect(cheerio.load(r.text)('title').text()).toMatch(/^Erreur : /)
    expect(errorText(r.text, 'file')).toContain('La colonne «nir» est absente')
    const page = await op.get('/back-office/import')
    const token = cheerio.load(page.text)('main input[name="_csrf"]').attr('value')!
    r = await op
      .post('/back-office/import')
      .field('_csrf', token)
      .attach('file', Buffer.alloc(0), { filename: '', contentType: 'application/octet-stream' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'file')).toBe('Choisissez un fichier CSV à importer')
    // Without the CSRF token first: refused before reading the file.
    r = await op.post('/back-office/import').attach('file', Buffer.from(CSV_HEADER), 'a.csv')
    expect(r.status).toBe(403)
  })

  it("campagne : code provisoire par courriel ou courrier, date d'information, puis lot PDF pour l'imprimeur", async () => {
    const henri = await t.db('insured_persons').where({ nir: BACKOFFICE_PERSONS.henri.nir }).first()
    const marthe = await t.db('insured_persons').where({ nir: BACKOFFICE_PERSONS.marthe.nir }).first()
    const waiting = await t.db('spaces').where({ state: 'not_notified' }).count('* as n').first()
    expect(Number(waiting!.n)).toBeGreaterThanOrEqual(2)
    let page = await op.get('/back-office/campagne')
    expect(mainText(page.text)).toContain(`${waiting!.n} assuré(s) en attente`)
    const r = await submitForm(op, '/back-office/campagne', {})
    expect(r.status).toBe(303)
    page = await op.get('/back-office/campagne')
    expect(mainText(page.text)).toContain(`Campagne terminée : ${waiting!.n} personne(s) informée(s)`)
    expect(await t.db('spaces').where({ state: 'not_notified' }).count('* as n').first()).toEqual({ n: 0 })
    const sp = await t.db('spaces').where({ person_id: henri.id }).first()
    expect(sp).toMatchObject({ state: 'notified', notice_channel: 'email' })
    expect(sp.notified_at).toBeInstanceOf(Date)
    const mail = await lastMessage(t.db, henri.email, 'provisional-code')
    const code = mail.body.match(/code provisoire : ([A-Z0-9 ]{14})/)![1]
    expect(await t.services.codes.check(t.db, henri.id, code)).toBe('valid')
    const codeRow = await t.db('provisional_codes').where({ person_id: henri.id }).first()
    expect(codeRow.code_hash).not.toContain(code.replace(/ /g, ''))
    expect((await t.db('spaces').where({ person_id: marthe.id }).first()).notice_channel).toBe('post')
    const letter = await t.db('letters').where({ person_id: marthe.id, kind: 'provisional_code' }).first()
    expect(letter.address).toMatchObject({ name: 'Marthe Girard', city: 'Marseille' })
    expect(letter.sealed_payload).not.toBeNull()
    expect(await t.db('activity_log').where({ action: 'campaign.batch_notified' }).count('* as n').first()).toEqual({ n: 1 })

    // Letters: one batch, one PDF, then marked sent and wiped.
    let letters = await op.get('/back-office/courriers')
    expect(mainText(letters.text)).toContain('Code provisoire')
    const created = await submitForm(op, '/back-office/courriers', {}, '/back-office/courriers/lots')
    expect(created.status).toBe(303)
    const batchUrl = created.headers.location
    const batchId = Number(batchUrl.split('/').pop())
    expect((await t.db('letters').where({ id: letter.id }).first()).batch_id).toBe(batchId)
    // Not sent before the PDF was downloaded.
    const batchPage = await op.get(batchUrl)
    expect(cheerio.load(batchPage.text)(`form[action="${batchUrl}/envoye"]`).length).toBe(0)
    await op
      .post(`${batchUrl}/envoye`)
      .type('form')
      .send({ _csrf: csrfOf(batchPage.text) })
    expect((await t.db('letters').where({ id: letter.id }).first()).printed_at).toBeNull()
    const pdf = await op
      .get(`${batchUrl}/courriers.pdf`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => cb(null, Buffer.concat(chunks)))
      })
    expect(pdf.status).toBe(200)
    expect(pdf.headers['content-type']).toBe('application/pdf')
    const body = pdf.body as Buffer
    expect(body.subarray(0, 5).toString()).toBe('%PDF-')
    const pages = (body.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length
    const inBatch = await t.db('letters').where({ batch_id: batchId }).count('* as n').first()
    expect(pages).toBe(Number(inBatch!.n))
    const sent = await submitForm(op, batchUrl, {}, `${batchUrl}/envoye`)
    expect(sent.status).toBe(303)
    const after = await t.db('letters').where({ id: letter.id }).first()
    expect(after.printed_at).not.toBeNull()
    expect(after.sealed_payload).toBeNull()
    expect((await op.get(`${batchUrl}/courriers.pdf`)).status).toBe(404)
    letters = await op.get('/back-office/courriers')
    expect(mainText(letters.text)).toContain("Aucun courrier n'attend d'être imprimé")
  })

  it('création automatique : les profils informés depuis plus de 6 semaines sans opposition, et eux seuls', async () => {
    const yves = await t.db('insured_persons').where({ nir: BACKOFFICE_PERSONS.yves.nir }).first()
    const recent = await createPerson(t.db, { noticeDaysAgo: 41 })
    const old = await createPerson(t.db, { noticeDaysAgo: 43 })
    const opposed = await createPerson(t.db, { noticeDaysAgo: 60, state: 'opposed' })
    const r = await submitForm(op, '/back-office/creation-automatique', {})
    expect(r.status).toBe(303)
    const page = await op.get('/back-office/creation-automatique')
    expect(mainText(page.text)).toMatch(/\d+ profil\(s\) créé\(s\) automatiquement/)
    const state = async (id: string) => (await t.db('spaces').where({ person_id: id }).first()).state
    expect(await state(yves.id)).toBe('auto_created')
    expect(await state(old.id)).toBe('auto_created')
    expect(await state(recent.id)).toBe('notified')
    expect(await state(opposed.id)).toBe('opposed')
    expect(
      await t
        .db('spaces')
        .where({ state: 'notified' })
        .where('notified_at', '<=', t.db.raw("now() - interval '42 days'"))
        .count('* as n')
        .first(),
    ).toEqual({ n: 0 })
    // The job does the same (declared for pg-boss).
    const job = t.services.jobs.find((j) => j.name === 'auto-creation')!
    const late = await createPerson(t.db, { noticeDaysAgo: 45 })
    expect(await job.run({})).toMatchObject({ spaces: 1 })
    expect(await state(late.id)).toBe('auto_created')
    const row = await t.db('activity_log').where({ action: 'spaces.auto_created', chain_key: 'system' }).orderBy('id', 'desc').first()
    expect(row.details).toMatchObject({ count: 1 })
  })

  it('opposition reçue par téléphone : recherche, vérification d’identité, accusé de réception, courriel et historique', async () => {
    const p = await createPerson(t.db, { noticeDaysAgo: 10, lastName: 'Lévêque' })
    let r = await submitForm(op, '/back-office/opposition-telephone', { nir: p.nir, ...dateFields(p.birthDate), lastName: 'Martin' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'nir')).toContain('Aucun assuré ne correspond')
    expect(cheerio.load(r.text)('#lastName').attr('value')).toBe('Martin')
    r = await submitForm(op, '/back-office/opposition-telephone', {
      nir: '',
      lastName: '',
      'birthDate-day': '',
      'birthDate-month': '',
      'birthDate-year': '',
    })
    expect(cheerio.load(r.text)('.govuk-error-summary li').length).toBe(3)
    r = await submitForm(op, '/back-office/opposition-telephone', {
      nir: formatNir(p.nir),
      ...dateFields(p.birthDate),
      lastName: 'leveque',
    })
    expect(r.status).toBe(303)
    const confirm = await op.get(r.headers.location)
    const text = mainText(confirm.text)
    expect(text).toContain(`Élise Lévêque`)
    expect(text).not.toContain(p.nir)
    expect(text).not.toContain(p.email!) // masked
    expect(text).toContain('par courriel à l•••@courriel.example')
    // One person's state (as France Services reads it), not the figures page's count of people («Informés»).
    expect(text).toContain('État du profil Information envoyée, profil pas encore activé')
    r = await submitForm(op, '/back-office/opposition-telephone/confirmation', { 'checks[]': ['consent'] })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'checks')).toContain("Cochez la case pour confirmer que vous avez vérifié l'identité de la personne")
    expect((await t.db('spaces').where({ person_id: p.id }).first()).state).toBe('notified')
    r = await submitForm(op, '/back-office/opposition-telephone/confirmation', { 'checks[]': ['identity', 'consent'] })
    expect(r.status).toBe(303)
    const receipt = await op.get(r.headers.location)
    expect(h1(receipt.text)).toContain('Opposition enregistrée')
    const space = await t.db('spaces').where({ person_id: p.id }).first()
    expect(space.state).toBe('opposed')
    expect(mainText(receipt.text)).toContain(space.opposition_reference)
    expect(mainText(receipt.text)).toContain("Action réalisée par un conseiller de l'Assurance Maladie")
    const mail = await lastMessage(t.db, p.email!, 'opposition-receipt')
    expect(mail.body).toContain(space.opposition_reference)
    const row = await t.db('activity_log').where({ subject_person_id: p.id, action: 'space.opposed' }).first()
    expect(row).toMatchObject({ actor_role: 'operator', actor_name: 'Louis Garnier' })
    expect(row.details).toMatchObject({ via: 'phone', note: "Action réalisée par un conseiller de l'Assurance Maladie" })

    // After the deadline: no form, the reason instead.
    const late = await createPerson(t.db, { noticeDaysAgo: 43 })
    r = await submitForm(op, '/back-office/opposition-telephone', { nir: late.nir, ...dateFields(late.birthDate), lastName: late.lastName })
    const refused = await op.get(r.headers.location)
    expect(mainText(refused.text)).toContain('Le délai de 6 semaines est dépassé')
    expect(cheerio.load(refused.text)('main form').length).toBe(0)
  })

  it('chiffres : comptes par état, activations par jour en SVG accessible et en tableau, depuis la table de synthèse', async () => {
    const before = await op.get('/back-office/chiffres')
    expect(before.status).toBe(200)
    await createPerson(t.db, { state: 'activated' })
    await t
      .db('spaces')
      .whereIn('person_id', t.db('insured_persons').select('id').where('last_name', 'like', 'Testeur%'))
      .where({ state: 'activated' })
      .update({ activated_at: t.db.fn.now() })
    const r = await submitForm(op, '/back-office/chiffres', {}, '/back-office/chiffres/actualiser')
    expect(r.status).toBe(303)
    const page = await op.get('/back-office/chiffres')
    const $ = cheerio.load(page.text)
    const counts = Object.fromEntries(
      (await t.db('spaces').select('state').count('* as n').groupBy('state')).map((x) => [x.state, Number(x.n)]),
    )
    const stateRows = $('.mes-figures-states tbody tr')
      .toArray()
      .map((tr) =>
        $(tr)
          .find('th, td')
          .toArray()
          .map((c) => $(c).text().trim()),
      )
    expect(stateRows.find((cells) => cells[0] === 'Profils activés')![1]).toBe(String(counts.activated))
    expect($('svg[role="img"] title').first().text()).toContain('Activations de profils par jour')
    expect($('svg desc').text()).toContain('tableau')
    expect($('.mes-figures-daily tbody tr').length).toBe(30)
    const today = $('.mes-figures-daily tbody tr').last().find('td').eq(1).text().trim()
    expect(Number(today)).toBeGreaterThanOrEqual(1)
    expect($('svg rect').length).toBe(30)
  })

  it("vérifier le journal d'activité : lance la vérification et montre le dernier résultat", async () => {
    const r = await submitForm(op, '/back-office/journal', {})
    expect(r.status).toBe(303)
    const page = await op.get('/back-office/journal')
    expect(mainText(page.text)).toContain('Journal intact')
    const last = await t.db('audit_verifications').orderBy('id', 'desc').first()
    expect(last.ok).toBe(true)
    expect(mainText(page.text)).toContain(`Lignes vérifiées ${new Intl.NumberFormat('fr-FR').format(Number(last.rows_checked))}`)
  })
})
