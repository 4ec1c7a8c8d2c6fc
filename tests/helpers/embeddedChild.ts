import { createLogger } from '../../src/infrastructure/logger'
import { startEmbeddedPostgres } from '../../src/infrastructure/embeddedPostgres'
import { exitOnStartupFailure } from '../../src/startupError'

/**
 * A process of its own that starts the embedded PostgreSQL (tests/integration/embeddedPostgres.test.ts):
 * `tsx tests/helpers/embeddedChild.ts <dir> <port> <site|-> <projectRoot> <reachableBase> <stop|hold>`.
 * Prints `{"port":…,"url":…}` once started; `hold` keeps running until killed.
 */
async function main() {
  const [dir, port, site, projectRoot, reachableBase, mode] = process.argv.slice(2)
  const pg = await startEmbeddedPostgres(dir, Number(port), createLogger('silent'), {
    site: site === '-' ? undefined : site,
    projectRoot,
    reachableBase,
  })
  process.stdout.write(`${JSON.stringify({ port: pg.port, url: pg.url })}\n`)
  if (mode === 'hold') await new Promise(() => undefined)
  await pg.stop()
}

main().catch((err) => exitOnStartupFailure("Mon espace santé n'a pas pu démarrer", err))
