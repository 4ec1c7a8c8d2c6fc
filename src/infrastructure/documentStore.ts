import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { once } from 'node:events'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import { isUuid } from '../domain/uuid'
import { poolOf } from './database'

/**
 * Where the bytes of documents live. The interface lets another backend (object storage) replace
 * PostgreSQL; the default keeps the ciphertext in PostgreSQL as ordered chunks, in the same
 * transaction as the metadata (PostgreSQL cannot stream a single bytea, chunks can).
 *
 * Each chunk is sealed on its own with AES-256-GCM under the document's data key:
 * iv (12) | tag (16) | ciphertext, with the document id and the chunk's position as additional
 * authenticated data, so chunks cannot be swapped, reordered or moved to another document. The
 * number of chunks is kept with the metadata, so a truncated file is detected on reading.
 * Memory stays at a chunk or two whatever the file size (back-pressure both ways, see below).
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

/** 256 KB of plaintext per row: few rows, few index entries, still little memory per upload. */
export const CHUNK_SIZE = 256 * 1024
const READ_BATCH = 4
/** How much may wait between PostgreSQL and the request / response, so that neither side stalls. */
const STREAM_BUFFER = 512 * 1024

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
  // GCM has no padding: `final` only checks the tag (and returns nothing), no copy needed.
  const plain = decipher.update(sealed.subarray(28))
  decipher.final()
  return plain
}

