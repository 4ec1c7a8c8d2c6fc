import fs from 'node:fs'
import http from 'node:http'
import type { Knex } from 'knex'
import os from 'node:os'
import type { AddressInfo } from 'node:net'
import request from 'supertest'
import { DEMO_PERSONS, CAMILLE } from '../helpers/demo'
import { signIn } from '../helpers/http'
import { connectService, registerClient, startOAuthApp } from '../helpers/oauth'
import { DEFAULT_COUNT, FHIR_JSON, searchBundle, toObservation } from '../../src/domain/fhir'
import { fhirRepository } from '../../src/features/fhir/repository'
import { line, loadApart, ratio } from './lib'

const TYPES = ['poids', 'tension', 'frequence-cardiaque', 'glycemie', 'poids', 'temperature', 'hba1c', 'taille']

/**
 * `GET /fhir/Observation?code=29463-7` (body weight) for a patient with 10,000 measures, 50
 * connections, in one run:
 *  (a) the API: bearer token (introspection cached a few seconds), rate limit per client in Redis,
 *      the access policy with fresh facts and consent, the activity row, the search, JSON;
 *  (b) the same SQL and the same JSON serialisation in a bare node:http handler (render-only cost).
 * Paging: both return the first page (`_count` default 50) with its Bundle links.
 * autocannon runs in a child process for both (`loadApart`): in the measured process it would take
 * event-loop time from the server, the same per request for (a) and (b), which biases the ratio.
 */
/**
 * Processor time used so far (ms) by this process and by the PostgreSQL backends of the bench's
 * database (/proc, Linux; undefined elsewhere). Unlike requests/s, the processor time per request
 * hardly depends on what else the machine runs.
 */
async function cpuNow(db: Knex): Promise<{ node: number; pg?: number }> {
  const u = process.cpuUsage()
  const node = (u.user + u.system) / 1000
  try {
    const pids = (await db.raw('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).rows as { pid: number }[]
    let ticks = 0
    for (const { pid } of pids) {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12]) // utime, stime (fields 14 and 15)
    }
    return { node, pg: ticks * 10 } // 100 ticks per second (CLK_TCK)
  } catch {
    return { node }
  }
}

function perRequest(a: { node: number; pg?: number }, b: { node: number; pg?: number }, requests = 0): { text: string; total?: number } {
  if (!requests) return { text: 'n/a' }
  const node = (b.node - a.node) / requests
  const pg = a.pg !== undefined && b.pg !== undefined ? (b.pg - a.pg) / requests : undefined
  const f = (n: number) => n.toFixed(2).replace('.', ',')
  return { text: `${f(node + (pg ?? 0))} ms (Node ${f(node)}${pg !== undefined ? `, PostgreSQL ${f(pg)}` : ''})`, total: node + (pg ?? 0) }
}

