import crypto from 'node:crypto'
import { Readable } from 'node:stream'
import type { Knex } from 'knex'
import pg from 'pg'
import { BlobNotFound, type BlobStore } from './blobStore'
import { CHUNK_SIZE, createPgDocumentStore, openChunk, rechunk } from './documentStore'
import { connectionOf } from './database'
import type { Logger } from './logger'
import { errorMessage } from '../errors'

/**
 * The content of documents in an object store (issue 17 §4), over a `BlobStore` (S3 or a folder).
 * The bytes are sealed exactly as before (documentStore.ts: AES-256-GCM per 256 Kio chunk, the
 * document id and the chunk's position as additional data, one data key per document wrapped by
 * the master key) and the sealed chunks are written one after the other as ONE object,
 * `documents/<id>`; the metadata and the wrapped key stay in PostgreSQL (`documents`), with the
 * object's key, the chunk size and the number of chunks (a truncated object is detected).
 *
 * Nothing is left behind, whatever fails and whenever:
 *  1. `put` first writes a row in `object_removals` (remove after an hour), committed on its own,
 *     then sends the bytes;
 *  2. the transaction that files the metadata deletes that row (`keep`), and fails if it is gone;
 *  3. the `object-removals` job removes every object whose row is due (an upload whose transaction
 *     rolled back or never came, a deleted document: a trigger writes the row in the deleting
 *     transaction), then its row.
 * The job locks the rows it works on (FOR UPDATE SKIP LOCKED) and `keep` deletes its row: the two
 * never both succeed for the same object. A `put` gives up after 30 minutes, well before its row
 * (an hour) is due. Even an object left behind would be unreadable: its data key was only in the
 * rolled-back (or deleted) metadata.
 *
 * The pending row of step 1 (and a removal after a failure) goes through a small pool of its own (2
 * connections at most, closed when idle): `put` may be called inside a caller's transaction (a PDF
 * filed with a change of the medical profile), and must not wait for a second connection of the pool
 * that transaction holds.
 *
 * Documents filed before this store (`object_key` NULL) are still read from `document_chunks`,
 * until `npm run documents:migrate` moves them (`migrateFromPostgres`).
 */
export interface StoredObject {
  objectKey: string
  size: number
  chunks: number
  chunkSize: number
}

/** What reading a document needs from its row. */
export interface StoredDocument {
  id: string
  object_key?: string | null
  chunk_count: number
  chunk_size: number
}

export interface ObjectDocumentStore {
  readonly kind: BlobStore['kind']
  readonly blobs: BlobStore
  /**
   * Seals and stores `source` as the content of `documentId` (a new id). `inspect` sees the
   * plaintext in order: first the file's first chunk whole (its start, for type sniffing: `index` 0),
   * then the pieces as they came; `total` is the size so far. It may throw to stop.
   * Must not be given a stream read through the caller's transaction.
   */
  put(
    documentId: string,
    key: Buffer,
    source: AsyncIterable<Buffer> | Iterable<Buffer>,
    inspect?: (chunk: Buffer, index: number, total: number) => void,
  ): Promise<StoredObject>
  /** In the transaction that files the metadata: the object is kept. Throws if it was already given up. */
  keep(trx: Knex.Transaction, objectKey: string): Promise<void>
  /**
   * Removes now an object whose metadata was not filed (its transaction rolled back) or was deleted:
   * does nothing for an object that is kept. Safe at any time; failures are left to the job.
   */
  discard(objectKey: string): Promise<void>
  /** The decrypted content, chunk after chunk. Throws if a chunk is missing or was altered. */
  read(db: Knex, doc: StoredDocument, key: Buffer): AsyncGenerator<Buffer>
  /** The `object-removals` job: removes the objects whose row is due. */
  collect(opts?: { batch?: number }): Promise<{ removed: number }>
  /**
   * `npm run documents:migrate`: moves documents still in `document_chunks` to the object store, in
   * batches, checking every chunk on the way (the sealed bytes are copied as they are: same keys).
   * Idempotent and resumable: a document is switched to its object, and its chunks deleted, in one
   * transaction; a run stopped anywhere leaves each document either in PostgreSQL or in the store.
   */
  migrateFromPostgres(
    masterKeyUnwrap: (wrapped: Buffer) => Buffer,
    opts?: { batch?: number; onBatch?: (done: { moved: number; failed: number }) => void },
  ): Promise<{ moved: number; failed: number; left: number }>
  close(): Promise<void>
}

/** How long a pending object may wait for its metadata before the job removes it. */
export const PENDING_MINUTES = 60
/** A `put` that has not finished by then fails (long before its pending row is due). */
const PUT_DEADLINE_MS = 30 * 60 * 1000
const SEALED_OVERHEAD = 28

export function documentObjectKey(documentId: string): string {
  return `documents/${documentId}`
}

