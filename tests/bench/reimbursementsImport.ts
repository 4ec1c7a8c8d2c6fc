import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createTestApp } from '../helpers/testApp'
import { agent, csrfOf, signIn } from '../helpers/http'
import { CAMILLE, LOUIS } from '../helpers/demo'
import { mb } from './lib'

/**
 * The operators' reimbursement import through the real page (multipart upload, streamed CSV,
 * batches of 500): rows per second, and the peak memory of the process while it runs (the file is
 * never held in memory). `BENCH_IMPORT_ROWS` sets the size (default 100 000; 1 bad line in 100).
 * Goal: 100 000 lines in under 60 s on a development machine, memory growth under 150 Mo.
 */
export async function reimbursementsImportBench(rows = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000)): Promise<string[]> {
  const out: string[] = [`Import des remboursements (${rows} lignes, 1 % de lignes fausses)`]
  const t = await createTestApp()
  const file = path.join(os.tmpdir(), `remboursements-bench-${process.pid}.csv`)
  try {
    const w = fs.createWriteStream(file)
    w.write('reference;nir;date_soins;acte;type_soins;professionnel;montant_paye;montant_rembourse\n')
    for (let i = 0; i < rows; i++) {
      const bad = i % 100 === 99
      const line = `RB-BENCH-${String(i).padStart(8, '0')};${CAMILLE.nir};2026-0${1 + (i % 9)}-1${i % 10};Consultation de médecine générale;${bad ? 'inconnu' : 'consultation'};Dr Sophie Bernard;30,00;20,00\n`
      if (!w.write(line)) await new Promise<void>((r) => w.once('drain', () => r()))
    }
    await new Promise<void>((r) => w.end(r))
    const size = fs.statSync(file).size
    const louis = agent(t.app)
    await signIn(louis, t.db, 'operator', LOUIS.login, LOUIS.password)
    const page = await louis.get('/back-office/remboursements')
    const base = process.memoryUsage().rss
    let peak = base
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
    const started = process.hrtime.bigint()
    const res = await louis.post('/back-office/remboursements').field('_csrf', csrfOf(page.text)).attach('fichier', file)
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    clearInterval(sampler)
    const report = await t.db('reimbursement_imports').orderBy('started_at', 'desc').first()
    const perSecond = Math.round(rows / seconds)
    out.push(`  fichier ${mb(size)}, réponse ${res.status}, ${report.rows_inserted} importées, ${report.rows_rejected} refusées`)
    out.push(`  durée ${seconds.toFixed(1)} s, ${perSecond} lignes/s`)
    out.push(`  mémoire du processus : ${mb(base)} au départ, pic ${mb(peak)} (+${mb(peak - base)})`)
    const scaled = (100_000 / perSecond).toFixed(1)
    const met = 100_000 / perSecond < 60 && peak - base < 150 * 1024 * 1024
    out.push(
      `  objectif (100 000 lignes < 60 s, +150 Mo au plus) : ${met ? 'atteint' : 'NON atteint'} (100 000 lignes ≈ ${scaled} s à ce débit)`,
    )
    // Idempotence at scale: the same file again inserts nothing.
    const again = await louis.get('/back-office/remboursements')
    const t2 = process.hrtime.bigint()
    await louis.post('/back-office/remboursements').field('_csrf', csrfOf(again.text)).attach('fichier', file)
    const s2 = Number(process.hrtime.bigint() - t2) / 1e9
    const second = await t.db('reimbursement_imports').orderBy('started_at', 'desc').first()
    out.push(
      `  second envoi du même fichier : ${second.rows_inserted} importées, ${second.rows_already_present} déjà présentes, ${s2.toFixed(1)} s`,
    )
  } finally {
    fs.rmSync(file, { force: true })
    await t.close()
  }
  return out
}