/** Re-cuts a stream of buffers of any size into chunks of exactly `size` bytes (the last one shorter). */
export async function* rechunk(source: AsyncIterable<Buffer> | Iterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = []
  let length = 0
  for await (const piece of source) {
    let buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece)
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
 *
 * Writing streams the sealed chunks into one `COPY … FROM STDIN (FORMAT binary)` on the
 * transaction's own connection: no round trip per chunk, the network, the cipher and PostgreSQL
 * overlap, and back-pressure comes from PostgreSQL's socket (a slow database pauses the upload).
 * The source must not read from the same transaction (its connection is busy with the COPY).
 *
 * Reading outside a transaction streams `COPY (SELECT …) TO STDOUT (FORMAT binary)` from a pooled
 * connection, parsed tuple by tuple; inside a transaction, batched SELECTs in binary mode.
 */
export function createPgDocumentStore(
  chunkSize = CHUNK_SIZE,
  where: { table: string; owner: string } = { table: 'document_chunks', owner: 'document_id' },
): DocumentStore {
  const { table, owner } = where
  if (!/^[a-z_]+$/.test(table) || !/^[a-z_]+$/.test(owner)) throw new Error('nom de table invalide')
  return {
    async write(trx, documentId, key, source, inspect) {
      const conn = await poolOf(trx).acquireConnection()
      const owned = uuidBytes(documentId)
      // A slow client (or a long export) may take longer than the usual statement limit; the request's
      // own time limit still ends a stalled upload (the COPY is then aborted and rolled back).
      const { rows } = await conn.query<{ prev: string }>(
        "SELECT current_setting('statement_timeout') AS prev, set_config('statement_timeout', '30min', true)",
      )
      const copy = conn.query(copyFrom(`COPY ${table} (${owner}, seq, data) FROM STDIN (FORMAT binary)`, { highWaterMark: CHUNK_SIZE }))
      let failed: Error | undefined
      copy.on('error', (err: Error) => (failed ??= err))
      const put = async (buf: Buffer) => {
        if (failed) throw failed
        if (!copy.write(buf)) await once(copy, 'drain')
      }
      let seq = 0
      let size = 0
      try {
        await put(COPY_HEADER)
        for await (const chunk of rechunk(source, chunkSize)) {
          size += chunk.length
          inspect?.(chunk, seq, size)
          const iv = crypto.randomBytes(12)
          const cipher = crypto.createCipheriv('aes-256-gcm', key, iv)
          cipher.setAAD(aad(documentId, seq))
          const body = cipher.update(chunk)
          cipher.final()
          // Tuple: 3 fields (uuid, int4, bytea = iv | tag | ciphertext), the body written as is.
          const head = Buffer.allocUnsafe(2 + 4 + 16 + 4 + 4 + 4 + 28)
          let at = head.writeInt16BE(3, 0)
          at = head.writeInt32BE(16, at)
          at += owned.copy(head, at)
          at = head.writeInt32BE(4, at)
          at = head.writeInt32BE(seq, at)
          at = head.writeInt32BE(28 + body.length, at)
          at += iv.copy(head, at)
          cipher.getAuthTag().copy(head, at)
          await put(head)
          await put(body)
          seq++
        }
        await put(COPY_TRAILER)
        copy.end()
        await once(copy, 'finish')
      } catch (err) {
        // Abort the COPY (the server answers with an error); the caller's transaction rolls back.
        if (!copy.destroyed) {
          copy.destroy(err instanceof Error ? err : new Error(String(err)))
          await once(copy, 'close').catch(() => undefined)
        }
        throw err
      }
      await conn.query('SELECT set_config($1, $2, true)', ['statement_timeout', rows[0].prev])
      return { size, chunks: seq, chunkSize }
    },

    async *read(db, documentId, key, chunkCount) {
      if ('isTransaction' in db && db.isTransaction) {
        // In a transaction (its connection may be needed by the caller): batched binary SELECTs.
        for (let from = 0; from < chunkCount; from += READ_BATCH) {
          const to = Math.min(chunkCount, from + READ_BATCH)
          const rows = (
            await db
              .raw<{ rows: { seq: number; data: Buffer }[] }>(
                `SELECT seq, data FROM ${table} WHERE ${owner} = ? AND seq >= ? AND seq < ? ORDER BY seq`,
                [documentId, from, to],
              )
              .options({ binary: true })
          ).rows
          if (rows.length !== to - from) throw new Error('contenu du document incomplet')
          for (let i = 0; i < rows.length; i++) {
            if (rows[i].seq !== from + i) throw new Error('contenu du document incomplet')
            yield openChunk(key, documentId, rows[i].seq, rows[i].data)
          }
        }
        return
      }
      if (!isUuid(documentId)) throw new Error('identifiant invalide')
      const client = poolOf(db)
      const conn = await client.acquireConnection()
      let clean = false
      try {
        const stream = conn.query(
          copyTo(`COPY (SELECT seq, data FROM ${table} WHERE ${owner} = '${documentId}' ORDER BY seq) TO STDOUT (FORMAT binary)`, {
            highWaterMark: STREAM_BUFFER,
          }),
        )
        let expected = 0
        for await (const tuple of binaryTuples(stream)) {
          const seq = tuple[0].readInt32BE(0)
          if (seq !== expected || seq >= chunkCount) throw new Error('contenu du document incomplet')
          yield openChunk(key, documentId, seq, tuple[1])
          expected++
        }
        if (expected !== chunkCount) throw new Error('contenu du document incomplet')
        clean = true
      } finally {
        // Stopped in the middle of a COPY (client gone, altered chunk): the connection is dropped.
        // knex's own flag (not in its types): a released connection that carries it is destroyed, not pooled again.
        if (!clean) Object.assign(conn, { __knex__disposed: 'lecture interrompue' })
        await client.releaseConnection(conn)
      }
    },

    async remove(trx, documentId) {
      await trx(table)
        .where({ [owner]: documentId })
        .del()
    },
  }
}

const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')
const COPY_HEADER = Buffer.concat([COPY_SIGNATURE, Buffer.alloc(8)])
const COPY_TRAILER = Buffer.from([0xff, 0xff])

function uuidBytes(id: string): Buffer {
  if (!isUuid(id)) throw new Error('identifiant invalide')
  return Buffer.from(id.replace(/-/g, ''), 'hex')
}

/** Parses a binary COPY stream into tuples of non-null fields (one copy per field at most). */
export async function* binaryTuples(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer[]> {
  const pending: Buffer[] = []
  let pendingLength = 0
  let headerDone = false
  // Takes exactly n bytes from the pending pieces (undefined when not there yet).
  const take = (n: number): Buffer | undefined => {
    if (pendingLength < n) return undefined
    if (n === 0) return Buffer.alloc(0)
    let out: Buffer
    if (pending[0].length >= n) {
      out = pending[0].subarray(0, n)
      pending[0] = pending[0].subarray(n)
      if (pending[0].length === 0) pending.shift()
    } else {
      out = Buffer.allocUnsafe(n)
      let at = 0
      // The pieces used up are removed once at the end: one shift per piece made a field cut
      // into many small pieces quadratic (70 kB in 1-byte pieces: 7 s).
      let used = 0
      while (at < n) {
        const p = pending[used]
        const k = Math.min(p.length, n - at)
        p.copy(out, at, 0, k)
        at += k
        if (k === p.length) used++
        else pending[used] = p.subarray(k)
      }
      pending.splice(0, used)
    }
    pendingLength -= n
    return out
  }
  const peekInt = (offset: number, bytes: 2 | 4): number | undefined => {
    if (pendingLength < offset + bytes) return undefined
    const b = Buffer.allocUnsafe(bytes)
    let at = 0
    let skip = offset
    for (const p of pending) {
      if (skip >= p.length) {
        skip -= p.length
        continue
      }
      const k = Math.min(p.length - skip, bytes - at)
      p.copy(b, at, skip, skip + k)
      at += k
      skip = 0
      if (at === bytes) break
    }
    return bytes === 2 ? b.readInt16BE(0) : b.readInt32BE(0)
  }
  let fields: number | undefined
  let tuple: Buffer[] = []
  let fieldLength: number | undefined
  for await (const piece of stream) {
    if (piece.length) {
      pending.push(piece)
      pendingLength += piece.length
    }
    for (;;) {
      if (!headerDone) {
        const ext = peekInt(15, 4)
        if (ext === undefined) break
        const head = take(19 + ext)
        if (!head) break
        if (!head.subarray(0, 11).equals(COPY_SIGNATURE)) throw new Error('flux COPY invalide')
        headerDone = true
      }
      if (fields === undefined) {
        const n = peekInt(0, 2)
        if (n === undefined) break
        take(2)
        if (n === -1) return
        fields = n
        tuple = []
      }
      if (tuple.length < fields) {
        if (fieldLength === undefined) {
          const len = peekInt(0, 4)
          if (len === undefined) break
          if (len < 0) throw new Error('valeur nulle inattendue')
          take(4)
          fieldLength = len
        }
        const value = take(fieldLength)
        if (!value) break
        tuple.push(value)
        fieldLength = undefined
        continue
      }
      fields = undefined
      yield tuple
    }
  }
  throw new Error('flux COPY incomplet')
}