export function createObjectDocumentStore(deps: { db: Knex; blobs: BlobStore; logger?: Logger }): ObjectDocumentStore {
  const { db, blobs } = deps
  const legacy = createPgDocumentStore()
  let registrar: pg.Pool | undefined
  const side = () =>
    (registrar ??= (() => {
      const pool = new pg.Pool({ ...connectionOf(db), max: 2, idleTimeoutMillis: 10_000, allowExitOnIdle: true })
      pool.on('error', () => {
        /* a broken idle connection: the next query reports the fault */
      })
      return pool
    })())
  const register = async (objectKey: string) => {
    await side().query(
      `INSERT INTO object_removals (object_key, remove_after) VALUES ($1, now() + interval '${PENDING_MINUTES} minutes')
       ON CONFLICT (object_key) DO UPDATE SET remove_after = EXCLUDED.remove_after, created_at = now()`,
      [objectKey],
    )
  }

  /** Through the small pool too: a failed `put` inside a caller's transaction must not wait for its pool. */
  async function discard(objectKey: string): Promise<void> {
    const conn = await side().connect()
    let open = false
    try {
      await conn.query('BEGIN')
      open = true
      const { rowCount } = await conn.query('SELECT 1 FROM object_removals WHERE object_key = $1 FOR UPDATE SKIP LOCKED', [objectKey])
      // None: kept (its metadata is filed), or being removed by the job right now.
      if (rowCount) {
        await blobs.delete(objectKey)
        await conn.query('DELETE FROM object_removals WHERE object_key = $1', [objectKey])
      }
      await conn.query('COMMIT')
      open = false
    } finally {
      if (open) await conn.query('ROLLBACK').catch(() => undefined)
      conn.release()
    }
  }

  async function* read(readDb: Knex, doc: StoredDocument, key: Buffer): AsyncGenerator<Buffer> {
    if (!doc.object_key) {
      yield* legacy.read(readDb, doc.id, key, doc.chunk_count)
      return
    }
    let body: AsyncIterable<Buffer>
    try {
      body = await blobs.get(doc.object_key)
    } catch (err) {
      if (err instanceof BlobNotFound) throw new Error('contenu du document introuvable')
      throw err
    }
    let seq = 0
    try {
      for await (const sealed of rechunk(body, doc.chunk_size + SEALED_OVERHEAD)) {
        if (seq >= doc.chunk_count) throw new Error('contenu du document incomplet')
        yield openChunk(key, doc.id, seq, sealed)
        seq++
      }
    } finally {
      // Stopped early (client gone, altered chunk): the object's stream is closed, not left open.
      if (body instanceof Readable) body.destroy()
    }
    if (seq !== doc.chunk_count) throw new Error('contenu du document incomplet')
  }

  return {
    kind: blobs.kind,
    blobs,

    async put(documentId, key, source, inspect) {
      const objectKey = documentObjectKey(documentId)
      await register(objectKey)
      const started = Date.now()
      let seq = 0
      let size = 0
      let calls = 0
      // The first chunk is put together whole (the file's start, for its type); then each piece is
      // sealed as it comes, the chunk's GCM stream going on across pieces, its ciphertext kept until
      // its tag is known (iv | tag | ciphertext, as documentStore's sealChunk). No plaintext is
      // copied: a copy would be 10 Mo more per 10 Mo upload for the garbage collector to find.
      async function* sealed(): AsyncGenerator<Buffer> {
        // One key object for all the chunks (not one made from the raw key for each).
        const secret = crypto.createSecretKey(key)
        let cipher: crypto.CipherGCM | undefined
        let iv: Buffer = Buffer.alloc(0)
        let filled = 0
        let ciphertext: Buffer[] = []
        function* seal(plain: Buffer): Generator<Buffer> {
          if (plain.length === 0) return
          if (Date.now() - started > PUT_DEADLINE_MS) throw new Error('envoi trop long : abandonné')
          size += plain.length
          inspect?.(plain, calls++, size)
          while (plain.length > 0) {
            if (!cipher) {
              iv = crypto.randomBytes(12)
              cipher = crypto.createCipheriv('aes-256-gcm', secret, iv)
              cipher.setAAD(Buffer.from(`${documentId}:${seq}`, 'utf8'))
            }
            const take = Math.min(CHUNK_SIZE - filled, plain.length)
            ciphertext.push(cipher.update(plain.subarray(0, take)))
            filled += take
            plain = plain.subarray(take)
            if (filled === CHUNK_SIZE) yield* close()
          }
        }
        function* close(): Generator<Buffer> {
          cipher!.final()
          yield Buffer.concat([iv, cipher!.getAuthTag()])
          yield* ciphertext
          ciphertext = []
          cipher = undefined
          filled = 0
          seq++
        }
        // Until the first chunk is whole: its pieces (then undefined).
        let first: Buffer[] | undefined = []
        let firstLength = 0
        for await (const piece of source) {
          if (piece.length === 0) continue
          if (!first) {
            yield* seal(piece)
            continue
          }
          first.push(piece)
          firstLength += piece.length
          if (firstLength < CHUNK_SIZE) continue
          const head = Buffer.concat(first, firstLength)
          first = undefined
          yield* seal(head.subarray(0, CHUNK_SIZE))
          yield* seal(head.subarray(CHUNK_SIZE))
        }
        if (first?.length) yield* seal(Buffer.concat(first, firstLength))
        if (cipher) yield* close()
      }
      try {
        await blobs.put(objectKey, sealed())
      } catch (err) {
        await discard(objectKey).catch(() => undefined)
        throw err
      }
      return { objectKey, size, chunks: seq, chunkSize: CHUNK_SIZE }
    },

    async keep(trx, objectKey) {
      const n = await trx('object_removals').where({ object_key: objectKey }).where('remove_after', '>', trx.fn.now()).del()
      if (n !== 1) throw new Error('le contenu envoyé a expiré avant son enregistrement')
    },

    discard,
    read: (readDb, doc, key) => read(readDb, doc, key),

    async collect(opts = {}) {
      const batch = opts.batch ?? 100
      let removed = 0
      for (;;) {
        const n = await db.transaction(async (trx) => {
          const rows: { object_key: string }[] = await trx('object_removals')
            .where('remove_after', '<=', trx.fn.now())
            .orderBy('remove_after')
            .limit(batch)
            .forUpdate()
            .skipLocked()
            .select('object_key')
          // A few at a time: the store is not flooded, the rows stay locked while their objects go.
          for (let i = 0; i < rows.length; i += 8) await Promise.all(rows.slice(i, i + 8).map((r) => blobs.delete(r.object_key)))
          if (rows.length)
            await trx('object_removals')
              .whereIn(
                'object_key',
                rows.map((r) => r.object_key),
              )
              .del()
          return rows.length
        })
        removed += n
        if (n < batch) break
      }
      return { removed }
    },

    async migrateFromPostgres(unwrap, opts = {}) {
      const batch = opts.batch ?? 50
      let moved = 0
      let failed = 0
      let after = '00000000-0000-0000-0000-000000000000'
      for (;;) {
        const rows: { id: string; wrapped_key: Buffer; chunk_count: number }[] = await db('documents')
          .whereNull('object_key')
          .where('id', '>', after)
          .orderBy('id')
          .limit(batch)
          .select('id', 'wrapped_key', 'chunk_count')
        if (!rows.length) break
        after = rows[rows.length - 1].id
        for (const row of rows) {
          try {
            await moveOne(row, unwrap(row.wrapped_key))
            moved++
          } catch (err) {
            failed++
            deps.logger?.error({ err: { message: errorMessage(err) }, document: row.id }, 'document non déplacé')
          }
        }
        opts.onBatch?.({ moved, failed })
      }
      const [{ n }] = await db('documents').whereNull('object_key').count<{ n: number }[]>('* as n')
      return { moved, failed, left: Number(n) }
    },

    async close() {
      await registrar?.end()
      registrar = undefined
      await blobs.close()
    },
  }

  /** One document: its sealed chunks, checked, copied as they are into one object; then the switch. */
  async function moveOne(row: { id: string; chunk_count: number }, key: Buffer): Promise<void> {
    // A key of its own for each attempt: two runs at once (a mistake) each remove only their own object.
    const objectKey = documentObjectKey(crypto.randomUUID())
    await register(objectKey)
    let seq = 0
    async function* sealedChunks(): AsyncGenerator<Buffer> {
      for (let from = 0; from < row.chunk_count; from += 4) {
        const rows: { seq: number; data: Buffer }[] = await db('document_chunks')
          .where({ document_id: row.id })
          .where('seq', '>=', from)
          .where('seq', '<', from + 4)
          .orderBy('seq')
          .select('seq', 'data')
        for (const r of rows) {
          if (r.seq !== seq) throw new Error('contenu du document incomplet')
          openChunk(key, row.id, seq, r.data) // throws if altered: nothing is moved
          seq++
          yield r.data
        }
        if (seq !== Math.min(row.chunk_count, from + 4)) throw new Error('contenu du document incomplet')
      }
    }
    try {
      await blobs.put(objectKey, sealedChunks())
      await db.transaction(async (trx) => {
        const n = await trx('documents').where({ id: row.id }).whereNull('object_key').update({ object_key: objectKey })
        if (n !== 1) throw new Error('document supprimé ou déjà déplacé')
        await trx('document_chunks').where({ document_id: row.id }).del()
        const kept = await trx('object_removals').where({ object_key: objectKey }).del()
        if (kept !== 1) throw new Error('le contenu envoyé a expiré avant son enregistrement')
      })
    } catch (err) {
      await discard(objectKey).catch(() => undefined)
      throw err
    }
  }
}
