import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE } from '../helpers/demo'
import { errorText, h1 } from '../helpers/lifecycle'
import { simplePdf, TINY_PNG } from '../../src/infrastructure/simplePdf'

async function upload(a: Agent, fields: Record<string, string>, file: { bytes: Buffer; name: string } | null) {
  const page = await a.get('/documents/ajouter')
  const req = a.post('/documents/ajouter').field('_csrf', csrfOf(page.text))
  for (const [k, v] of Object.entries(fields)) req.field(k, v)
  if (file) req.attach('file', file.bytes, file.name)
  else req.attach('file', Buffer.alloc(0), '')
  return req
}

const good = { title: 'Radio du genou', category: 'RADIO_SC', 'date-day': '3', 'date-month': '2', 'date-year': '2026' }

describe('Mes documents (patient side)', () => {
  let t: TestApp
  let camille: Agent
  let personId: string
  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    personId = (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id
  })
  afterAll(async () => {
    await t.close()
  })

  it('lists the demo documents with filters, no-store, and links to each', async () => {
    const r = await camille.get('/documents')
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toContain('no-store')
    const $ = cheerio.load(r.text)
    expect($('h1').text()).toBe('Mes documents')
    const titles = $('tbody tr td:first-child a')
      .map((_, e) => $(e).text())
      .get()
    expect(titles).toEqual(
      expect.arrayContaining([
        'Compte rendu de consultation de cardiologie',
        'Ordonnance de renouvellement',
        'Notes personnelles de suivi',
      ]),
    )
    const pros = cheerio.load((await camille.get('/documents?auteur=professionnels')).text)
    expect(pros('tbody tr').length).toBe(2)
    const masked = cheerio.load((await camille.get('/documents?masque=oui')).text)
    expect(
      masked('tbody tr td:first-child a')
        .map((_, e) => masked(e).text())
        .get(),
    ).toEqual(['Notes personnelles de suivi'])
    const bio = cheerio.load((await camille.get('/documents?categorie=BIOLOGIE')).text)
    expect(bio('tbody tr').length).toBe(1)
  })

  it('adds a PDF (streamed, encrypted), shows it with a preview, downloads it with safe headers', async () => {
    // Over the compression middleware's 1 Ko threshold, so the no-compression check below means something.
    const pdf = simplePdf([
      'Radio du genou droit',
      'Pas de fracture.',
      ...Array.from({ length: 60 }, (_, i) => `Ligne ${i + 1} du compte rendu de radiologie.`),
    ])
    expect(pdf.length).toBeGreaterThan(2048)
    const r = await upload(camille, good, { bytes: pdf, name: 'radio genou.pdf' })
    expect(r.status).toBe(303)
    const id = r.headers.location.split('/').pop()!
    const page = await camille.get(r.headers.location)
    expect(h1(page.text)).toBe('Radio du genou')
    expect(page.text).toContain('Le document a été ajouté.')
    expect(cheerio.load(page.text)(`a[href="/documents/${id}/apercu"]`).length).toBe(1)
    const inline = await camille.get(`/documents/${id}/apercu`)
    expect(inline.headers['content-disposition']).toMatch(/^inline; /)
    expect(inline.headers['content-security-policy']).toContain("default-src 'none'")
    // The client accepts compressed answers: a PDF still comes as is, its length known up front.
    const dl = await camille
      .get(`/documents/${id}/telecharger`)
      .set('Accept-Encoding', 'br, gzip, deflate')
      .buffer(true)
      .parse((res, cb) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () => cb(null, Buffer.concat(parts)))
      })
    expect(dl.status).toBe(200)
    expect(dl.headers['content-type']).toBe('application/pdf')
    expect(dl.headers['content-disposition']).toBe(`attachment; filename="Radio-du-genou.pdf"; filename*=UTF-8''Radio-du-genou.pdf`)
    expect(dl.headers['x-content-type-options']).toBe('nosniff')
    expect(dl.headers['cache-control']).toContain('no-store')
    expect(dl.headers['content-encoding']).toBeUndefined()
    expect(dl.headers['content-length']).toBe(String(pdf.length))
    expect((dl.body as Buffer).equals(pdf)).toBe(true)
    const row = await t.db('documents').where({ id }).first()
    expect(row).toMatchObject({
      person_id: personId,
      category: 'RADIO_SC',
      document_date: '2026-02-03',
      author_kind: 'patient',
      mime: 'application/pdf',
    })
  })

  it('bad input: errors in French, form kept, nothing stored', async () => {
    const before = (await t.db('documents').count({ n: '*' }))[0].n
    let r = await upload(camille, { ...good, title: '', 'date-year': '2999' }, { bytes: simplePdf(['x']), name: 'x.pdf' })
    expect(r.status).toBe(400)
    expect(cheerio.load(r.text)('title').text()).toMatch(/^Erreur : Ajouter un document/)
    expect(errorText(r.text, 'title')).toBe('Saisissez le titre du document')
    expect(errorText(r.text, 'date')).toBe("La date du document doit être dans le passé ou aujourd'hui")
    expect(cheerio.load(r.text)('#date-year').val()).toBe('2999')
    // Issue 16 §5: a file of the wrong type is reported with the other errors, not on the next try.
    r = await upload(camille, { ...good, title: '' }, { bytes: Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), name: 'virus.pdf' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'title')).toBe('Saisissez le titre du document')
    expect(errorText(r.text, 'file')).toBe('Le fichier doit être un PDF, une image JPEG, PNG ou TIFF, ou un texte (TXT)')
    expect(
      cheerio
        .load(r.text)('.govuk-error-summary__list a')
        .toArray()
        .map((a) => cheerio.load(a).text().trim()),
    ).toEqual(['Saisissez le titre du document', 'Le fichier doit être un PDF, une image JPEG, PNG ou TIFF, ou un texte (TXT)'])
    r = await upload(camille, good, null)
    expect(errorText(r.text, 'file')).toBe('Sélectionnez un fichier')
    expect(cheerio.load(r.text)('#title').val()).toBe('Radio du genou')
    r = await upload(camille, good, { bytes: Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), name: 'virus.pdf' })
    expect(errorText(r.text, 'file')).toBe('Le fichier doit être un PDF, une image JPEG, PNG ou TIFF, ou un texte (TXT)')
    r = await upload(camille, good, { bytes: TINY_PNG, name: 'faux.pdf' })
    expect(errorText(r.text, 'file')).toContain("ne correspond pas à l'extension")
    r = await upload(camille, good, { bytes: Buffer.alloc(10 * 1024 * 1024 + 10, 0x61), name: 'gros.txt' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'file')).toBe('Le fichier doit peser 10 Mo au maximum')
    r = await upload(camille, good, { bytes: Buffer.alloc(0), name: 'vide.pdf' })
    expect(errorText(r.text, 'file')).toBe('Le fichier sélectionné est vide')
    expect((await t.db('documents').count({ n: '*' }))[0].n).toBe(before)
  })

  it('a missing CSRF token on an upload is refused before the file is read', async () => {
    const r = await camille
      .post('/documents/ajouter')
      .field('title', 'x')
      .attach('file', simplePdf(['x']), 'x.pdf')
    expect(r.status).toBe(403)
  })

  it('renames, recategorises, masks and unmasks, deletes with confirmation; all in the history', async () => {
    const doc = await t.db('documents').where({ person_id: personId, title: 'Bilan sanguin annuel' }).first()
    let r = await submitForm(camille, `/documents/${doc.id}/modifier`, { title: '', category: 'BIOLOGIE' })
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'title')).toBe('Saisissez le titre du document')
    r = await submitForm(camille, `/documents/${doc.id}/modifier`, { title: 'Bilan sanguin 2026', category: 'DEPISTAG' })
    expect(r.status).toBe(303)
    expect(await t.db('documents').where({ id: doc.id }).first()).toMatchObject({ title: 'Bilan sanguin 2026', category: 'DEPISTAG' })
    r = await submitForm(camille, `/documents/${doc.id}`, {}, `/documents/${doc.id}/masquer`)
    expect(r.status).toBe(303)
    const masked = await camille.get(`/documents/${doc.id}`)
    expect(masked.text).toContain(
      'Ce document est masqué. Le voient encore : vous, le professionnel de santé qui l’a ajouté, votre médecin traitant',
    )
    r = await submitForm(camille, `/documents/${doc.id}`, {}, `/documents/${doc.id}/demasquer`)
    expect((await t.db('documents').where({ id: doc.id }).first()).masked).toBe(false)
    r = await submitForm(camille, `/documents/${doc.id}/supprimer`, {})
    expect(r.status).toBe(400)
    expect(errorText(r.text, 'confirm')).toBe('Cochez la case pour confirmer la suppression')
    r = await submitForm(camille, `/documents/${doc.id}/supprimer`, { confirm: 'oui' })
    expect(r.headers.location).toBe('/documents')
    expect(await t.db('documents').where({ id: doc.id }).first()).toBeUndefined()
    expect(await t.db('document_chunks').where({ document_id: doc.id }).first()).toBeUndefined()
    const actions = await t.db('activity_log').where({ object_id: doc.id }).orderBy('id').pluck('action')
    expect(actions).toEqual(['document.rename', 'document.recategorise', 'document.mask', 'document.unmask', 'document.delete'])
  })

  it('a document filed by a professional can be masked but not changed or deleted', async () => {
    const doc = await t.db('documents').where({ person_id: personId, title: 'Ordonnance de renouvellement' }).first()
    const page = await camille.get(`/documents/${doc.id}`)
    expect(page.text).toContain('Ce document a été ajouté par un professionnel de santé. Il ne peut pas être modifié ou supprimé.')
    expect(page.text).not.toContain('/supprimer')
    const res = await camille
      .post(`/documents/${doc.id}/supprimer`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), confirm: 'oui' })
    expect(res.status).toBe(403)
    expect(await t.db('documents').where({ id: doc.id }).first()).toBeDefined()
  })

  it('«Masquer par défaut les nouveaux documents»: new uploads are masked', async () => {
    let r = await submitForm(camille, '/documents/parametres', { maskNew: 'oui' })
    expect(r.status).toBe(303)
    r = await upload(camille, { ...good, title: 'Masqué par défaut' }, { bytes: Buffer.from('bonjour\n'), name: 'note.txt' })
    const id = r.headers.location.split('/').pop()
    expect((await t.db('documents').where({ id }).first()).masked).toBe(true)
    const page = await camille.get(`/documents/${id}`)
    expect(cheerio.load(page.text)('pre').text()).toBe('bonjour\n')
    // Its size in words people read: 8 bytes are «8 octets», not «1 Ko».
    expect(cheerio.load(page.text)('main').text().replace(/\s+/g, ' ')).toContain('Format texte, 8 octets')
    await submitForm(camille, '/documents/parametres', { maskNew: 'non' })
  })

  it('«Masquer par défaut les nouveaux documents» sent with no choice: an error summary, the setting unchanged', async () => {
    await submitForm(camille, '/documents/parametres', { maskNew: 'oui' })
    const r = await submitForm(camille, '/documents/parametres', {})
    expect(r.status).toBe(400)
    expect(cheerio.load(r.text)('.govuk-error-summary').text()).toContain('Indiquez si les nouveaux documents sont masqués par défaut')
    expect((await t.db('patient_settings').where({ person_id: personId }).first()).mask_new_documents).toBe(true)
    await submitForm(camille, '/documents/parametres', { maskNew: 'non' })
  })

  it('IDOR: another person’s document id answers 404 on every path', async () => {
    const leoDoc = await t
      .db('documents as d')
      .join('insured_persons as p', 'p.id', 'd.person_id')
      .where('p.first_names', 'Léo')
      .first('d.id')
    for (const path of ['', '/telecharger', '/apercu', '/modifier', '/supprimer']) {
      expect((await camille.get(`/documents/${leoDoc.id}${path}`)).status).toBe(404)
    }
    const page = await camille.get('/documents')
    const res = await camille
      .post(`/documents/${leoDoc.id}/masquer`)
      .type('form')
      .send({ _csrf: csrfOf(page.text) })
    expect(res.status).toBe(404)
    expect((await camille.get('/documents/not-a-uuid')).status).toBe(404)
  })
})
