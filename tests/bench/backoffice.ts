import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import { from as copyFrom } from 'pg-copy-streams'
import type pg from 'pg'
import request from 'supertest'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { signIn } from '../helpers/http'
import { LOUIS } from '../helpers/demo'
import { nirKey } from '../../src/domain/nir'
import { SYSTEM_ACTOR } from '../../src/domain/actor'
import { CSV_HEADER } from '../helpers/backoffice'
import { mb } from './lib'

/**
 * Back-office figures (SPEC §12, issues 3 and 7). Sizes by environment:
 *   BENCH_IMPORT_ROWS, BENCH_CAMPAIGN_ROWS, BENCH_AUTO_ROWS, BENCH_FIGURES_ROWS (default 1,000,000 each).
 * `BENCH_ONLY=backoffice npm run bench`, or one part: `npm run bench -- backoffice-import`.
 */
const size = (name: string) => Number(process.env[name] ?? 1_000_000)
const fmt = (n: number) => new Intl.NumberFormat('fr-FR').format(Math.round(n))

/** A statement of the bench's own set-up (DDL, ANALYZE): as a superuser, not as the application's role. */
async function sql(t: TestApp, text: string, bindings: unknown[] = []) {
  return t.database.admin.transaction(async (trx) => {
    await trx.raw('SET LOCAL statement_timeout = 0')
    return trx.raw(text, bindings as never[])
  })
}

