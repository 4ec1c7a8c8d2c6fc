import { configOrExit } from '../bootstrap'
import { createLogger } from '../infrastructure/logger'
import { createDb, migrateLatest, startEmbeddedPostgres } from '../infrastructure/database'
import { exitOnStartupFailure } from '../startupError'

/** `npm run migrate`: applies pending migrations (production runs this before starting the web processes). */
async function main() {
  const config = configOrExit()
  const logger = createLogger(config.logLevel)
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.embeddedPg.dir, config.embeddedPg.port, logger)
  const db = createDb(config.databaseUrl ?? embedded!.url)
  try {
    const applied = await migrateLatest(db)
    process.stdout.write(applied.length ? `Migrations appliquées :\n${applied.map((m) => `  ${m}`).join('\n')}\n` : 'La base est à jour.\n')
  } finally {
    await db.destroy()
    await embedded?.stop()
  }
}

main().catch((err) => exitOnStartupFailure('Échec des migrations', err))
