import { migrateAsOwner } from '../bootstrap'
import { configOrExit } from '../config'
import { createLogger } from '../infrastructure/logger'
import { startEmbeddedPostgres } from '../infrastructure/embeddedPostgres'
import { exitOnStartupFailure } from '../startupError'

/**
 * `npm run migrate`: applies pending migrations as the owner (DATABASE_OWNER_URL), then grants the
 * application's role (DATABASE_URL) its rights (production runs this before starting the web processes).
 */
async function main() {
  const config = configOrExit()
  const logger = createLogger(config.logLevel)
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.embeddedPg.dir, config.embeddedPg.port, logger)
  try {
    const applied = await migrateAsOwner(embedded?.ownerUrl ?? config.databaseOwnerUrl, embedded?.url ?? config.databaseUrl!)
    process.stdout.write(applied.length ? `Migrations appliquées :\n${applied.map((m) => `  ${m}`).join('\n')}\n` : 'La base est à jour.\n')
  } finally {
    await embedded?.stop()
  }
}

main().catch((err) => exitOnStartupFailure('Échec des migrations', err))
