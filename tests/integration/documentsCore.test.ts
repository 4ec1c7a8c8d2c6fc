import { Readable } from 'node:stream'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { DEMO_PERSONS } from '../helpers/demo'
import type { Actor } from '../../src/domain/actor'
import { can } from '../../src/domain/accessPolicy'
import { simplePdf } from '../../src/infrastructure/simplePdf'
import { openChunk } from '../../src/infrastructure/documentStore'
import { unwrapDataKey } from '../../src/infrastructure/crypto'
import { DocumentRejected } from '../../src/features/documents/service'
import { objectsOnDisk, sealedChunksOf } from '../helpers/objects'

async function collect(chunks: AsyncGenerator<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of chunks) parts.push(c)
  return Buffer.concat(parts)
}

describe('documents core: facts, policy, encrypted chunked storage, fileDocument', () => {
  let t: TestApp
  let camille: Actor
  let camilleId: string
  const pro = async (rpps: string): Promise<Actor> => {
    const p = await t.db('professionals').where({ rpps }).first()
    const a = await t.db('accounts').where({ professional_id: p.id }).first()
    return {
      accountId: a.id,
      kind: 'professional',
      displayName: a.display_name,
      professionalId: p.id,
      profession: p.profession,
      organisation: p.establishment,
    }
  }
  beforeAll(async () => {
    t = await createTestApp()
    const acc = await t.db('accounts').where({ login: 'camille.martin' }).first()
    camilleId = acc.person_id
    camille = { accountId: acc.id, kind: 'patient', displayName: 'Camille Martin', personId: acc.person_id }
  })
  afterAll(async () => {
    await t.close()
  })

  it('loads the demo relations: Dr Bernard médecin traitant, Dr Haddad care team, Dr Petit blocked, Julie Moreau nothing', async () => {
    const { access } = t.services
    const f = async (rpps: string) => (await access.loadFacts(t.db, await pro(rpps), camilleId))!.relation
    expect(await f('10100012342')).toMatchObject({ kind: 'professional', medecinTraitant: true, administrator: true, blocked: false })
    expect(await f('10100023455')).toMatchObject({ kind: 'professional', careTeam: true, medecinTraitant: false, blocked: false })
    expect(await f('10100045672')).toMatchObject({ kind: 'professional', careTeam: false, blocked: true })
    const moreau = await f('10100034569')
    expect(moreau).toMatchObject({ kind: 'professional', careTeam: false, blocked: false, profession: 'PHARMACIEN' })
    expect((moreau as unknown as { readableCategories: string[] }).readableCategories).not.toContain('DIR_ANT')
    expect((await access.loadFacts(t.db, camille, camilleId))!.relation).toEqual({ kind: 'self' })
    const nadia = await t.db('accounts').where({ login: 'nadia.roux' }).first()
    const facts = await access.loadFacts(t.db, { accountId: nadia.id, kind: 'agent', displayName: 'Nadia Roux' }, camilleId)
    expect(facts!.relation).toEqual({ kind: 'agent' })
    expect(can({ accountId: nadia.id, kind: 'agent', displayName: 'Nadia Roux' }, 'list', { type: 'document' }, facts!)).toBe(false)
  })

  it('files a streamed document in encrypted chunks (with an activity row in the same transaction) and reads it back', async () => {
    const big = Buffer.alloc(3 * 256 * 1024 + 17)
    for (let i = 0; i < big.length; i++) big[i] = i % 251
    big.write('%PDF-1.4\n', 0, 'latin1')
    const { documents } = t.services
    const r = await t.db.transaction((trx) =>
      documents.fileDocument(trx, camille, {
        personId: camilleId,
        category: 'AUTR_DOC',
        title: 'Gros fichier',
        date: '2026-01-02',
        stream: Readable.from([big.subarray(0, 1000), big.subarray(1000)]),
      }),
    )
    expect(r).toMatchObject({ mime: 'application/pdf', size: big.length })
    const row = await t.db('documents').where({ id: r.id }).first()
    expect(row).toMatchObject({ chunk_count: 4, author_kind: 'patient', masked: false, file_name: 'Gros-fichier.pdf' })
    // The bytes are in the object store (a folder here), not in PostgreSQL; the row says where.
    expect(row.object_key).toBe(`documents/${r.id}`)
    expect(await t.db('document_chunks').where({ document_id: r.id })).toHaveLength(0)
    expect(await t.db('object_removals').where({ object_key: row.object_key })).toHaveLength(0) // kept
    const chunks = await sealedChunksOf(t.db, t.services.documentStore, r.id)
    expect(chunks).toHaveLength(4)
    // Ciphertext at rest: the plaintext's start is nowhere in the stored object.
    expect(Buffer.concat(chunks).includes(Buffer.from('%PDF-1.4'))).toBe(false)
    // Chunks are bound to their position: chunk 1 does not open as chunk 0; chunk 0 opens as itself.
    const key = unwrapDataKey(Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex'), row.wrapped_key)
    expect(openChunk(key, r.id, 0, chunks[0]).subarray(0, 8).toString('latin1')).toBe('%PDF-1.4')
    expect(() => openChunk(key, r.id, 0, chunks[1])).toThrow()
    const back = await documents.content(camille, r.id, 'download')
    expect((await collect(back.chunks)).equals(big)).toBe(true)
    const log = await t.db('activity_log').where({ object_id: r.id, action: 'document.create' }).first()
    expect(log).toMatchObject({ subject_person_id: camilleId, actor_role: 'patient' })
  })

  it('refuses bad files and leaves nothing behind', async () => {
    const { documents } = t.services
    const before = await t.db('documents').count<{ count: string }[]>({ count: '*' })
    const objectsBefore = objectsOnDisk(t.config.documents.kind === 'disk' ? t.config.documents.dir : '')
    const cases: [Buffer, string | undefined, string][] = [
      [Buffer.alloc(0), undefined, 'empty'],
      [Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03]), undefined, 'type'], // an executable (NUL byte: not text)
      [Buffer.from([0xc3, 0x28, 0x41]), undefined, 'type'], // invalid UTF-8
      [simplePdf(['x']), 'photo.png', 'type_mismatch'],
      [simplePdf(['x']), '../../etc/passwd', 'bad_name'],
      [simplePdf(['x']), 'facture.pdf.exe', 'bad_name'],
    ]
    for (const [bytes, fileName, reason] of cases) {
      const r = await documents.upload(camille, {
        personId: camilleId,
        category: 'AUTR_DOC',
        title: 'Refusé',
        date: '2026-01-02',
        bytes,
        fileName,
      })
      expect(r).toEqual({ ok: false, reason })
    }
    const tooBig = Buffer.alloc(10 * 1024 * 1024 + 1, 0x41)
    expect(
      await documents.upload(camille, { personId: camilleId, category: 'AUTR_DOC', title: 'Trop gros', date: '2026-01-02', bytes: tooBig }),
    ).toEqual({ ok: false, reason: 'too_large' })
    const after = await t.db('documents').count<{ count: string }[]>({ count: '*' })
    expect(after).toEqual(before)
    // No object left in the store, and nothing waiting for removal.
    expect(objectsOnDisk(t.config.documents.kind === 'disk' ? t.config.documents.dir : '')).toEqual(objectsBefore)
    expect(await t.db('object_removals')).toHaveLength(0)
    expect(DocumentRejected).toBeDefined()
  })

  it('a professional files without consent (e-mail to the patient, no health data), a blocked one too; an agent cannot', async () => {
    const { documents } = t.services
    const moreau = await pro('10100034569')
    const r = await t.db.transaction((trx) =>
      documents.fileDocument(trx, moreau, {
        personId: camilleId,
        category: 'ORD_SOIN',
        title: 'Délivrance',
        date: '2026-01-03',
        bytes: simplePdf(['Delivrance']),
      }),
    )
    const row = await t.db('documents').where({ id: r.id }).first()
    expect(row).toMatchObject({
      author_kind: 'professional',
      author_name: 'Julie Moreau',
      author_profession: "Pharmacie d'officine",
      author_organisation: 'Pharmacie des Pyrénées',
    })
    const mail = await t.db('outbox').where({ recipient: DEMO_PERSONS.camille.email, kind: 'new-document' }).orderBy('id', 'desc').first()
    expect(mail.body).not.toContain('Délivrance')
    const petit = await pro('10100045672')
    await expect(
      t.db.transaction((trx) =>
        documents.fileDocument(trx, petit, {
          personId: camilleId,
          category: 'RADIO_SC',
          title: 'Radio',
          date: '2026-01-03',
          bytes: simplePdf(['Radio']),
        }),
      ),
    ).resolves.toBeDefined()
    // But the blocked professional cannot read even what they filed.
    await expect(documents.list(petit, camilleId, { sort: 'date_desc' })).rejects.toMatchObject({ status: 403 })
    const nadia = await t.db('accounts').where({ login: 'nadia.roux' }).first()
    await expect(
      t.db.transaction((trx) =>
        documents.fileDocument(
          trx,
          { accountId: nadia.id, kind: 'agent', displayName: 'Nadia' },
          { personId: camilleId, category: 'AUTR_DOC', title: 'x', date: '2026-01-03', bytes: simplePdf(['x']) },
        ),
      ),
    ).rejects.toMatchObject({ status: 403 })
  })

  it('lists per the policy: Dr Haddad (care team) never sees the masked document, Dr Bernard (médecin traitant) does', async () => {
    const { documents } = t.services
    const masked = await t.db('documents').where({ person_id: camilleId, masked: true }).first()
    const lists = () =>
      t
        .db('activity_log')
        .where({ subject_person_id: camilleId, action: 'document.list' })
        .count<{ count: number }[]>({ count: '*' })
        .then((r) => Number(r[0].count))
    const before = await lists()
    const haddad = await documents.list(await pro('10100023455'), camilleId, { sort: 'date_desc' })
    expect(haddad.rows.map((d) => d.id)).not.toContain(masked.id)
    expect(haddad.rows.length).toBeGreaterThan(2)
    await expect(documents.get(await pro('10100023455'), masked.id)).rejects.toMatchObject({ status: 404 })
    const bernard = await documents.list(await pro('10100012342'), camilleId, { sort: 'date_desc' })
    expect(bernard.rows.map((d) => d.id)).toContain(masked.id)
    expect(await lists()).toBe(before + 2)
  })
})
