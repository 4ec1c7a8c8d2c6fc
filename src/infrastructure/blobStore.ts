import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3'
import { errorCode, errorName } from '../errors'
import { isRecord } from '../validation'

/**
 * Where the (already encrypted) bytes of documents live: an S3-compatible object store in
 * production, a folder on disk in embedded mode. One small interface, two implementations; the
 * encryption, the keys and the bookkeeping of what may be removed are above it (documentStore.ts).
 * Keys look like `documents/<uuid>`. Nothing here ever holds a whole object in memory.
 */
export interface BlobStore {
  readonly kind: 's3' | 'disk'
  /** Stores `body` under `key` (replacing an object of that key), streamed; resolves once it is durable. */
  put(key: string, body: AsyncIterable<Buffer>): Promise<void>
  /** The object's bytes, streamed. Rejects with `BlobNotFound` when there is none. */
  get(key: string): Promise<AsyncIterable<Buffer>>
  /** Removes the object; nothing happens when it does not exist. */
  delete(key: string): Promise<void>
  exists(key: string): Promise<boolean>
  close(): Promise<void>
}

/** The store the configuration names: S3 when S3_BUCKET is set, a folder otherwise. */
export function createBlobStore(c: { kind: 'disk'; dir: string } | { kind: 's3'; s3: S3Options }): BlobStore {
  return c.kind === 's3' ? createS3BlobStore(c.s3) : createDiskBlobStore(c.dir)
}

export class BlobNotFound extends Error {
  constructor(key: string) {
    super(`objet introuvable : ${key}`)
    this.name = 'BlobNotFound'
  }
}

/** Our keys only: a short prefix and a uuid (never a path a user chose). */
const KEY = /^[a-z][a-z-]{0,30}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function checkKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`clé d'objet invalide : ${key}`)
}

/**
 * A folder on disk: `<root>/<prefix>/<first two characters>/<uuid>`. A write goes straight to its
 * final name (an unfinished file is covered by its pending removal row, and is never read: its
 * metadata is filed only after `put` resolved), then fsync, file and folder.
 */
export function createDiskBlobStore(root: string): BlobStore {
  const pathOf = (key: string) => {
    checkKey(key)
    const [prefix, name] = key.split('/')
    return path.join(root, prefix, name.slice(0, 2), name)
  }
  return {
    kind: 'disk',
    async put(key, body) {
      const file = pathOf(key)
      const dir = path.dirname(file)
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 })
      const fh = await fs.promises.open(file, 'w', 0o600)
      try {
        let pending: Buffer[] = []
        let length = 0
        // A few chunks per system call (writev), without holding more than ~1 Mo.
        for await (const piece of body) {
          pending.push(piece)
          length += piece.length
          if (length >= 1024 * 1024) {
            await fh.writev(pending)
            pending = []
            length = 0
          }
        }
        if (pending.length) await fh.writev(pending)
        await fh.sync()
      } finally {
        await fh.close()
      }
      const d = await fs.promises.open(dir, 'r')
      try {
        await d.sync()
      } finally {
        await d.close()
      }
    },
    async get(key) {
      const file = pathOf(key)
      let fh: fs.promises.FileHandle
      try {
        fh = await fs.promises.open(file, 'r')
      } catch (err) {
        if (errorCode(err) === 'ENOENT') throw new BlobNotFound(key)
        throw err
      }
      return fh.createReadStream({ highWaterMark: 512 * 1024 })
    },
    async delete(key) {
      await fs.promises.rm(pathOf(key), { force: true })
    },
    async exists(key) {
      try {
        await fs.promises.access(pathOf(key))
        return true
      } catch {
        return false
      }
    },
    async close() {
      /* nothing open between calls */
    },
  }
}

export interface S3Options {
  bucket: string
  /** For a store other than AWS (MinIO, Ceph, Garage, OVH, Scaleway, s3rver…). */
  endpoint?: string
  region: string
  /** Without them, the SDK's usual chain (environment, instance role…). */
  accessKeyId?: string
  secretAccessKey?: string
  /** Path-style addresses (`endpoint/bucket/key`), which most stores other than AWS need. */
  forcePathStyle: boolean
  /** Prepended to every key (several environments in one bucket). */
  prefix?: string
  /** Where an upload waits on local disk while it is sent (never in memory). */
  spoolDir?: string
  /** Multipart part size (S3's minimum is 5 Mio). */
  partSize?: number
}

const MiB = 1024 * 1024

/**
 * An S3-compatible store (`@aws-sdk/client-s3`). An upload is streamed to a spool file on local
 * disk and sent from there: as soon as the spool holds a whole part (8 Mio) it goes as one part of a
 * multipart upload, while the rest is still arriving; a short object (one part or less) goes as a
 * single PutObject once complete. The length of every request is then known, so nothing is buffered
 * in memory whatever the number of uploads (lib-storage's `Upload` keeps each 5 Mio part in memory:
 * 20 uploads of 10 Mo at once added 240 to 340 Mo of RSS, against none here), and a slow client
 * costs disk, not memory. The spool file is
 * already ciphertext and is removed when the upload ends; leftovers of a killed process are removed
 * when the next one starts.
 *
 * Checksums are computed only when an operation requires them: the SDK's default (CRC32 in trailers,
 * aws-chunked bodies) is not understood by many S3-compatible stores.
 */