export async function fhirBench(seconds = 10, measures = 10_000): Promise<string[]> {
  const out: string[] = [`API FHIR : GET /fhir/Observation?code=29463-7, ${measures} mesures, 50 connexions, ${seconds} s chacun`]
  const o = await startOAuthApp({ FHIR_RATE_LIMIT_PER_MINUTE: '100000000' })
  try {
    const db = o.t.db
    const personId = (await db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()).id as string
    const today = Date.now()
    const rows = Array.from({ length: measures }, (_, i) => {
      const type = TYPES[i % TYPES.length]
      const day = new Date(today - (i + 1) * 3600_000 * 6).toISOString().slice(0, 10)
      const value =
        type === 'poids'
          ? 60 + (i % 50) / 10
          : type === 'tension'
            ? 125
            : type === 'frequence-cardiaque'
              ? 70
              : type === 'glycemie'
                ? 0.95
                : type === 'temperature'
                  ? 36.8
                  : type === 'hba1c'
                    ? 6.1
                    : 168
      return { person_id: personId, type, value, value2: type === 'tension' ? 80 : null, measured_on: day }
    })
    for (let i = 0; i < rows.length; i += 2000) await db('measures').insert(rows.slice(i, i + 2000))
    await o.t.database.admin.raw('ANALYZE measures')

    const browser = request.agent(o.base)
    await signIn(browser, db, 'patient', CAMILLE.login, CAMILLE.password)
    const client = await registerClient(o.t, { scopes: ['observation.read'] })
    const { tokens } = await connectService(o, client, ['observation.read'], ['observation.read'], browser)
    const path = '/fhir/Observation?code=29463-7'
    const check = await request(o.base).get(path).set('Authorization', `Bearer ${tokens.access_token}`)
    if (check.status !== 200 || check.body.entry.length !== DEFAULT_COUNT) throw new Error(`réponse inattendue de l'API : ${check.status}`)

    // (b) the same query and the same JSON, nothing else.
    const baseUrl = `${o.base}/fhir`
    const answer = async (req: http.IncomingMessage, res: http.ServerResponse) => {
      try {
        const found = await fhirRepository.searchMeasures(db, personId, { types: ['poids'], limit: DEFAULT_COUNT + 1, offset: 0 })
        const page = found.slice(0, DEFAULT_COUNT).map((m) => toObservation(m, `Patient/${personId}`))
        const body = JSON.stringify(
          searchBundle({
            selfUrl: `${baseUrl}${req.url}`,
            baseUrl,
            total: found.length,
            offset: 0,
            count: DEFAULT_COUNT,
            nextUrl: found.length > DEFAULT_COUNT ? `${baseUrl}/Observation?code=29463-7&_offset=50&_count=50` : undefined,
            resources: page,
          }),
        )
        res.writeHead(200, { 'content-type': FHIR_JSON })
        res.end(body)
      } catch (err) {
        res.writeHead(500)
        res.end(String(err))
      }
    }
    const bare = http.createServer((req, res) => void answer(req, res))
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r))

    // BENCH_ROUNDS (default 1) alternated pairs (a) then (b): on a shared machine the load drifts,
    // each pair's ratio is printed, and the median of the ratios.
    const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1))
    // Warm-up, not counted, for both: JIT, the pool's connections, PostgreSQL's plans and caches
    // (otherwise (a), measured first, pays them alone).
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}${path}`
    await loadApart(`${o.base}${path}`, { seconds: 2, headers: { authorization: `Bearer ${tokens.access_token}`, accept: FHIR_JSON } })
    await loadApart(bareUrl, { seconds: 2 })
    const ratios: number[] = []
    for (let round = 1; round <= rounds; round++) {
      const cpu0 = await cpuNow(db)
      const before = Number(
        (await db('activity_log').where({ subject_person_id: personId, action: 'fhir.read' }).count<{ n: string }[]>('* as n'))[0].n,
      )
      const api = await loadApart(`${o.base}${path}`, {
        seconds,
        headers: { authorization: `Bearer ${tokens.access_token}`, accept: FHIR_JSON },
      })
      if (api.non2xx) throw new Error(`l'API a répondu ${api.non2xx} fois autre chose que 200 : mesure invalide`)
      const cpu1 = await cpuNow(db)
      const after = Number(
        (await db('activity_log').where({ subject_person_id: personId, action: 'fhir.read' }).count<{ n: string }[]>('* as n'))[0].n,
      )
      const cpu2 = await cpuNow(db)
      const bareRes = await loadApart(bareUrl, { seconds })
      const cpu3 = await cpuNow(db)
      const perA = perRequest(cpu0, cpu1, api.total)
      const perB = perRequest(cpu2, cpu3, bareRes.total)
      ratios.push(bareRes.requestsPerSecond ? api.requestsPerSecond / bareRes.requestsPerSecond : 0)
      out.push(
        ...(rounds > 1 ? [`  passage ${round}/${rounds} (charge ${os.loadavg()[0].toFixed(1)})`] : []),
        line('(a) API FHIR (jeton, limite, politique, journal, SQL, JSON)', api),
        line('(b) même SQL + même JSON, node:http nu', bareRes),
        `  ratio a/b = ${ratio(api.requestsPerSecond, bareRes.requestsPerSecond)} (objectif ≥ 0,71 : l'API ajoute ≤ 40 %) ; lignes d'historique écrites pendant (a) : ${after - before}`,
        `  processeur par requête (Node + processus PostgreSQL de la base du banc, hors Redis) : (a) ${perA.text}, (b) ${perB.text} ; b/a = ${perA.total && perB.total ? (perB.total / perA.total).toFixed(2) : 'n/a'}`,
      )
    }
    await new Promise((r) => bare.close(r))
    if (rounds > 1) {
      const sorted = [...ratios].sort((x, y) => x - y)
      const median = (sorted[Math.floor((rounds - 1) / 2)] + sorted[Math.ceil((rounds - 1) / 2)]) / 2
      out.push(
        `  médiane des ratios a/b sur ${rounds} passages : ${median.toFixed(2)} (de ${sorted[0].toFixed(2)} à ${sorted[rounds - 1].toFixed(2)})`,
      )
    }
  } finally {
    await new Promise((r) => setTimeout(r, 300))
    await o.close()
  }
  return out
}
