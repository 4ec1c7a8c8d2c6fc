import crypto from 'node:crypto'
import { createTestApp } from '../helpers/testApp'
import { CAMILLE } from '../helpers/demo'
import type { Actor } from '../../src/domain/actor'
import { MAX_DOCUMENT_BYTES } from '../../src/domain/documents'
import { mb } from './lib'

const MB = 1024 * 1024

/** A PDF-looking document of `size` bytes, streamed from a 64 Kio random pattern (never whole in memory). */
async function* documentBytes(size: number, pattern: Buffer): AsyncGenerator<Buffer> {
  let left = size
  let first = true
  while (left > 0) {
    const n = Math.min(left, pattern.length)
    yield first ? Buffer.concat([Buffer.from('%PDF-1.4\n'), pattern.subarray(9, n)]) : pattern.subarray(0, n)
    first = false
    left -= n
  }
}

/** Samples the RSS every 20 ms while `work` runs; returns the growth over the RSS measured just before. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; base: number; peak: number }> {
  ;(globalThis as { gc?: () => void }).gc?.()
  const base = process.memoryUsage().rss
  let peak = base
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
  const started = process.hrtime.bigint()
  try {
    const result = await work()
    return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9, base, peak: Math.max(peak, process.memoryUsage().rss) }
  } finally {
    clearInterval(timer)
  }
}

/**
 * «Télécharger mes données» on a big space: Camille gets BENCH_EXPORT_MB (default 200, up to 1024)
 * of documents of 10 Mo; then the `data-export` job builds the ZIP into encrypted chunks, and the
 * one download streams it back. Prints MB/s and the peak RSS growth of each step (memory must stay
 * flat: a few chunks, whatever the size of the space). Figures only, no assertion on time.
 */
export async function exportBench(): Promise<string[]> {
  const totalMb = Number(process.env.BENCH_EXPORT_MB ?? 200)
  const t = await createTestApp({ env: {} })
  try {
    const account = await t.db('accounts').where({ login: CAMILLE.login }).first()
    const me: Actor = { accountId: account.id, kind: 'patient', displayName: 'Camille Martin', personId: account.person_id }
    const pattern = crypto.randomBytes(64 * 1024)
    const per = MAX_DOCUMENT_BYTES
    const count = Math.max(1, Math.ceil((totalMb * MB) / per))
    for (let i = 0; i < count; i++) {
      const size = Math.min(per, totalMb * MB - i * per)
      const r = await t.services.documents.upload(me, {
        personId: me.personId!,
        category: 'AUTR_DOC',
        title: `Banc export ${i + 1}`,
        date: '2026-01-01',
        stream: documentBytes(size, pattern),
      })
      if (!r.ok) throw new Error(`dépôt refusé : ${r.reason}`)
    }
    const space = Number((await t.db('documents').where({ person_id: me.personId }).sum({ s: 'size_bytes' }).first())!.s)

    const asked = await t.services.dataExport.request(me)
    if (!asked.ok) throw new Error('demande refusée')
    const build = await measured(() => t.services.dataExport.runPending())
    if (build.result.built !== 1) throw new Error(`export en échec : ${JSON.stringify(build.result)}`)
    const row = await t.db('data_exports').where({ id: asked.id }).first()

    const down = await measured(async () => {
      const d = await t.services.dataExport.download(me, asked.id)
      if (!d.ok) throw new Error(d.reason)
      let bytes = 0
      for await (const c of d.chunks) bytes += c.length
      return bytes
    })

    return [
      `Télécharger mes données : un profil de ${mb(space)} (${count} documents), ZIP de ${mb(Number(row.size_bytes))} chiffré en ${row.chunk_count} morceaux`,
      `    construction (tâche data-export) : ${build.seconds.toFixed(1)} s, ${(Number(row.size_bytes) / MB / build.seconds).toFixed(1)} Mo/s ; RSS ${mb(build.base)} au départ, pic +${mb(build.peak - build.base)}`,
      `    téléchargement (déchiffrement en flux) : ${down.seconds.toFixed(1)} s, ${(down.result / MB / down.seconds).toFixed(1)} Mo/s ; RSS pic +${mb(down.peak - down.base)}`,
    ]
  } finally {
    await t.close()
  }
}