/** Writes `rows` valid, distinct lines (streamed, never held in memory). */
async function writeCsv(file: string, rows: number): Promise<void> {
  const out = fs.createWriteStream(file)
  out.write(CSV_HEADER + '\n')
  for (let i = 0; i < rows; i++) {
    const sex = i % 2 ? 1 : 2
    const block = Math.floor(i / 998_001)
    const yy = 40 + (block % 60)
    const mm = 1 + (Math.floor(block / 60) % 12)
    const commune = 1 + (Math.floor(i / 999) % 999)
    const order = 1 + (i % 999)
    const first = `${sex}${String(yy).padStart(2, '0')}${String(mm).padStart(2, '0')}75${String(commune).padStart(3, '0')}${String(order).padStart(3, '0')}`
    const nir = first + String(nirKey(first)).padStart(2, '0')
    const birth = `19${String(yy).padStart(2, '0')}-${String(mm).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`
    const email = i % 10 < 7 ? `personne${i}@courriel.example` : ''
    const line = `${nir};Nom${i};Prénom${i % 1000};${sex === 1 ? 'M' : 'F'};${birth};Paris;${i} rue de la République;;75011;Paris;${email};\n`
    if (!out.write(line)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

async function importBench(t: TestApp, out: string[]) {
  const rows = size('BENCH_IMPORT_ROWS')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-bench-import-'))
  const file = path.join(dir, 'assures.csv')
  try {
    await writeCsv(file, rows)
    out.push(`  Import de ${fmt(rows)} lignes (${mb(fs.statSync(file).size)})`)
    /** One COPY of the whole file into a table made by `ddl` (dropped after by `drop`), in ms. */
    const copyInto = async (ddl: string, copy: string, drop: string): Promise<number> => {
      await sql(t, ddl)
      const conn: pg.Client = await t.database.admin.client.acquireConnection()
      try {
        await conn.query('SET statement_timeout = 0')
        const started = Date.now()
        await pipeline(fs.createReadStream(file), conn.query(copyFrom(copy)))
        return Date.now() - started
      } finally {
        t.database.admin.client.releaseConnection(conn)
        await sql(t, drop)
      }
    }
    const BARE_COLUMNS =
      '(nir text, nom text, prenoms text, sexe text, date_naissance text, lieu text, a1 text, a2 text, cp text, ville text, courriel text, mobile text)'
    const CSV = "WITH (FORMAT csv, HEADER true, DELIMITER ';')"
    // (a) raw COPY of the same file into a bare table (text columns, no key, no index), logged as
    // every table of the service is; and, stricter still, into an UNLOGGED one (no WAL at all).
    const rawMs = await copyInto(`CREATE TABLE bench_bare ${BARE_COLUMNS}`, `COPY bench_bare FROM STDIN ${CSV}`, 'DROP TABLE bench_bare')
    const unloggedMs = await copyInto(
      `CREATE UNLOGGED TABLE bench_bare ${BARE_COLUMNS}`,
      `COPY bench_bare FROM STDIN ${CSV}`,
      'DROP TABLE bench_bare',
    )
    // (a') the floor of any import into the registry: the same COPY, straight into a table shaped like
    // it (its columns, types, checks, primary key and unique NIR; logged, as the registry is), with no
    // parsing, no check, no merge and no space row: what an import could reach at best. Ids in
    // increasing order (a sequence), the cheapest for its primary key (the import's are grouped too).
    const floorMs = await copyInto(
      "CREATE TABLE bench_registry (LIKE insured_persons INCLUDING ALL); CREATE SEQUENCE bench_registry_seq; ALTER TABLE bench_registry ALTER COLUMN id SET DEFAULT lpad(to_hex(nextval('bench_registry_seq')), 32, '0')::uuid",
      `COPY bench_registry (nir, last_name, first_names, sex, birth_date, birth_place, address_line1, address_line2, postcode, city, email, mobile) FROM STDIN ${CSV}`,
      'DROP TABLE bench_registry; DROP SEQUENCE bench_registry_seq',
    )
    // (b) the import itself (parse, check, COPY into staging, merge, spaces).
    const rss0 = process.memoryUsage().rss
    let peak = rss0
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
    const started = Date.now()
    const summary = await t.services.imports.run(fs.createReadStream(file), { actor: SYSTEM_ACTOR, source: 'cli', filename: 'bench.csv' })
    const ms = Date.now() - started
    clearInterval(timer)
    const rate = rows / (ms / 1000)
    const rawRate = rows / (rawMs / 1000)
    out.push(
      `    COPY brut dans une table nue (colonnes texte, ni clé ni index, journalisée) : ${fmt(rawMs)} ms (${fmt(rawRate)} lignes/s)`,
      `    COPY brut dans une table nue non journalisée (UNLOGGED) : ${fmt(unloggedMs)} ms (${fmt(rows / (unloggedMs / 1000))} lignes/s)`,
      `    Plancher : le même COPY dans une table de la forme du registre (types, contrôles, clé croissante, NIR unique, journalisée), sans analyse, contrôle, fusion ni espace : ${fmt(floorMs)} ms (${fmt(rows / (floorMs / 1000))} lignes/s), soit ${((rawMs / floorMs) * 100).toFixed(0)} % du COPY brut`,
      `    Import (analyse + contrôle + COPY + fusion) : ${fmt(ms)} ms (${fmt(rate)} lignes/s) ; ${fmt(summary.inserted)} ajoutés, ${fmt(summary.rowsBad)} refusés ; ${((floorMs / ms) * 100).toFixed(0)} % du plancher`,
      `    Rapport import / COPY brut : ${((rate / rawRate) * 100).toFixed(0)} % (${((unloggedMs / ms) * 100).toFixed(0)} % du COPY non journalisé) [objectif ≥ 50 % : ${rate / rawRate >= 0.5 ? 'atteint' : 'NON atteint'}]`,
      `    Mémoire (RSS) : ${mb(rss0)} au départ, pic ${mb(peak)} (+${mb(peak - rss0)})`,
    )
    // Re-import of the same file: updates only.
    const again = Date.now()
    const s2 = await t.services.imports.run(fs.createReadStream(file), { actor: SYSTEM_ACTOR, source: 'cli', filename: 'bench.csv' })
    out.push(
      `    Réimport du même fichier : ${fmt(Date.now() - again)} ms ; ${fmt(s2.inserted)} ajoutés, ${fmt(s2.updated)} mis à jour, ${fmt(s2.rowsOk - s2.inserted - s2.updated)} sans changement (aucun doublon)`,
    )
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** `rows` persons with a space in `state`, generated in SQL (70 % with an e-mail). */
async function generatePersons(t: TestApp, rows: number, state: string, noticeDaysAgo?: number) {
  await sql(
    t,
    `INSERT INTO insured_persons (nir, last_name, first_names, sex, birth_date, address_line1, postcode, city, email)
     SELECT 'X' || lpad(i::text, 14, '0'), 'Nom' || i, 'Prénom', CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END, date '1960-01-01' + (i % 15000),
            i || ' rue de la Paix', '75002', 'Paris', CASE WHEN i % 10 < 7 THEN 'p' || i || '@courriel.example' END
       FROM generate_series(1, ?) AS i`,
    [rows],
  )
  await sql(
    t,
    `INSERT INTO spaces (person_id, state, notified_at, notice_channel)
     SELECT id, ?, ${noticeDaysAgo === undefined ? 'NULL' : `now() - interval '${noticeDaysAgo} days'`}, ${noticeDaysAgo === undefined ? 'NULL' : "'email'"}
       FROM insured_persons p WHERE NOT EXISTS (SELECT 1 FROM spaces s WHERE s.person_id = p.id)`,
    [state],
  )
  await sql(t, 'ANALYZE insured_persons; ANALYZE spaces')
}

async function walBytes(t: TestApp): Promise<number> {
  const { rows } = await t.db.raw("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS n")
  return Number(rows[0].n)
}

/**
 * CPU time (ms) used so far by this database's server processes, read from /proc (the server runs
 * on this machine). On a shared, loaded machine the wall-clock rate depends on everyone else; the
 * CPU spent per code does not.
 */
async function backendCpu(t: TestApp, known: Map<number, number>): Promise<number> {
  const { rows } = await t.db.raw('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')
  const tick = 10 // ms per clock tick (USER_HZ = 100)
  for (const { pid } of rows as { pid: number }[]) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      known.set(pid, (Number(fields[11]) + Number(fields[12])) * tick)
    } catch {
      // gone, or not readable: keeps its last value
    }
  }
  return [...known.values()].reduce((a, b) => a + b, 0)
}

async function campaignBench(t: TestApp, out: string[]) {
  const rows = size('BENCH_CAMPAIGN_ROWS')
  await generatePersons(t, rows, 'not_notified')
  const waiting = await t.services.campaign.waiting()
  const wal0 = await walBytes(t)
  const pids = new Map<number, number>()
  const db0 = await backendCpu(t, pids)
  const node0 = process.cpuUsage()
  // Per-batch trend: every ~100,000 persons (all workers together), the rate over that slice.
  const slice = Math.max(10_000, Math.round(waiting / 10 / 10_000) * 10_000)
  const started = performance.now()
  let done = 0
  let sliceDone = 0
  let sliceStarted = started
  let batchMs = 0
  let batches = 0
  const r = await t.services.campaign.run(SYSTEM_ACTOR, {
    onBatch: (b) => {
      done += b.persons
      sliceDone += b.persons
      batchMs += b.ms
      batches++
      if (sliceDone >= slice) {
        const now = performance.now()
        process.stderr.write(
          `    campagne : ${fmt(done)} / ${fmt(waiting)} à ${((now - started) / 1000).toFixed(1)} s ; tranche ${fmt((sliceDone / (now - sliceStarted)) * 1000)} codes/s, lot moyen ${fmt(batchMs / batches)} ms (${batches} lots)\n`,
        )
        sliceDone = 0
        sliceStarted = now
        batchMs = 0
        batches = 0
      }
    },
  })
  const wal = (await walBytes(t)) - wal0
  const node = process.cpuUsage(node0)
  const nodeMs = (node.user + node.system) / 1000
  const dbMs = (await backendCpu(t, pids)) - db0
  const load = os.loadavg()[0]
  const rate = r.persons / (r.ms / 1000)
  out.push(
    `  Campagne d'information sur ${fmt(waiting)} personnes : ${fmt(r.ms)} ms, ${fmt(rate)} codes/s [objectif ≥ 20 000/s : ${rate >= 20_000 ? 'atteint' : 'NON atteint'}]`,
    `    ${fmt(r.emails)} courriels dans la boîte d'envoi, ${fmt(r.letters)} courriers à imprimer ; WAL écrit pendant la campagne (tout le serveur) : ${mb(wal)}`,
    `    Charge de la machine à la fin : ${load.toFixed(1)} ; CPU consommé : Node ${fmt(nodeMs)} ms, PostgreSQL ${fmt(dbMs)} ms, soit ${((nodeMs + dbMs) / (r.persons / 1000)).toFixed(0)} ms par 1 000 codes`,
  )
}

async function autoCreationBench(t: TestApp, out: string[]) {
  const rows = size('BENCH_AUTO_ROWS')
  await generatePersons(t, rows, 'notified', 50)
  const r = await t.services.campaign.autoCreate(SYSTEM_ACTOR)
  out.push(
    `  Création automatique de ${fmt(r.spaces)} profils échus : ${(r.ms / 1000).toFixed(1)} s en ${r.batches} lots [objectif < 30 s : ${r.ms < 30_000 ? 'atteint' : 'NON atteint'}]`,
  )
}

async function figuresBench(t: TestApp, out: string[]) {
  const rows = size('BENCH_FIGURES_ROWS')
  await generatePersons(t, rows, 'notified', 10)
  await sql(
    t,
    `UPDATE spaces SET state = 'activated', activated_at = now() - ((random() * 29)::int || ' days')::interval WHERE person_id IN (SELECT person_id FROM spaces TABLESAMPLE SYSTEM (30))`,
  )
  const refresh = await t.services.figures.refresh()
  const a = request.agent(t.app)
  await signIn(a, t.db, 'operator', LOUIS.login, LOUIS.password)
  const measure = async (url: string) => {
    const times: number[] = []
    for (let i = 0; i < 60; i++) {
      const started = process.hrtime.bigint()
      const r = await a.get(url)
      if (r.status !== 200) throw new Error(`${url} a répondu ${r.status}`)
      if (i >= 10) times.push(Number(process.hrtime.bigint() - started) / 1e6)
    }
    times.sort((x, y) => x - y)
    return { median: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)] }
  }
  const { median, p95 } = await measure('/back-office/chiffres')
  // A reference on the same machine at the same moment: a signed-in page that reads no figures.
  const ref = await measure('/back-office/creation-automatique')
  const total = await t.db('spaces').count('* as n').first()
  out.push(
    `  Page « Chiffres » avec ${fmt(Number(total!.n))} profils : médiane ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (50 requêtes) [objectif < 200 ms : ${p95 < 200 ? 'atteint' : 'NON atteint'}]`,
    `    Référence, page connectée sans chiffres : médiane ${ref.median.toFixed(1)} ms, p95 ${ref.p95.toFixed(1)} ms (même machine, même moment)`,
    `    Mise à jour de la table de synthèse (tâche toutes les 10 minutes) : ${fmt(refresh.ms)} ms`,
  )
}

const PARTS: Record<string, (t: TestApp, out: string[]) => Promise<void>> = {
  import: importBench,
  campaign: campaignBench,
  'auto-creation': autoCreationBench,
  figures: figuresBench,
}

/** Each part on a fresh database (copied from the template). */
export async function backOfficeBench(only?: string): Promise<string[]> {
  const out = ['Back-office (tailles : variables BENCH_*_ROWS)']
  for (const [name, run] of Object.entries(PARTS)) {
    if (only && only !== name) continue
    const t = await createTestApp()
    try {
      await run(t, out)
    } catch (err) {
      out.push(`  ${name} : ÉCHEC ${(err as Error).message}`)
    } finally {
      await t.close()
    }
  }
  return out
}
