import { bootstrap } from './bootstrap'
import { startJobs } from './infrastructure/jobs'
import { createDeliverer } from './infrastructure/notifier'
import { exitOnStartupFailure } from './startupError'

/** `npm run worker`: the background jobs alone (set RUN_JOBS=false on the web processes). */
async function main() {
  const runtime = await bootstrap({ migrate: false, seed: false, sessions: false })
  const { config, logger, services } = runtime
  const deliverer =
    config.smtpUrl || runtime.sms
      ? createDeliverer(runtime.db, logger, { smtpUrl: config.smtpUrl, from: config.mailFrom, sms: runtime.sms })
      : undefined
  const jobs = await startJobs(runtime.databaseUrl, services.jobs, logger, {
    everyFewSeconds: [deliverer ? () => deliverer.deliverPending() : undefined, () => services.dataExport.runPending()],
    poolMax: config.jobsDatabasePoolMax,
  })
  const stop = async () => {
    await jobs.stop()
    deliverer?.close()
    await runtime.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop())
  process.on('SIGINT', () => void stop())
}

main().catch((err) => exitOnStartupFailure("Le processus des tâches n'a pas pu démarrer", err))