export function createS3BlobStore(o: S3Options): BlobStore {
  const client = new S3Client({
    region: o.region,
    endpoint: o.endpoint,
    forcePathStyle: o.forcePathStyle,
    credentials: o.accessKeyId && o.secretAccessKey ? { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } : undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A store that stops answering fails the request (and the upload) instead of hanging it.
    requestHandler: { connectionTimeout: 5000, requestTimeout: 120_000 },
    maxAttempts: 3,
  })
  const Bucket = o.bucket
  const prefix = o.prefix ?? ''
  const partSize = Math.max(5 * MiB, o.partSize ?? 8 * MiB)
  const spoolDir = o.spoolDir ?? path.join(os.tmpdir(), 'mon-espace-sante-envois')
  fs.mkdirSync(spoolDir, { recursive: true, mode: 0o700 })
  sweepSpool(spoolDir)
  const Key = (key: string) => {
    checkKey(key)
    return prefix + key
  }
  const notFound = (err: unknown) => {
    const name = errorName(err)
    if (name === 'NoSuchKey' || name === 'NotFound') return true
    // The SDK's errors carry the HTTP answer in `$metadata`.
    const meta = isRecord(err) ? err.$metadata : undefined
    return isRecord(meta) && meta.httpStatusCode === 404
  }

  return {
    kind: 's3',
    async put(key, body) {
      const k = Key(key)
      const file = path.join(spoolDir, `${process.pid}-${crypto.randomUUID()}`)
      const fh = await fs.promises.open(file, 'w+', 0o600)
      let uploadId: string | undefined
      const parts: CompletedPart[] = []
      let sending: Promise<void> | undefined
      let failed: Error | undefined
      const sendPart = (n: number, start: number, end: number) =>
        client
          .send(
            new UploadPartCommand({
              Bucket,
              Key: k,
              UploadId: uploadId,
              PartNumber: n,
              Body: fs.createReadStream(file, { start, end: end - 1, highWaterMark: 256 * 1024 }),
              ContentLength: end - start,
            }),
          )
          .then((r) => void parts.push({ PartNumber: n, ETag: r.ETag }))
      try {
        let size = 0
        let sent = 0 // bytes handed to parts (always a multiple of partSize until the end)
        const next = async () => {
          // One part in flight at a time; the spool keeps filling meanwhile.
          if (sending || failed || size - sent < partSize) return
          if (!uploadId) uploadId = (await client.send(new CreateMultipartUploadCommand({ Bucket, Key: k }))).UploadId
          const start = sent
          sent += partSize
          sending = sendPart(start / partSize + 1, start, start + partSize).then(
            () => {
              sending = undefined
              return next()
            },
            (err: unknown) => {
              failed ??= err instanceof Error ? err : new Error(String(err))
              sending = undefined
            },
          )
        }
        let batch: Buffer[] = []
        let batchLength = 0
        const flush = async () => {
          if (!batchLength) return
          await fh.writev(batch, size)
          size += batchLength
          batch = []
          batchLength = 0
          await next()
        }
        for await (const piece of body) {
          if (failed) throw failed
          batch.push(piece)
          batchLength += piece.length
          if (batchLength >= MiB) await flush()
        }
        await flush()
        while (sending) await sending
        if (failed) throw failed
        if (!uploadId) {
          await client.send(
            new PutObjectCommand({
              Bucket,
              Key: k,
              Body: fs.createReadStream(file, { highWaterMark: 256 * 1024 }),
              ContentLength: size,
            }),
          )
          return
        }
        // The whole parts left, then the last (shorter) one.
        while (size - sent >= partSize) {
          await sendPart(sent / partSize + 1, sent, sent + partSize)
          sent += partSize
        }
        if (size > sent) await sendPart(sent / partSize + 1, sent, size)
        parts.sort((a, b) => a.PartNumber! - b.PartNumber!)
        await client.send(new CompleteMultipartUploadCommand({ Bucket, Key: k, UploadId: uploadId, MultipartUpload: { Parts: parts } }))
        uploadId = undefined
      } catch (err) {
        while (sending) await sending
        if (uploadId) await client.send(new AbortMultipartUploadCommand({ Bucket, Key: k, UploadId: uploadId })).catch(() => undefined)
        throw err
      } finally {
        await fh.close().catch(() => undefined)
        await fs.promises.rm(file, { force: true })
      }
    },
    async get(key) {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket, Key: Key(key) }))
        // The SDK types Body for every runtime (web streams, Blob); under Node it is a Readable.
        return r.Body as Readable
      } catch (err) {
        if (notFound(err)) throw new BlobNotFound(key)
        throw err
      }
    },
    async delete(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket, Key: Key(key) }))
      } catch (err) {
        if (!notFound(err)) throw err
      }
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket, Key: Key(key) }))
        return true
      } catch (err) {
        if (notFound(err)) return false
        throw err
      }
    },
    async close() {
      client.destroy()
    },
  }
}

/** Spool files of processes that no longer run (killed in the middle of an upload). */
function sweepSpool(dir: string): void {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const pid = Number(name.split('-')[0])
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      process.kill(pid, 0)
    } catch (err) {
      // ESRCH: no such process. (EPERM: it runs under another user: left alone.)
      if (errorCode(err) === 'ESRCH') fs.rmSync(path.join(dir, name), { force: true })
    }
  }
}
