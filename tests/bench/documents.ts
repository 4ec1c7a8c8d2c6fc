import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import type { AddressInfo } from 'node:net'
import request from 'supertest'
import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { signIn } from '../helpers/http'
import { CAMILLE } from '../helpers/demo'
import { sealChunk, openChunk, CHUNK_SIZE } from '../../src/infrastructure/documentStore'
import { startS3Process, type TestS3 } from '../helpers/s3'

/** The raw AES-256-GCM reference is measured in 64 KB blocks (the issue's unit), whatever the store's chunk size. */
const AES_BLOCK = 64 * 1024
import { line, load } from './lib'
import { GENESIS } from '../../src/domain/hashChain'

const MB = 1024 * 1024
const env = (k: string, d: number) => Number(process.env[k] ?? d)

/** A multipart body streamed from a 64 KB pattern (the client holds no 10 Mo buffer). */
function multipart(csrf: string, size: number) {
  const boundary = `----mesbench${crypto.randomBytes(8).toString('hex')}`
  const head = Buffer.from(
    [
      `--${boundary}`,
      'Content-Disposition: form-data; name="_csrf"',
      '',
      csrf,
      `--${boundary}`,
      'Content-Disposition: form-data; name="title"',
      '',
      'Banc de mesure',
      `--${boundary}`,
      'Content-Disposition: form-data; name="category"',
      '',
      'AUTR_DOC',
      `--${boundary}`,
      'Content-Disposition: form-data; name="date-day"',
      '',
      '1',
      `--${boundary}`,
      'Content-Disposition: form-data; name="date-month"',
      '',
      '2',
      `--${boundary}`,
      'Content-Disposition: form-data; name="date-year"',
      '',
      '2026',
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="banc.pdf"',
      'Content-Type: application/pdf',
      '',
      '',
    ].join('\r\n'),
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const pattern = crypto.randomBytes(AES_BLOCK)
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: head.length + size + tail.length,
    *chunks(): Generator<Buffer> {
      yield head
      let left = size
      let first = true
      while (left > 0) {
        const n = Math.min(left, pattern.length)
        const c = first ? Buffer.concat([Buffer.from('%PDF-1.4\n'), pattern.subarray(9, n)]) : pattern.subarray(0, n)
        first = false
        yield c
        left -= n
      }
      yield tail
    },
  }
}

function send(
  url: string,
  method: string,
  headers: Record<string, string | number>,
  body?: ReturnType<typeof multipart>,
): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers: body ? { ...headers, 'content-type': body.contentType, 'content-length': body.length } : headers },
      (res) => {
        let bytes = 0
        res.on('data', (c: Buffer) => (bytes += c.length))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    if (!body) return void req.end()
    const it = body.chunks()
    const pump = () => {
      for (;;) {
        const n = it.next()
        if (n.done) return void req.end()
        if (!req.write(n.value)) return void req.once('drain', pump)
      }
    }
    pump()
  })
}

