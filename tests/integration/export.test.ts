import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, lastMessage, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, PROS } from '../helpers/demo'
import { createAccount, h1 } from '../helpers/lifecycle'
import { simplePdf, TINY_PNG } from '../../src/infrastructure/simplePdf'
import type { Actor } from '../../src/domain/actor'
import { ForbiddenError, NotFoundError } from '../../src/errors'
import { unzip } from '../helpers/zip'

const PAGE = '/mon-compte/telecharger-mes-donnees'
const DAY = 24 * 3600 * 1000

/** Posts the download form of a request, as the button does, and returns the raw bytes. */
async function download(a: Agent, id: string) {
  const page = await a.get(PAGE)
  const $ = cheerio.load(page.text)
  const form = $(`form[action="${PAGE}/${id}/telecharger"]`)
  const token = (form.find('input[name=_csrf]').val() as string | undefined) ?? ($('input[name=_csrf]').first().val() as string)
  return a
    .post(`${PAGE}/${id}/telecharger`)
    .type('form')
    .send({ _csrf: token })
    .buffer(true)
    .parse((res, cb) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => cb(null, Buffer.concat(parts)))
    })
}

const collect = async (gen: AsyncGenerator<Buffer>) => {
  const parts: Buffer[] = []
  for await (const c of gen) parts.push(c)
  return Buffer.concat(parts)
}

