import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { recommendations, type PreventionRecord } from '../../src/domain/prevention'
import { VACCINES } from '../../src/domain/vaccines'
import { createServices } from '../../src/services'
import { createTestDatabase } from '../helpers/testApp'
import { loadConfig } from '../../src/config'
import { createLogger } from '../../src/infrastructure/logger'
import { TEST_SECRETS } from '../helpers/env'
import { isoDate } from '../../src/domain/parisTime'

/** A small deterministic generator (xorshift), so two runs compute the same people. */
function rng(seed: number) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 4294967296
  }
}

const pad = (n: number) => (n < 10 ? '0' : '') + n

/**
 * «Examens et vaccins recommandés»: calls per second of the pure function for BENCH_PEOPLE random
 * people (default 1,000,000: birth 1925–2026, random sex, 0 to 6 vaccinations), one core.
 * Goal: ≥ 200,000 calls/s.
 */
export async function recommendationsBench(): Promise<string[]> {
  const n = Number(process.env.BENCH_PEOPLE ?? 1_000_000)
  const today = '2026-11-24'
  const r = rng(42)
  const codes = VACCINES.map((v) => v.code)
  const births: string[] = new Array(n)
  const sexes: string[] = new Array(n)
  const recs: PreventionRecord[][] = new Array(n)
  for (let i = 0; i < n; i++) {
    const y = 1925 + Math.floor(r() * 102)
    const m = 1 + Math.floor(r() * 12)
    const d = 1 + Math.floor(r() * 28)
    births[i] = `${y}-${pad(m)}-${pad(d)}`
    sexes[i] = r() < 0.5 ? 'F' : 'M'
    const k = Math.floor(r() * 7)
    const list: PreventionRecord[] = []
    for (let j = 0; j < k; j++)
      list.push({
        code: codes[Math.floor(r() * codes.length)],
        date: `${Math.max(y, 2000) + Math.floor(r() * (2026 - Math.max(y, 2000)))}-${pad(1 + Math.floor(r() * 12))}-${pad(1 + Math.floor(r() * 28))}`,
      })
    recs[i] = list
  }
  // Warm-up, then the measured pass.
  let items = 0
  for (let i = 0; i < Math.min(n, 50_000); i++) items += recommendations(births[i], sexes[i], recs[i], today).length
  items = 0
  const start = performance.now()
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < n; i++) items += recommendations(births[i], sexes[i], recs[i], today).length
  const seconds = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpu0)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  // On a shared machine the wall clock counts other processes' time: the CPU time of this process
  // is the «one core» figure; both are printed.
  const perSecond = Math.round(n / cpuSeconds)
  const perWallSecond = Math.round(n / seconds)
  return [
    `Recommandations de prévention (fonction pure, un cœur, ${n.toLocaleString('fr-FR')} personnes au hasard)`,
    `  ${perSecond.toLocaleString('fr-FR')} appels par seconde de processeur (${cpuSeconds.toFixed(2)} s de CPU) ; ${perWallSecond.toLocaleString('fr-FR')} appels/s en temps écoulé (${seconds.toFixed(2)} s, charge de la machine ${os.loadavg()[0].toFixed(1)} pour ${os.cpus().length} cœurs)`,
    `  ${(items / n).toFixed(1)} recommandations par personne — objectif ≥ 200 000/s sur un cœur : ${perSecond >= 200_000 ? 'atteint' : 'NON atteint'}`,
  ]
}

/**
 * The daily agenda job over BENCH_SPACES activated spaces with an account (default 1,000,000) on a
 * database of its own: 1 space in 10 has a reminder due today, 1 in 3 a vaccination. Prints the
 * seconds of each part (reminders, then prevention notices), run twice (the second must send nothing).
 */
