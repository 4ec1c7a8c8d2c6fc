import crypto from 'node:crypto'
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, csrfOf, signIn, type Agent } from '../helpers/http'
import { CAMILLE } from '../helpers/demo'
import { TEST_SECRETS } from '../helpers/env'
import { eventually, objectsOnDisk, sealedChunksOf } from '../helpers/objects'
import { startS3, type TestS3 } from '../helpers/s3'
import type { Actor } from '../../src/domain/actor'
import { simplePdf } from '../../src/infrastructure/simplePdf'
import { unwrapDataKey, newDataKey } from '../../src/infrastructure/crypto'
import { CHUNK_SIZE, openChunk } from '../../src/infrastructure/documentStore'

/**
 * Issue 17 §4: documents' bytes in an object store — a folder (embedded mode, the tests' default) and
 * an S3 store (a real S3 server, s3rver) — sealed as before, metadata and keys in PostgreSQL, nothing
 * left behind whatever rolls back or dies, and the move of older documents out of PostgreSQL.
 */
const MASTER = Buffer.from(TEST_SECRETS.DOCUMENT_MASTER_KEY, 'hex')

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of chunks) parts.push(c)
  return Buffer.concat(parts)
}

async function camilleOf(t: TestApp): Promise<Actor> {
  const acc = await t.db('accounts').where({ login: CAMILLE.login }).first()
  return { accountId: acc.id, kind: 'patient', displayName: 'Camille Martin', personId: acc.person_id }
}

const input = (personId: string, title: string, bytes: Buffer) => ({ personId, category: 'AUTR_DOC', title, date: '2026-01-02', bytes })

