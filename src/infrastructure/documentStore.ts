import crypto from 'node:crypto'
import type { Knex } from 'knex'

/**
 * Where the bytes of documents live. The interface lets another backend (object storage) replace
 * PostgreSQL; the default keeps the ciphertext in PostgreSQL as ordered chunks, in the same
 * transaction as the metadata (PostgreSQL cannot stream a single bytea, chunks can).
 *
 * Each chunk is sealed on its own with AES-256-GCM under the document's data key:
 * iv (12) | tag (16) | ciphertext, with the document id and the chunk's position as additional
 * authenticated data, so chunks cannot be swapped, reordered or moved to another document. The
 * number of chunks is kept with the metadata, so a truncated file is detected on reading.
 * Memory stays at a chunk or two whatever the file size: `write` awaits each insert before
 * reading more of the source (back-pressure), `read` fetches a few chunks at a time.
 */
export interface DocumentStore {
  /**
   * Encrypts and stores `source` as the content of `documentId`. `inspect` sees each plaintext
   * chunk (the first one holds the start of the file, for type sniffing) and may throw to stop.
   */
  write(
    trx: Knex.Transaction,
    documentId: string,
    key: Buffer,
    source: AsyncIterable<Buffer> | Iterable<Buffer>,
    inspect?: (chunk: Buffer, index: number, total: number) => void,
  ): Promise<{ size: number; chunks: number; chunkSize: number }>
  /** Decrypted content, chunk after chunk. Throws if a chunk is missing or was altered. */
  read(db: Knex | Knex.Transaction, documentId: string, key: Buffer, chunkCount: number): AsyncGenerator<Buffer>
  remove(trx: Knex.Transaction, documentId: string): Promise<void>
}

export const CHUNK_SIZE = 64 * 1024
const READ_BATCH = 8
const WRITE_BATCH = 8

function aad(documentId: string, seq: number): Buffer {
  return Buffer.from(`${documentId}:${seq}`, 'utf8')
}

export function sealChunk(key: Buffer, documentId: string, seq: number, plain: Buffer): Buffer {
  const iv = crypto.randomBytes(12)
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(aad(documentId, seq))
  const body = Buffer.concat([cipher.update(plain), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body])
}

export function openChunk(key: Buffer, documentId: string, seq: number, sealed: Buffer): Buffer {
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12))
  decipher.setAAD(aad(documentId, seq))
  decipher.setAuthTag(sealed.subarray(12, 28))
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()])
}

/** Re-cuts a stream of buffers of any size into chunks of exactly `size` bytes (the last one shorter). */
export async function* rechunk(source: AsyncIterable<Buffer> | Iterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = []
  let length = 0
  for await (const piece of source as AsyncIterable<Buffer>) {
    let buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array)
    while (buf.length > 0) {
      const take = Math.min(size - length, buf.length)
      parts.push(buf.subarray(0, take))
      length += take
      buf = buf.subarray(take)
      if (length === size) {
        yield Buffer.concat(parts, length)
        parts = []
        length = 0
      }
    }
  }
  if (length > 0) yield Buffer.concat(parts, length)
}

/**
 * The PostgreSQL store. `where` names the chunk table and its owner column: documents use the
 * default; message attachments keep the same format in their own table (same sealing, same checks).
 */
export function createPgDocumentStore(chunkSize = CHUNK_SIZE, where: { table: string; owner: string } = { table: 'document_chunks', owner: 'document_id' }): DocumentStore {
  const { table, owner } = where
  return {
    async write(trx, documentId, key, source, inspect) {
      let seq = 0
      let size = 0
      // A few chunks per INSERT (fewer round trips), still a bounded amount of memory per upload.
      let batch: Record<string, unknown>[] = []
      for await (const chunk of rechunk(source, chunkSize)) {
        size += chunk.length
        inspect?.(chunk, seq, size)
        batch.push({ [owner]: documentId, seq, data: sealChunk(key, documentId, seq, chunk) })
        seq++
        if (batch.length >= WRITE_BATCH) {
          await trx(table).insert(batch)
          batch = []
        }
      }
      if (batch.length) await trx(table).insert(batch)
      return { size, chunks: seq, chunkSize }
    },

    async *read(db, documentId, key, chunkCount) {
      for (let from = 0; from < chunkCount; from += READ_BATCH) {
        const to = Math.min(chunkCount, from + READ_BATCH)
        const rows: { seq: number; data: Buffer }[] = await db(table)
          .where({ [owner]: documentId })
          .where('seq', '>=', from)
          .where('seq', '<', to)
          .orderBy('seq')
          .select('seq', 'data')
        if (rows.length !== to - from) throw new Error('contenu du document incomplet')
        for (let i = 0; i < rows.length; i++) {
          if (rows[i].seq !== from + i) throw new Error('contenu du document incomplet')
          yield openChunk(key, documentId, rows[i].seq, rows[i].data)
        }
      }
    },

    async remove(trx, documentId) {
      await trx(table).where({ [owner]: documentId }).del()
    },
  }
}
