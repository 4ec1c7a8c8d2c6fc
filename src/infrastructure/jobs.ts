import PgBoss from 'pg-boss'
import { errorCode } from '../errors'
import type { Logger } from './logger'

/**
 * Background work runs on pg-boss (a queue in PostgreSQL). A feature declares its jobs as data;
 * the runner creates their queues, schedules the recurring ones and works them.
 * By default the runner lives in the web process; `npm run worker` runs it alone (RUN_JOBS=false
 * on the web processes then).
 */
export interface JobDefinition {
  name: string
  description: string
  /** Cron expression (Europe/Paris) for a recurring job. */
  cron?: string
  run(data: Record<string, unknown>): Promise<unknown>
}

export interface JobRunner {
  boss: PgBoss
  send(name: string, data?: Record<string, unknown>): Promise<string | null>
  stop(): Promise<void>
}

export async function startJobs(
  databaseUrl: string,
  jobs: JobDefinition[],
  logger: Logger,
  extra: { everyFewSeconds?: (() => Promise<unknown>) | (undefined | (() => Promise<unknown>))[]; tickMs?: number; poolMax?: number } = {},
): Promise<JobRunner> {
  // Its own pool (JOBS_DATABASE_POOL_MAX, 4 by default), next to knex's: count both per process.
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: 'pgboss',
    max: extra.poolMax ?? 4,
    application_name: 'mon-espace-sante-jobs',
  })
  boss.on('error', (err: Error) => logger.error({ err: { message: err.message } }, 'erreur de la file de tâches'))
  await boss.start()
  for (const job of jobs) {
    await ensureQueue(boss, job.name)
    if (job.cron) await boss.schedule(job.name, job.cron, {}, { tz: 'Europe/Paris' })
    await boss.work<Record<string, unknown>>(job.name, async (batch) => {
      for (const j of batch) {
        const started = Date.now()
        const result = await job.run(j.data ?? {})
        logger.info({ job: job.name, ms: Date.now() - started, result }, 'tâche terminée')
      }
    })
  }
  // Short periodic work, each with its own timer so a long one (a large export) never delays another.
  const ticks = [extra.everyFewSeconds].flat().filter((t): t is () => Promise<unknown> => Boolean(t))
  const timers = ticks.map((tick) => {
    let running = false
    const timer = setInterval(() => {
      if (running) return
      running = true
      tick()
        .catch((err: Error) => logger.warn({ err: { message: err.message } }, 'tâche périodique en échec'))
        .finally(() => {
          running = false
        })
    }, extra.tickMs ?? 5000)
    timer.unref()
    return timer
  })
  logger.info({ jobs: jobs.map((j) => j.name) }, 'file de tâches démarrée')
  return {
    boss,
    send: (name, data = {}) => boss.send(name, data),
    async stop() {
      for (const t of timers) clearInterval(t)
      await boss.stop({ graceful: true, timeout: 10000, wait: true })
    },
  }
}

/**
 * Creates a job's queue unless it exists. Several processes starting at once on a new database (or
 * with a new job) create queues together; each creation attaches a partition to pg-boss's job
 * table, and two of them can deadlock (PostgreSQL then cancels one): that one tries again.
 */
async function ensureQueue(boss: PgBoss, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (await boss.getQueue(name)) return
      await boss.createQueue(name)
      return
    } catch (err) {
      const code = errorCode(err)
      // 40P01 deadlock, 23505 / 42P07: created by the other process at the same moment.
      if (attempt >= 8 || !['40P01', '23505', '42P07', '40001'].includes(code ?? '')) throw err
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200 * attempt))
    }
  }
}