describe('documents dans un dossier (le stockage des tests et du mode embarqué)', () => {
  let t: TestApp
  let camille: Actor
  let dir: string
  const pending = async () => t.db('object_removals').select<{ object_key: string; remove_after: Date }[]>('object_key', 'remove_after')
  beforeAll(async () => {
    t = await createTestApp()
    camille = await camilleOf(t)
    dir = t.config.documents.kind === 'disk' ? t.config.documents.dir : ''
  })
  afterAll(async () => {
    await t.close()
  })

  it('un document déposé est un objet du dossier ; supprimé, son objet part aussitôt', async () => {
    const r = await t.services.documents.upload(camille, input(camille.personId!, 'Objet', simplePdf(['Objet'])))
    if (!r.ok) throw new Error(r.reason)
    const key = `documents/${r.id}`
    expect(objectsOnDisk(dir)).toContain(key)
    expect(await pending()).toEqual([])
    await t.services.documents.remove(camille, r.id)
    expect(objectsOnDisk(dir)).not.toContain(key)
    expect(await pending()).toEqual([])
  })

  it('le contenu arrivé en morceaux de toutes tailles est scellé par blocs de 256 Kio, chacun lisible seul ; le contrôle voit le premier bloc entier', async () => {
    const store = t.services.documentStore
    const bytes = crypto.randomBytes(3 * CHUNK_SIZE + 12345)
    // An empty piece, a first piece of 1 byte, pieces across chunk boundaries, one larger than a chunk.
    const cuts = [0, 1, 1000, CHUNK_SIZE - 1001, 7, CHUNK_SIZE + 70000, 65536, bytes.length]
    const pieces: Buffer[] = []
    let at = 0
    for (const n of cuts) {
      pieces.push(bytes.subarray(at, Math.min(at + n, bytes.length)))
      at = Math.min(at + n, bytes.length)
    }
    const seen: { length: number; index: number; total: number }[] = []
    const id = crypto.randomUUID()
    const { key } = newDataKey(MASTER)
    const r = await store.put(id, key, pieces, (chunk, index, total) => void seen.push({ length: chunk.length, index, total }))
    expect(r).toMatchObject({ size: bytes.length, chunks: 4, chunkSize: CHUNK_SIZE })
    expect(seen[0]).toEqual({ length: CHUNK_SIZE, index: 0, total: CHUNK_SIZE })
    expect(seen.reduce((a, s) => a + s.length, 0)).toBe(bytes.length)
    expect(seen.at(-1)!.total).toBe(bytes.length)
    // The object: iv | tag | ciphertext per chunk, exactly what sealChunk writes and openChunk reads.
    const sealed: Buffer[] = []
    for await (const c of await store.blobs.get(r.objectKey)) sealed.push(c)
    const all = Buffer.concat(sealed)
    expect(all.length).toBe(bytes.length + 4 * 28)
    const plain = [0, 1, 2, 3].map((seq) =>
      openChunk(key, id, seq, all.subarray(seq * (CHUNK_SIZE + 28), Math.min(all.length, (seq + 1) * (CHUNK_SIZE + 28)))),
    )
    expect(Buffer.concat(plain).equals(bytes)).toBe(true)
    // Compared as bytes: toEqual walks a 1 MB Buffer element by element (5 s of CPU).
    expect(
      (await collect(store.read(t.db, { id, object_key: r.objectKey, chunk_count: 4, chunk_size: CHUNK_SIZE }, key))).equals(bytes),
    ).toBe(true)
    await store.discard(r.objectKey)
  })

  it('une transaction annulée après le dépôt (dans une autre fonctionnalité) ne laisse aucun objet', async () => {
    const before = objectsOnDisk(dir)
    await expect(
      t.db.transaction(async (trx) => {
        await t.services.documents.fileDocument(trx, camille, input(camille.personId!, 'Annulé', simplePdf(['Annulé'])))
        throw new Error('la suite de la transaction échoue')
      }),
    ).rejects.toThrow('la suite')
    expect(await t.db('documents').where({ title: 'Annulé' })).toHaveLength(0)
    expect(await eventually(async () => objectsOnDisk(dir).length === before.length)).toBe(true)
    expect(await eventually(async () => (await pending()).length === 0)).toBe(true)
  })

  it('un processus mort entre l’envoi et l’enregistrement : la ligne en attente reste, la tâche enlève l’objet à son heure, jamais avant', async () => {
    const store = t.services.documentStore
    const id = crypto.randomUUID()
    const { key } = newDataKey(MASTER)
    // What `put` leaves when nothing follows it (the process died before the metadata transaction).
    const stored = await store.put(id, key, [simplePdf(['Orphelin'])])
    expect(objectsOnDisk(dir)).toContain(stored.objectKey)
    const [row] = await pending()
    expect(row.object_key).toBe(stored.objectKey)
    // Due in about an hour: the job leaves it (an upload may still be on its way).
    expect(row.remove_after.getTime() - Date.now()).toBeGreaterThan(55 * 60 * 1000)
    expect(await store.collect()).toEqual({ removed: 0 })
    expect(objectsOnDisk(dir)).toContain(stored.objectKey)
    // Its hour has come: too late to file it, and the job removes it.
    await t.db('object_removals').update({ remove_after: t.db.raw("now() - interval '1 second'") })
    await expect(t.db.transaction((trx) => store.keep(trx, stored.objectKey))).rejects.toThrow(/expiré/)
    expect(await store.collect()).toEqual({ removed: 1 })
    expect(objectsOnDisk(dir)).not.toContain(stored.objectKey)
    expect(await pending()).toEqual([])
    // Filed in time: kept, whatever the job does later.
    const kept = await store.put(crypto.randomUUID(), key, [simplePdf(['Gardé'])])
    await t.db.transaction((trx) => store.keep(trx, kept.objectKey))
    await t.db('object_removals').update({ remove_after: t.db.raw("now() - interval '1 second'") })
    expect(await store.collect()).toEqual({ removed: 0 })
    expect(await store.blobs.exists(kept.objectKey)).toBe(true)
    await store.blobs.delete(kept.objectKey)
  })

  it('un document supprimé par un autre chemin (SQL, suppression des profils fermés) : le déclencheur marque son objet, la tâche l’enlève ; annulé, rien', async () => {
    const r = await t.services.documents.upload(camille, input(camille.personId!, 'Par SQL', simplePdf(['SQL'])))
    if (!r.ok) throw new Error(r.reason)
    const key = `documents/${r.id}`
    // A deletion that rolls back marks nothing.
    await expect(
      t.db.transaction(async (trx) => {
        await trx('documents').where({ id: r.id }).del()
        throw new Error('annulé')
      }),
    ).rejects.toThrow('annulé')
    expect(await pending()).toEqual([])
    await t.db('documents').where({ id: r.id }).del()
    expect((await pending()).map((p) => p.object_key)).toEqual([key])
    expect(await t.services.documentStore.collect()).toEqual({ removed: 1 })
    expect(objectsOnDisk(dir)).not.toContain(key)
    expect(await pending()).toEqual([])
  })

  it('npm run documents:migrate (la fonction) : déplace les documents de PostgreSQL, vérifiés, à l’identique ; reprend ; laisse un document altéré lisible là où il est', async () => {
    const legacy = (await t.db('documents').whereNull('object_key').orderBy('id')) as {
      id: string
      wrapped_key: Buffer
      chunk_count: number
      chunk_size: number
    }[]
    expect(legacy.length).toBeGreaterThan(3) // the demo documents, filed in PostgreSQL by the seed
    const store = t.services.documentStore
    const before = new Map<string, Buffer>()
    for (const d of legacy) before.set(d.id, await collect(store.read(t.db, d, unwrapDataKey(MASTER, d.wrapped_key))))
    // One document altered at rest: it must not move (nor break the others).
    const bad = legacy[1]
    const chunk = await t.db('document_chunks').where({ document_id: bad.id, seq: 0 }).first()
    const altered = Buffer.from(chunk.data)
    altered[altered.length - 1] ^= 0xff
    await t.db('document_chunks').where({ document_id: bad.id, seq: 0 }).update({ data: altered })
    const unwrap = (w: Buffer) => unwrapDataKey(MASTER, w)
    const first = await store.migrateFromPostgres(unwrap, { batch: 2 })
    expect(first).toEqual({ moved: legacy.length - 1, failed: 1, left: 1 })
    expect(await t.db('document_chunks').whereNot({ document_id: bad.id })).toHaveLength(0)
    expect((await t.db('documents').where({ id: bad.id }).first()).object_key).toBeNull()
    expect(await pending()).toEqual([]) // the failed attempt's object went at once
    for (const d of legacy.filter((x) => x.id !== bad.id)) {
      const row = await t.db('documents').where({ id: d.id }).first()
      expect(row.object_key).toMatch(/^documents\//)
      expect((await collect(store.read(t.db, row, unwrap(row.wrapped_key)))).equals(before.get(d.id)!)).toBe(true)
    }
    // Run again: nothing moves twice; once repaired, the last one moves.
    expect(await store.migrateFromPostgres(unwrap)).toEqual({ moved: 0, failed: 1, left: 1 })
    await t.db('document_chunks').where({ document_id: bad.id, seq: 0 }).update({ data: chunk.data })
    expect(await store.migrateFromPostgres(unwrap)).toEqual({ moved: 1, failed: 0, left: 0 })
    const row = await t.db('documents').where({ id: bad.id }).first()
    expect((await collect(store.read(t.db, row, unwrap(row.wrapped_key)))).equals(before.get(bad.id)!)).toBe(true)
    expect(objectsOnDisk(dir).length).toBe(legacy.length)
  })
})

describe('documents dans un stockage S3 (un vrai serveur S3 : s3rver)', () => {
  let s3: TestS3
  let t: TestApp
  let camille: Agent
  beforeAll(async () => {
    s3 = await startS3()
    t = await createTestApp({ env: s3.env })
    camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
  })
  afterAll(async () => {
    await t?.close()
    await s3?.close()
  })

  const upload = async (bytes: Buffer, name: string, title: string) => {
    const page = await camille.get('/documents/ajouter')
    return camille
      .post('/documents/ajouter')
      .field('_csrf', csrfOf(page.text))
      .field('title', title)
      .field('category', 'AUTR_DOC')
      .field('date-day', '3')
      .field('date-month', '2')
      .field('date-year', '2026')
      .attach('file', bytes, name)
  }
  const download = (id: string) =>
    camille
      .get(`/documents/${id}/telecharger`)
      .buffer(true)
      .parse((res, cb) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () => cb(null, Buffer.concat(parts)))
      })

  it('envoi (en plusieurs parties au-delà de 8 Mio, et d’une traite en dessous) et téléchargement par le site ; suppression', async () => {
    expect(t.services.documentStore.kind).toBe('s3')
    // 9 Mio: a multipart upload (one 8 Mio part sent while the rest arrives, then the last one).
    const big = crypto.randomBytes(9 * 1024 * 1024)
    big.write('%PDF-1.4\n', 0, 'latin1')
    const small = simplePdf(['Petit document'])
    const ids: string[] = []
    for (const [bytes, name] of [
      [big, 'gros.pdf'],
      [small, 'petit.pdf'],
    ] as const) {
      const r = await upload(bytes, name, name)
      expect(r.status).toBe(303)
      const id = r.headers.location.split('/').pop()!
      ids.push(id)
      const row = await t.db('documents').where({ id }).first()
      expect(row.object_key).toBe(`documents/${id}`)
      expect(await t.services.documentStore.blobs.exists(row.object_key)).toBe(true)
      // At rest in S3: sealed chunks, never the plaintext.
      const chunks = await sealedChunksOf(t.db, t.services.documentStore, id)
      expect(chunks).toHaveLength(row.chunk_count)
      expect(Buffer.concat(chunks).includes(bytes.subarray(0, 4096))).toBe(false)
      const dl = await download(id)
      expect(dl.status).toBe(200)
      expect((dl.body as Buffer).equals(bytes)).toBe(true)
    }
    expect(await t.db('object_removals')).toHaveLength(0)
    const page = await camille.get(`/documents/${ids[1]}/supprimer`)
    const del = await camille
      .post(`/documents/${ids[1]}/supprimer`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), confirm: 'oui' })
    expect(del.status).toBe(303)
    expect(await t.services.documentStore.blobs.exists(`documents/${ids[1]}`)).toBe(false)
    expect(await t.services.documentStore.blobs.exists(`documents/${ids[0]}`)).toBe(true)
  })

  it('un fichier refusé en cours d’envoi ne laisse rien dans S3', async () => {
    const before = await t.db('documents').count<{ n: number }[]>('* as n')
    const r = await upload(Buffer.alloc(10 * 1024 * 1024 + 10, 0x61), 'gros.txt', 'Trop gros')
    expect(r.status).toBe(400)
    expect(await t.db('documents').count<{ n: number }[]>('* as n')).toEqual(before)
    expect(await t.db('object_removals')).toHaveLength(0)
  })

  it('la commande npm run documents:migrate déplace les documents de démonstration vers S3 ; relancée, elle ne fait rien', async () => {
    const legacy = await t.db('documents').whereNull('object_key').pluck('id')
    expect(legacy.length).toBeGreaterThan(3)
    const run = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', path.join('src', 'cli', 'documents-migrate.ts'), '--batch', '3'], {
        cwd: path.resolve(__dirname, '../..'),
        env: { ...process.env, ...TEST_SECRETS, ...s3.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: t.database.url },
      })
    const out = await run()
    expect(out.stdout).toContain(`Terminé : ${legacy.length} documents déplacés, 0 en échec, 0 encore dans PostgreSQL.`)
    expect(await t.db('documents').whereNull('object_key')).toHaveLength(0)
    expect(await t.db('document_chunks')).toHaveLength(0)
    for (const id of legacy)
      expect(await t.services.documentStore.blobs.exists((await t.db('documents').where({ id }).first()).object_key)).toBe(true)
    // One of Camille's, through the site, now from S3.
    const camilleId = (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id
    const mine = await t.db('documents').whereIn('id', legacy).where({ person_id: camilleId, mime: 'application/pdf' }).first()
    const dl = await download(mine.id)
    expect(dl.status).toBe(200)
    expect((dl.body as Buffer).subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect((await run()).stdout).toContain('Terminé : 0 documents déplacés, 0 en échec, 0 encore dans PostgreSQL.')
  })
})