async function bare(handler: http.RequestListener) {
  const server = http.createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

/**
 * CPU time (ms) spent so far by the PostgreSQL backends of the bench database (Linux /proc; 0
 * elsewhere): with `process.cpuUsage()` it says where an upload's CPU goes, whatever the load.
 */
async function postgresCpuMs(t: TestApp): Promise<number> {
  const pids = ((await t.db.raw('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).rows as { pid: number }[]).map(
    (r) => r.pid,
  )
  let ms = 0
  for (const pid of pids) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      ms += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime + stime, in clock ticks of 1/100 s
    } catch {
      // Not Linux, or the backend ended in between.
    }
  }
  return ms
}

/** Wall time, this process's CPU and PostgreSQL's CPU for `rounds` runs of `run`. */
async function timed(t: TestApp, rounds: number, run: () => Promise<void>): Promise<{ secs: number; nodeMs: number; pgMs: number }> {
  const pg0 = await postgresCpuMs(t)
  const cpu0 = process.cpuUsage()
  const start = process.hrtime.bigint()
  for (let i = 0; i < rounds; i++) await run()
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  const cpu = process.cpuUsage(cpu0)
  return { secs, nodeMs: (cpu.user + cpu.system) / 1000 / rounds, pgMs: ((await postgresCpuMs(t)) - pg0) / rounds }
}

async function signedIn(t: TestApp, base: string) {
  const a = request.agent(base)
  await signIn(a, t.db, 'patient', CAMILLE.login, CAMILLE.password)
  const page = await a.get('/documents/ajouter')
  const cookie = String((page as unknown as { req: { getHeader(n: string): string } }).req.getHeader('cookie'))
  return { cookie, csrf: cheerio.load(page.text)('input[name="_csrf"]').attr('value')! }
}

/**
 * Upload and download of a 10 Mo file through the full app, next to a bare node:http server
 * receiving / sending the same bytes; raw AES-256-GCM in 64 KB chunks; the store alone; RSS growth
 * with 20 concurrent uploads. For each object store (issue 17 §4): the folder on disk (embedded
 * mode) and S3 (s3rver, in a process of its own: its memory is not the app's). Sizes from the
 * environment: BENCH_FILE_MB, BENCH_ROUNDS, BENCH_CONCURRENT.
 */
export async function transferBench(stores: ('disk' | 's3')[] = ['disk', 's3']): Promise<string[]> {
  const out: string[] = []
  for (const kind of stores) out.push(...(await transferBenchOn(kind)))
  return out
}

async function transferBenchOn(kind: 'disk' | 's3'): Promise<string[]> {
  const size = env('BENCH_FILE_MB', 10) * MB
  const rounds = env('BENCH_ROUNDS', 5)
  const concurrent = env('BENCH_CONCURRENT', 20)
  const label = kind === 's3' ? 'stockage S3 (s3rver, processus à part)' : 'dossier sur disque'
  const out = [`Documents, ${label} : envoi et téléchargement de ${size / MB} Mo (${rounds} fois chacun)`]
  process.env.TEST_DB_POOL = process.env.TEST_DB_POOL ?? String(concurrent + 5)
  const s3: TestS3 | undefined = kind === 's3' ? await startS3Process() : undefined
  const t = await createTestApp({ env: s3?.env })
  const base = await t.listen()
  try {
    const { cookie, csrf } = await signedIn(t, base)
    const loadAvg = () =>
      os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')
    out.push(`  charge (1 / 5 / 15 min) au départ : ${loadAvg()} sur ${os.cpus().length} cœurs`)
    const upload = async () => {
      const r = await send(`${base}/documents/ajouter`, 'POST', { cookie }, multipart(csrf, size))
      if (r.status !== 303) throw new Error(`envoi refusé : ${r.status}`)
    }
    // One untimed round each (app and bare server) first: the first request compiles code paths.
    await upload()
    const up = await timed(t, rounds, upload)
    const appUp = (size * rounds) / MB / up.secs
    const doc = await t.db('documents').where({ title: 'Banc de mesure' }).orderBy('created_at', 'desc').first('id')
    const lastLocation = `/documents/${doc.id}/telecharger`
    // The same body to a bare node:http server that reads every byte of it (no parsing, no storage).
    const sink = await bare((req, res) => {
      req.on('data', () => undefined)
      req.on('end', () => res.writeHead(303, { location: '/' }).end())
    })
    const sinkUpload = async () => {
      await send(`${sink.url}/`, 'POST', {}, multipart(csrf, size))
    }
    await sinkUpload()
    const bareUpT = await timed(t, rounds, sinkUpload)
    const bareUp = (size * rounds) / MB / bareUpT.secs
    await sink.close()
    out.push(
      `  envoi par l'application : ${appUp.toFixed(1)} Mo/s ; node:http nu : ${bareUp.toFixed(1)} Mo/s ; rapport ${(appUp / bareUp).toFixed(2)} [objectif ≥ 0,5 : ${appUp / bareUp >= 0.5 ? 'atteint' : 'non atteint'}]`,
    )
    out.push(
      `    CPU par envoi de ${size / MB} Mo : Node ${up.nodeMs.toFixed(0)} ms (client du banc compris), PostgreSQL ${up.pgMs.toFixed(0)} ms ; node:http nu : Node ${bareUpT.nodeMs.toFixed(0)} ms`,
    )
    // Download.
    const download = async () => {
      const r = await send(`${base}${lastLocation}`, 'GET', { cookie })
      if (r.status !== 200 || r.bytes !== size) throw new Error(`téléchargement : ${r.status} ${r.bytes}`)
    }
    await download()
    const down = await timed(t, rounds, download)
    const appDown = (size * rounds) / MB / down.secs
    const payload = crypto.randomBytes(size)
    const source = await bare((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': size })
      res.end(payload)
    })
    const sourceDownload = async () => {
      const r = await send(`${source.url}/`, 'GET', {})
      if (r.bytes !== size) throw new Error('node:http nu : contenu incomplet')
    }
    await sourceDownload()
    const bareDownT = await timed(t, rounds, sourceDownload)
    const bareDown = (size * rounds) / MB / bareDownT.secs
    await source.close()
    out.push(
      `  téléchargement par l'application : ${appDown.toFixed(1)} Mo/s ; node:http nu : ${bareDown.toFixed(1)} Mo/s ; rapport ${(appDown / bareDown).toFixed(2)} [objectif ≥ 0,5 : ${appDown / bareDown >= 0.5 ? 'atteint' : 'non atteint'}]`,
    )
    out.push(
      `    CPU par téléchargement : Node ${down.nodeMs.toFixed(0)} ms, PostgreSQL ${down.pgMs.toFixed(0)} ms ; node:http nu : Node ${bareDownT.nodeMs.toFixed(0)} ms`,
    )
    // Raw AES-256-GCM, 64 KB chunks.
    const key = crypto.randomBytes(32)
    const chunk = crypto.randomBytes(AES_BLOCK)
    const n = Math.ceil((100 * MB) / AES_BLOCK)
    let start = process.hrtime.bigint()
    let sealed: Buffer = chunk
    for (let i = 0; i < n; i++) sealed = sealChunk(key, 'bench', i, chunk)
    const enc = (n * AES_BLOCK) / MB / (Number(process.hrtime.bigint() - start) / 1e9)
    start = process.hrtime.bigint()
    for (let i = 0; i < n; i++) openChunk(key, 'bench', n - 1, sealed)
    const dec = (n * AES_BLOCK) / MB / (Number(process.hrtime.bigint() - start) / 1e9)
    out.push(
      `  AES-256-GCM brut, blocs de 64 Ko (le stockage chiffre par blocs de ${CHUNK_SIZE / 1024} Ko) : chiffrement ${enc.toFixed(0)} Mo/s, déchiffrement ${dec.toFixed(0)} Mo/s`,
    )
    // The storage alone, without HTTP, multipart or response: the app's own store (pending row, seal,
    // object written; object read, open). What a transfer could reach at best with this store behind it.
    {
      const store = t.services.documentStore
      const stored: { id: string; objectKey: string }[] = []
      const storeWrite = async () => {
        const id = crypto.randomUUID()
        const r = await store.put(id, key, [payload])
        stored.push({ id, objectKey: r.objectKey })
      }
      await storeWrite()
      const w = await timed(t, rounds, storeWrite)
      const chunks = Math.ceil(size / CHUNK_SIZE)
      const doc = { id: stored[0].id, object_key: stored[0].objectKey, chunk_count: chunks, chunk_size: CHUNK_SIZE }
      const storeRead = async () => {
        let bytes = 0
        for await (const c of store.read(t.db, doc, key)) bytes += c.length
        if (bytes !== size) throw new Error('stockage seul : contenu incomplet')
      }
      await storeRead()
      const r = await timed(t, rounds, storeRead)
      const storeUp = (size * rounds) / MB / w.secs
      const storeDown = (size * rounds) / MB / r.secs
      out.push(
        `  stockage seul (sans HTTP) : écriture ${storeUp.toFixed(1)} Mo/s (Node ${w.nodeMs.toFixed(0)} ms, PostgreSQL ${w.pgMs.toFixed(0)} ms par ${size / MB} Mo), soit ${(storeUp / bareUp).toFixed(2)} de node:http nu ; lecture ${storeDown.toFixed(1)} Mo/s (Node ${r.nodeMs.toFixed(0)} ms, PostgreSQL ${r.pgMs.toFixed(0)} ms), soit ${(storeDown / bareDown).toFixed(2)} de node:http nu`,
        `    (un envoi ou un téléchargement par l'application fait ce travail en plus de celui de node:http nu : même si HTTP ne coûtait rien, son rapport ne dépasserait pas ${(storeUp / bareUp).toFixed(2)} à l'envoi et ${(storeDown / bareDown).toFixed(2)} au téléchargement)`,
      )
      for (const s of stored) await store.discard(s.objectKey)
    }
    // Peak RSS growth with concurrent uploads (client and server in this process; the client streams).
    global.gc?.()
    const baseline = process.memoryUsage().rss
    let peak = baseline
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
    start = process.hrtime.bigint()
    const results = await Promise.all(
      Array.from({ length: concurrent }, () => send(`${base}/documents/ajouter`, 'POST', { cookie }, multipart(csrf, size))),
    )
    const secs = Number(process.hrtime.bigint() - start) / 1e9
    clearInterval(timer)
    const ok = results.filter((r) => r.status === 303).length
    const growth = (peak - baseline) / MB
    out.push(
      `  ${concurrent} envois simultanés (${ok} réussis en ${secs.toFixed(1)} s) : RSS de départ ${(baseline / MB).toFixed(0)} Mo, pic ${(peak / MB).toFixed(0)} Mo, hausse ${growth.toFixed(1)} Mo [objectif < 50 Mo : ${growth < 50 ? 'atteint' : 'non atteint'}]`,
    )
    out.push(`  charge (1 / 5 / 15 min) à la fin : ${loadAvg()}`)
  } finally {
    await t.close()
    await s3?.close()
  }
  return out
}

/**
 * «Mes documents» with 500 documents and a large activity table (BENCH_ACTIVITY_ROWS, default
 * 10 million, generated by set-based SQL in the bench database, not through the app): p99 under
 * load for the list and the history, and the query plans (EXPLAIN ANALYZE).
 */
export async function listBench(): Promise<string[]> {
  const docs = env('BENCH_DOCUMENTS', 500)
  const rows = env('BENCH_ACTIVITY_ROWS', 10_000_000)
  const seconds = env('BENCH_SECONDS', 10)
  const out = [`Mes documents : ${docs} documents, ${rows.toLocaleString('fr-FR')} lignes d'historique`]
  const t = await createTestApp()
  const base = await t.listen()
  try {
    const camille = (await t.db('accounts').where({ login: CAMILLE.login }).first()).person_id
    const started = Date.now()
    await t.db.raw(
      `INSERT INTO documents (person_id, category, title, document_date, mime, size_bytes, file_name, author_kind, author_name, masked, wrapped_key, chunk_size, chunk_count, created_at)
       SELECT ?, (ARRAY['ORD_SOIN','RADIO_SC','BIOLOGIE','CPT_REND','DEPISTAG','AUTR_DOC'])[1 + i % 6], 'Document ' || i, date '2026-01-01' - (i % 3000),
              'application/pdf', 1000, 'document.pdf', CASE WHEN i % 3 = 0 THEN 'professional' ELSE 'patient' END, 'Banc', i % 10 = 0, '\\x00', 65536, 0, now() - (i || ' minutes')::interval
         FROM generate_series(1, ?) AS i`,
      [camille, docs],
    )
    // The big activity table, in two INSERT … SELECT generate_series: other people's rows (100 000
    // synthetic people) and 20 000 of Camille's. Each generated row is a chain of its own (seq 1,
    // after the genesis), its hash computed in SQL exactly as entryHash does, so `audit:verify`
    // still passes and Camille's real chain is left as it was.
    const others = Math.max(0, rows - 20_000)
    const generate = (trx: typeof t.db, count: number, chain: string, subject: string, roles: string[], emergencyEvery: number) =>
      trx.raw(
        `INSERT INTO activity_log (chain_key, seq, occurred_at, actor_role, actor_name, action, subject_person_id, emergency, prev_hash, hash)
         SELECT chain_key, 1, ts, role, 'Banc', 'document.read', subject, emergency, genesis,
                encode(sha256(convert_to(genesis || E'\\n' || '{"action":"document.read","actorAccountId":null,"actorName":"Banc","actorOrganisation":null,"actorRole":"' || role
                  || '","chainKey":"' || chain_key || '","details":null,"emergency":' || emergency::text || ',"objectId":null,"objectType":null,"occurredAt":"'
                  || to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '","seq":1,"subjectPersonId":"' || subject::text || '"}', 'UTF8')), 'hex')
           FROM (SELECT CAST(? AS text) AS genesis, CAST(? AS text) || i AS chain_key, date_trunc('milliseconds', now() - ((i % 500000) || ' minutes')::interval) AS ts,
                        (CAST(? AS text[]))[1 + i % ?] AS role, ${subject} AS subject, i % ? = 0 AS emergency
                   FROM generate_series(1, ?) AS i) AS g`,
        [GENESIS, chain, roles, roles.length, emergencyEvery, count],
      )
    let step = Date.now()
    await t.db.transaction(async (trx) => {
      await trx.raw('SET LOCAL statement_timeout = 0')
      if (others > 0)
        await generate(
          trx,
          others,
          'bench:',
          "('00000000-0000-4000-8000-' || lpad(to_hex(i % 100000), 12, '0'))::uuid",
          ['patient', 'professional', 'carer', 'agent'],
          1000,
        )
      await generate(trx, 20_000, 'bench-camille:', `'${camille}'::uuid`, ['patient', 'professional'], 200)
    })
    out.push(
      `  ${rows.toLocaleString('fr-FR')} lignes d'historique insérées en ${((Date.now() - step) / 1000).toFixed(0)} s (hachage calculé en SQL)`,
    )
    if (rows <= 1_000_000 || process.env.BENCH_VERIFY === '1') {
      step = Date.now()
      const v = await t.services.activity.verify()
      out.push(
        `  audit:verify : ${v.ok ? 'chaînes intactes' : `rupture ${JSON.stringify(v.firstBreak)}`} (${v.rows.toLocaleString('fr-FR')} lignes, ${((Date.now() - step) / 1000).toFixed(0)} s)`,
      )
    }
    await t.database.admin.raw('ANALYZE documents')
    await t.database.admin.raw('ANALYZE activity_log')
    out.push(`  données générées en ${((Date.now() - started) / 1000).toFixed(0)} s`)
    const { cookie } = await signedIn(t, base)
    for (const [label, path] of [
      ['Mes documents, page 1 (date)', '/documents'],
      ['Mes documents, page 10, filtre catégorie', '/documents?categorie=BIOLOGIE&page=3'],
      ["Historique d'activité, actions des autres", '/historique?onglet=autres'],
    ] as const) {
      const check = await send(base + path, 'GET', { cookie })
      if (check.status !== 200) throw new Error(`${path} : ${check.status}`)
      out.push(line(`${label} (10 connexions, ${seconds} s)`, await load(base + path, { connections: 10, seconds, headers: { cookie } })))
    }
    const plan = async (sql: string, bindings: unknown[]) =>
      (
        (await t.db.raw(`EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF, SUMMARY ON) ${sql}`, bindings as never)).rows as {
          'QUERY PLAN': string
        }[]
      ).map((r) => `    ${r['QUERY PLAN']}`)
    out.push('  EXPLAIN de la liste «Mes documents» :')
    out.push(
      ...(await plan(
        t
          .db('documents')
          .where({ person_id: camille })
          .select('id', 'title', 'category', 'document_date')
          .orderBy([
            { column: 'document_date', order: 'desc' },
            { column: 'created_at', order: 'desc' },
          ])
          .limit(20)
          .toQuery(),
        [],
      )),
    )
    out.push("  EXPLAIN de l'historique (actions des autres) :")
    out.push(
      ...(await plan(
        t
          .db('activity_log')
          .where({ subject_person_id: camille })
          .whereNotIn('actor_role', ['patient', 'representative'])
          .where('occurred_at', '>=', t.db.raw("now() - interval '365 days'"))
          .select('id', 'occurred_at', 'actor_name', 'action')
          .orderBy([
            { column: 'occurred_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .limit(51)
          .toQuery(),
        [],
      )),
    )
  } finally {
    await t.close()
  }
  return out
}
