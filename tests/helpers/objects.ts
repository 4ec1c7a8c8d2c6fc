import fs from 'node:fs'
import path from 'node:path'
import type { Knex } from 'knex'
import type { ObjectDocumentStore } from '../../src/infrastructure/documentObjects'

/**
 * What the object store holds for a document (issue 17 §4), for tests that look at the bytes at
 * rest: the document's object read raw and cut into its sealed chunks (iv | tag | ciphertext),
 * as `document_chunks` rows used to hold them.
 */
export async function sealedChunksOf(db: Knex, store: ObjectDocumentStore, documentId: string): Promise<Buffer[]> {
  const row = await db('documents').where({ id: documentId }).first('object_key', 'chunk_size')
  if (!row?.object_key) throw new Error(`le document ${documentId} n'a pas d'objet`)
  const parts: Buffer[] = []
  for await (const c of await store.blobs.get(row.object_key)) parts.push(c)
  const all = Buffer.concat(parts)
  const size = row.chunk_size + 28
  const chunks: Buffer[] = []
  for (let at = 0; at < all.length; at += size) chunks.push(all.subarray(at, at + size))
  return chunks
}

/** Every object file under a disk store's folder (keys as `documents/<uuid>`). */
export function objectsOnDisk(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return
    for (const f of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, f.name)
      if (f.isDirectory()) walk(p)
      else out.push(`${path.basename(path.dirname(path.dirname(p)))}/${f.name}`)
    }
  }
  walk(dir)
  return out.sort()
}

/** Waits (up to `ms`) until `check` holds: for work a request leaves running after its answer. */
export async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() > until) return false
    await new Promise((r) => setTimeout(r, 20))
  }
}