describe('« Télécharger mes données » : demande, tâche, fichier ZIP, un seul téléchargement', () => {
  let t: TestApp
  let camille: Agent
  let camilleId: string
  let leoId: string
  let me: Actor
  beforeAll(async () => {
    t = await createTestApp()
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    camilleId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()).id
    leoId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
    const account = await t.db('accounts').where({ login: CAMILLE.login }).first()
    me = { accountId: account.id, kind: 'patient', displayName: 'Camille Martin', personId: camilleId }
  })
  afterAll(async () => {
    await t.close()
  })

  const switchTo = async (a: Agent, profil: string) => {
    const page = await a.get('/mon-espace')
    const token = cheerio.load(page.text)('form[action="/changer-de-profil"] input[name="_csrf"]').attr('value')!
    const r = await a.post('/changer-de-profil').type('form').send({ _csrf: token, profil })
    expect(r.status).toBe(303)
  }

  let firstId: string

  it('la page est reliée depuis « Mon compte » ; la demande est enregistrée une seule fois, dans l’historique', async () => {
    const account = await camille.get('/mon-compte')
    expect(cheerio.load(account.text)(`a[href="${PAGE}"]`).text()).toContain('Télécharger mes données')
    const page = await camille.get(PAGE)
    expect(page.status).toBe(200)
    expect(page.headers['cache-control']).toContain('no-store')
    expect(h1(page.text)).toBe('Télécharger mes données')
    expect(page.text).toContain('pas encore demandé')

    // Two documents with the same title, one with a title that looks like a path.
    for (const [title, bytes] of [
      ['Compte rendu', simplePdf(['Premier compte rendu'])],
      ['Compte rendu', simplePdf(['Second compte rendu'])],
      ['../../etc/passwd', TINY_PNG],
    ] as const) {
      const r = await t.services.documents.upload(me, {
        personId: camilleId,
        category: 'AUTR_DOC',
        title,
        date: '2026-01-05',
        bytes: Buffer.from(bytes),
      })
      expect(r.ok).toBe(true)
    }

    let r = await submitForm(camille, PAGE, {})
    expect(r.status).toBe(303)
    const rows = await t.db('data_exports').where({ person_id: camilleId })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ state: 'requested', requested_as: 'patient', requested_by_account_id: me.accountId })
    firstId = rows[0].id
    const logged = await t.db('activity_log').where({ subject_person_id: camilleId, action: 'export.request', object_id: firstId }).first()
    expect(logged).toMatchObject({ actor_role: 'patient', actor_name: 'Camille Martin' })

    const waiting = await camille.get(PAGE)
    expect(cheerio.load(waiting.text)('#demandes').text()).toContain('Demandé')
    expect(cheerio.load(waiting.text)(`main form[action="${PAGE}"]`).length).toBe(0)
    // A second request while one waits changes nothing.
    r = await camille
      .post(PAGE)
      .type('form')
      .send({ _csrf: cheerio.load(waiting.text)('input[name=_csrf]').first().val() as string })
    expect(r.status).toBe(303)
    expect(await t.db('data_exports').where({ person_id: camilleId })).toHaveLength(1)
    // Without the CSRF token, nothing either.
    r = await camille.post(PAGE).type('form').send({})
    expect(r.status).toBe(403)
    expect(await t.db('data_exports').where({ person_id: camilleId })).toHaveLength(1)
  })

  it('la tâche construit le ZIP chiffré ; le courriel « Vos données sont prêtes » ne contient ni donnée de santé ni secret', async () => {
    // Through the pg-boss job definition itself (scheduled every minute).
    const job = t.services.jobs.find((j) => j.name === 'data-export')!
    expect(job.cron).toBe('* * * * *')
    expect(t.services.jobs.map((j) => j.name)).toContain('data-export-purge')
    const done = await job.run({})
    expect(done).toEqual({ built: 1, failed: 0 })
    const row = await t.db('data_exports').where({ id: firstId }).first()
    expect(row.state).toBe('ready')
    expect(new Date(row.expires_at).getTime() - new Date(row.ready_at).getTime()).toBe(7 * DAY)
    // At rest: sealed chunks, no ZIP signature, no plaintext.
    const chunks = await t.db('data_export_chunks').where({ export_id: firstId }).orderBy('seq')
    expect(chunks.length).toBe(row.chunk_count)
    expect(chunks[0].data.subarray(0, 2).toString('latin1')).not.toBe('PK')
    expect(Buffer.concat(chunks.map((c) => c.data)).includes(Buffer.from('Camille'))).toBe(false)

    const mail = await lastMessage(t.db, CAMILLE.email, 'data-export-ready')
    expect(mail.subject).toBe('Vos données sont prêtes')
    expect(mail.body).toContain('/mon-compte/telecharger-mes-donnees')
    expect(mail.body).not.toContain(firstId)
    expect(mail.body).not.toContain('Compte rendu')
    expect(mail.body).not.toMatch(/\d{13}/)

    const page = await camille.get(PAGE)
    const table = cheerio.load(page.text)('#demandes').text().replace(/\s+/g, ' ')
    expect(table).toContain('Prêt à télécharger')
    expect(table).toMatch(/À télécharger avant le/)
  })

  it('le ZIP contient chaque document déchiffré à l’octet près sous un nom sûr, le Bundle FHIR et le résumé ; il ne se télécharge qu’une fois', async () => {
    const r = await download(camille, firstId)
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('application/zip')
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="mes-donnees-mon-espace-sante-\d{4}-\d{2}-\d{2}\.zip"/)
    expect(r.headers['x-content-type-options']).toBe('nosniff')
    expect(r.headers['cache-control']).toContain('no-store')
    const files = await unzip(r.body as Buffer)

    expect(files.get('resume.html')!.toString('utf8')).toContain('<html lang="fr">')
    expect(files.get('resume.html')!.toString('utf8')).toContain('Camille')
    const bundle = JSON.parse(files.get('donnees-fhir.json')!.toString('utf8'))
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' })
    const types = new Set(bundle.entry.map((e: any) => e.resource.resourceType))
    for (const type of ['Patient', 'Observation', 'Immunization', 'Appointment', 'DocumentReference']) expect(types).toContain(type)
    const patient = bundle.entry.find((e: any) => e.resource.resourceType === 'Patient').resource
    expect(patient).toMatchObject({ id: camilleId, birthDate: '1968-03-14' })

    // Every document Camille can read is in the ZIP, byte for byte, at the path its DocumentReference names.
    const refs = bundle.entry.filter((e: any) => e.resource.resourceType === 'DocumentReference').map((e: any) => e.resource)
    const visible = await t
      .db('documents')
      .where({ person_id: camilleId })
      .where('chunk_count', '>', 0)
      .where((w) => void w.whereNull('held_until').orWhereNotNull('held_released_at').orWhere('held_until', '<=', new Date()))
    expect(refs).toHaveLength(visible.length)
    const paths = new Set<string>()
    const lower = new Set<string>()
    for (const ref of refs) {
      const path = ref.content[0].attachment.url as string
      expect(path).toMatch(/^documents\/[A-Za-z0-9_-]+\.(pdf|png|jpg|tif|txt)$/)
      expect(lower.has(path.toLowerCase())).toBe(false)
      lower.add(path.toLowerCase())
      paths.add(path)
      const original = await collect((await t.services.documents.content(me, ref.id, 'preview')).chunks)
      expect(files.get(path)!.equals(original)).toBe(true)
      expect(ref.content[0].attachment.size).toBe(original.length)
    }
    expect([...files.keys()].filter((n) => n.startsWith('documents/')).sort()).toEqual([...paths].sort())
    for (const name of files.keys()) expect(name).not.toMatch(/\.\.|^\/|\\/)
    expect(paths.has('documents/2026-01-05_etc-passwd.png')).toBe(true)
    expect(paths.has('documents/2026-01-05_Compte-rendu.pdf')).toBe(true)
    expect(paths.has('documents/2026-01-05_Compte-rendu-2.pdf')).toBe(true)

    const row = await t.db('data_exports').where({ id: firstId }).first()
    expect(row.state).toBe('downloaded')
    expect(
      await t.db('activity_log').where({ subject_person_id: camilleId, action: 'export.download', object_id: firstId }).first(),
    ).toMatchObject({ actor_role: 'patient' })
    // The ciphertext is gone once downloaded.
    expect(await t.db('data_export_chunks').where({ export_id: firstId })).toHaveLength(0)

    const again = await download(camille, firstId)
    expect(again.status).toBe(410)
    expect(h1(again.body.toString('utf8'))).toBe('Ce fichier n’est plus disponible')
    expect(again.body.toString('utf8')).toContain('déjà été téléchargé')
    expect(await t.db('activity_log').where({ action: 'export.download', object_id: firstId })).toHaveLength(1)

    // Both rows are in «Historique d'activité», in plain French.
    const history = cheerio
      .load((await camille.get('/historique')).text)('main')
      .text()
      .replace(/\s+/g, ' ')
    expect(history).toContain('Télécharger mes données » : fichier demandé')
    expect(history).toContain('Télécharger mes données » : fichier téléchargé')
  })

  it('après 7 jours, le fichier n’est plus téléchargeable et son contenu chiffré est effacé', async () => {
    const r = await t.services.dataExport.request(me)
    expect(r.ok).toBe(true)
    const id = (r as { id: string }).id
    await t.services.dataExport.runPending()
    const ready = await t.db('data_exports').where({ id }).first()
    // Just before the 7 days: still ready (checked without touching it); just after: expired.
    const list = await t.services.dataExport.list(me, new Date(new Date(ready.ready_at).getTime() + 7 * DAY - 1000))
    expect(list.items.find((i) => i.id === id)!.state).toBe('ready')
    expect(await t.services.dataExport.download(me, id, new Date(new Date(ready.ready_at).getTime() + 7 * DAY + 1000))).toEqual({
      ok: false,
      reason: 'expired',
    })

    await t
      .db('data_exports')
      .where({ id })
      .update({ expires_at: new Date(Date.now() - 1000) })
    const page = await camille.get(PAGE)
    expect(cheerio.load(page.text)('#demandes').text()).toContain('Expiré')
    const dl = await download(camille, id)
    expect(dl.status).toBe(410)
    expect(dl.body.toString('utf8')).toContain('délai de 7 jours')
    expect((await t.db('data_exports').where({ id }).first()).state).toBe('ready')
    expect(await t.services.dataExport.purge()).toMatchObject({ expired: 1 })
    expect((await t.db('data_exports').where({ id }).first()).state).toBe('expired')
    expect(await t.db('data_export_chunks').where({ export_id: id })).toHaveLength(0)
  })

  it('une autre personne ne voit ni ne télécharge le fichier de Camille (404), un professionnel n’a pas la page', async () => {
    const r = await t.services.dataExport.request(me)
    const id = (r as { id: string }).id
    await t.services.dataExport.runPending()
    const other = await createAccount(t.db, { lastName: 'Autrui' })
    const o = agent(t.app)
    await signIn(o, t.db, 'patient', other.login, other.password)
    const page = await o.get(PAGE)
    expect(page.status).toBe(200)
    expect(page.text).not.toContain(id)
    const dl = await download(o, id)
    expect(dl.status).toBe(404)
    expect((await t.db('data_exports').where({ id }).first()).state).toBe('ready')
    await expect(
      t.services.dataExport.download({ accountId: other.accountId, kind: 'patient', displayName: 'X', personId: other.id }, id),
    ).rejects.toBeInstanceOf(NotFoundError)

    const pro = agent(t.app)
    await signIn(pro, t.db, 'professional', PROS.bernard.login, PROS.bernard.password)
    expect((await pro.get(PAGE)).status).not.toBe(200)
    const proActor: Actor = {
      accountId: 'x',
      kind: 'professional',
      displayName: 'Dr',
      professionalId: (await t.db('professionals').where({ rpps: PROS.bernard.login }).first()).id,
      acting: undefined,
    }
    await expect(t.services.dataExport.request({ ...proActor, personId: undefined })).rejects.toBeInstanceOf(ForbiddenError)
    // Camille still downloads her own.
    expect((await download(camille, id)).status).toBe(200)
  })

  it('un aidant ne peut pas demander les données de la personne qu’il aide', async () => {
    const paul = await createAccount(t.db, { lastName: 'Aidantdeux' })
    await t.db('carers').insert({
      person_id: camilleId,
      carer_person_id: paul.id,
      status: 'active',
      invitation_expires_at: new Date(Date.now() + DAY),
      starts_on: '2020-01-01',
      accepted_at: new Date(),
    })
    const carer: Actor = {
      accountId: paul.accountId,
      kind: 'patient',
      displayName: 'Paul Aidantdeux',
      personId: paul.id,
      acting: { personId: camilleId, as: 'carer', displayName: 'Camille Martin' },
    }
    expect((await t.services.access.loadFacts(t.db, carer, camilleId))!.relation.kind).toBe('carer')
    await expect(t.services.dataExport.request(carer)).rejects.toBeInstanceOf(ForbiddenError)
    await expect(t.services.dataExport.list(carer)).rejects.toBeInstanceOf(ForbiddenError)
    expect(await t.db('data_exports').where({ requested_by_account_id: paul.accountId })).toHaveLength(0)
  })

  it('le représentant légal demande et télécharge les données de l’enfant, sans les documents invisibles aux représentants', async () => {
    const leoActor: Actor = { ...me, acting: { personId: leoId, as: 'representative', displayName: 'Léo Martin' } }
    const shown = await t.services.documents.upload(leoActor, {
      personId: leoId,
      category: 'AUTR_DOC',
      title: 'Carnet',
      date: '2026-02-01',
      bytes: simplePdf(['Carnet']),
    })
    const hidden = await t.services.documents.upload(leoActor, {
      personId: leoId,
      category: 'AUTR_DOC',
      title: 'Confidentiel',
      date: '2026-02-02',
      bytes: simplePdf(['Confidentiel']),
    })
    expect(shown.ok && hidden.ok).toBe(true)
    await t
      .db('documents')
      .where({ id: (hidden as { id: string }).id })
      .update({ invisible_to_representatives: true })

    await switchTo(camille, leoId)
    const page = await camille.get(PAGE)
    expect(cheerio.load(page.text)('.govuk-caption-l').text()).toContain('Léo')
    expect(page.text).toContain('pas encore demandé')
    expect((await submitForm(camille, PAGE, {})).status).toBe(303)
    const row = await t.db('data_exports').where({ person_id: leoId }).first()
    expect(row).toMatchObject({ requested_as: 'representative', requested_by_account_id: me.accountId })
    expect(await t.db('activity_log').where({ subject_person_id: leoId, action: 'export.request' }).first()).toMatchObject({
      actor_role: 'representative',
    })
    expect(await t.services.dataExport.runPending()).toEqual({ built: 1, failed: 0 })

    const r = await download(camille, row.id)
    expect(r.status).toBe(200)
    const files = await unzip(r.body as Buffer)
    const bundle = JSON.parse(files.get('donnees-fhir.json')!.toString('utf8'))
    expect(bundle.entry.find((e: any) => e.resource.resourceType === 'Patient').resource.id).toBe(leoId)
    const names = [...files.keys()]
    expect(names).toContain('documents/2026-02-01_Carnet.pdf')
    expect(names.some((n) => n.includes('Confidentiel'))).toBe(false)
    expect(files.get('resume.html')!.toString('utf8')).not.toContain('Confidentiel')
    expect(await t.db('activity_log').where({ subject_person_id: leoId, action: 'export.download' }).first()).toMatchObject({
      actor_role: 'representative',
    })

    // Back on her own profile, Léo's file is not hers to see.
    await switchTo(camille, camilleId)
    const other = await t.services.dataExport.request(leoActor)
    expect(other.ok).toBe(true)
    await t.services.dataExport.runPending()
    expect((await download(camille, (other as { id: string }).id)).status).toBe(404)
  })

  it('un fichier dont un morceau a été altéré fait échouer la tâche sans rien laisser ; la page le dit', async () => {
    const doc = await t.db('documents').where({ person_id: camilleId }).where('chunk_count', '>', 0).first()
    const chunk = await t.db('document_chunks').where({ document_id: doc.id, seq: 0 }).first()
    const altered = Buffer.from(chunk.data)
    altered[altered.length - 1] ^= 0xff
    await t.db('document_chunks').where({ document_id: doc.id, seq: 0 }).update({ data: altered })
    try {
      const r = await t.services.dataExport.request(me)
      const id = (r as { id: string }).id
      expect(await t.services.dataExport.runPending()).toEqual({ built: 0, failed: 1 })
      expect((await t.db('data_exports').where({ id }).first()).state).toBe('failed')
      expect(await t.db('data_export_chunks').where({ export_id: id })).toHaveLength(0)
      const page = await camille.get(PAGE)
      expect(cheerio.load(page.text)('#demandes').text()).toContain('Échec')
    } finally {
      await t.db('document_chunks').where({ document_id: doc.id, seq: 0 }).update({ data: chunk.data })
    }
  })
})