export async function agendaJobBench(): Promise<string[]> {
  const n = Number(process.env.BENCH_SPACES ?? 1_000_000)
  const out = [`Tâche quotidienne de l'agenda sur ${n.toLocaleString('fr-FR')} profils (lots ensemblistes de 5 000)`]
  const database = await createTestDatabase()
  try {
    const db = database.db
    const today = isoDate()
    const t0 = performance.now()
    // By chunks of BENCH_CHUNK (50,000) people, each in a transaction without the statement timeout of the app's pool.
    const chunk = Number(process.env.BENCH_CHUNK ?? 50_000)
    for (let lo = 1; lo <= n; lo += chunk) {
      const hi = Math.min(n, lo + chunk - 1)
      await db.transaction(async (trx) => {
        await trx.raw('SET LOCAL statement_timeout = 0')
        await trx.raw(
          `
          WITH p AS (
            INSERT INTO insured_persons (id, nir, last_name, first_names, sex, birth_date)
            SELECT gen_random_uuid(), '8' || lpad(i::text, 14, '0'), 'Banc', 'Personne', CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END,
                   date '1925-01-01' + ((i::bigint * 7919) % 37000)::int
              FROM generate_series(?::int, ?::int) i
            RETURNING id, nir
          ), s AS (
            INSERT INTO spaces (person_id, state, activated_at) SELECT id, 'activated', now() FROM p RETURNING person_id
          ), v AS (
            INSERT INTO vaccinations (person_id, vaccine, date, dose, professional)
            SELECT id, (ARRAY['DTP','GRIPPE','ZONA','PNEUMO','HPV'])[1 + (abs(hashtext(nir)) % 5)], current_date - 400, '1', 'Banc'
              FROM p WHERE abs(hashtext(nir)) % 3 = 0
            RETURNING id
          ), a AS (
            INSERT INTO accounts (kind, login, password_hash, person_id, display_name, email)
            SELECT 'patient', 'banc.' || nir, 'x', id, 'Personne Banc', 'banc.' || nir || '@courriel.example' FROM p
            RETURNING id, person_id
          ), e AS (
            INSERT INTO agenda_events (person_id, title, date, time, status)
            SELECT id, 'Rendez-vous', current_date + 1, '10:00', 'confirme' FROM p WHERE abs(hashtext(nir)) % 10 = 0
            RETURNING id, person_id
          )
          INSERT INTO agenda_reminders (event_id, account_id, remind_on, kind)
          SELECT e.id, a.id, ?::date, 'veille' FROM e JOIN a ON a.person_id = e.person_id`,
          [lo, hi, today],
        )
      })
    }
    // ANALYZE needs the tables' owner (or a superuser), not the application's role.
    await database.admin.transaction(async (trx) => {
      await trx.raw('SET LOCAL statement_timeout = 0')
      await trx.raw('ANALYZE')
    })
    const due = Number((await db('agenda_reminders').whereNull('sent_at').count({ n: '*' }).first())!.n)
    out.push(
      `  jeu de données créé en ${((performance.now() - t0) / 1000).toFixed(1)} s (${due.toLocaleString('fr-FR')} rappels dus aujourd'hui)`,
    )

    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url, ...TEST_SECRETS })
    const services = createServices({
      config,
      logger: createLogger('silent'),
      db,
      sessions: { store: undefined as never, close: async () => undefined } as never,
    })
    for (const pass of [1, 2]) {
      let s = performance.now()
      const reminders = await services.agendaJobs.sendReminders(today)
      const rs = (performance.now() - s) / 1000
      s = performance.now()
      const cpu0 = process.cpuUsage()
      const notices = await services.agendaJobs.sendPreventionNotices(today)
      const ps = (performance.now() - s) / 1000
      const cpu = process.cpuUsage(cpu0)
      out.push(
        `  passage ${pass} : rappels ${reminders.toLocaleString('fr-FR')} envoyés en ${rs.toFixed(1)} s ; avis de prévention : ${notices.people.toLocaleString('fr-FR')} profils parcourus, ${notices.notices.toLocaleString('fr-FR')} avis, ${notices.emails.toLocaleString('fr-FR')} courriels en ${ps.toFixed(1)} s` +
          ` (${Math.round(notices.people / ps).toLocaleString('fr-FR')} profils/s ; ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s de CPU côté Node ; charge ${os.loadavg()[0].toFixed(1)} pour ${os.cpus().length} cœurs)`,
      )
    }
  } finally {
    await database.drop()
  }
  return out
}
