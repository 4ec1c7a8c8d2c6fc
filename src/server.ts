import http from 'node:http'
import { configOrExit } from './config'
import type { JobRunner } from './infrastructure/jobs'
import { exitOnStartupFailure } from './startupError'

/** Listens, or rejects with the system error (EADDRINUSE, EACCES: they name the port). */
function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => reject(err)
    server.once('error', failed)
    server.listen(port, host, () => {
      server.off('error', failed)
      resolve()
    })
  })
}

/**
 * Process entry: configuration → infrastructure → createApp(services) → listen.
 * SIGTERM/SIGINT: stop accepting, finish the requests under way, stop the jobs, close the pools.
 */
async function main() {
  // A busy port is said at once, before the database starts and the migrations run.
  const wanted = configOrExit()
  const probe = http.createServer()
  await listen(probe, wanted.port, wanted.host)
  await new Promise((resolve) => probe.close(resolve))

  // The application is loaded only now: a bad configuration or a busy port is said without it
  // (a synchronous require of the compiled CommonJS, typed by `import()` types).
  /* eslint-disable @typescript-eslint/no-require-imports -- deliberate lazy loading, see above */
  const { bootstrap } = require('./bootstrap') as typeof import('./bootstrap') // require() is typed any
  const { createApp } = require('./app') as typeof import('./app') // require() is typed any
  const { startJobs } = require('./infrastructure/jobs') as typeof import('./infrastructure/jobs') // require() is typed any
  const { createDeliverer } = require('./infrastructure/notifier') as typeof import('./infrastructure/notifier') // require() is typed any
  /* eslint-enable @typescript-eslint/no-require-imports */
  const runtime = await bootstrap({ migrate: process.env.NODE_ENV !== 'production', seed: true, sessions: true, site: true })
  const { config, logger, services } = runtime
  const app = createApp(services)
  const server = http.createServer(app)
  server.keepAliveTimeout = 5000
  server.requestTimeout = 60000

  let jobs: JobRunner | undefined
  if (config.runJobs) {
    const deliverer =
      config.smtpUrl || runtime.sms
        ? createDeliverer(runtime.db, logger, { smtpUrl: config.smtpUrl, from: config.mailFrom, sms: runtime.sms })
        : undefined
    jobs = await startJobs(runtime.databaseUrl, services.jobs, logger, {
      everyFewSeconds: [deliverer ? () => deliverer.deliverPending() : undefined, () => services.dataExport.runPending()],
      poolMax: config.jobsDatabasePoolMax,
    })
  }

  try {
    await listen(server, config.port, config.host)
  } catch (err) {
    await jobs?.stop().catch(() => undefined)
    await runtime.close().catch(() => undefined)
    throw err
  }
  logger.info(
    { url: config.publicUrl, env: config.env, sessions: services.sessions.kind },
    `Mon espace santé est prêt sur ${config.publicUrl}`,
  )

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'arrêt en cours : plus de nouvelles requêtes')
    const force = setTimeout(() => {
      logger.error('arrêt forcé après 20 secondes')
      process.exit(1)
    }, 20000)
    force.unref()
    server.close()
    server.closeIdleConnections()
    await new Promise<void>((resolve) => {
      const check = () => (server.listening ? setTimeout(check, 50) : resolve())
      check()
    })
    try {
      await jobs?.stop()
      await runtime.close()
      logger.info('arrêt terminé')
      process.exit(0)
    } catch (err) {
      logger.error({ err }, "erreur pendant l'arrêt")
      process.exit(1)
    }
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

main().catch((err) => exitOnStartupFailure("Mon espace santé n'a pas pu démarrer", err))
