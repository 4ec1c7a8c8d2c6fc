import { loadConfig, ConfigError, type Config } from './config'
import { createLogger, type Logger } from './infrastructure/logger'
import { checkSessionDefaults, createDb, migrateLatest, type Db } from './infrastructure/database'
import { startEmbeddedPostgres, type EmbeddedPostgres } from './infrastructure/embeddedPostgres'
import { closeRedis, connectRedis, createRedis, type RedisClient } from './infrastructure/redis'
import { postgresSessionBackend, redisSessionBackend, type SessionBackend } from './infrastructure/sessionStore'
import { createServices, type Services } from './services'
import { appRoleProblems, grantAppRole, roleOfUrl } from './infrastructure/databaseRoles'
import { createHttpSms } from './infrastructure/smsHttp'
import type { SmsAdapter } from './infrastructure/notifier'
import { seedDemo } from './seed/demo'

/**
 * Builds the infrastructure for a process (web, worker or command): configuration, logger,
 * database (the embedded one when DATABASE_URL is unset), Redis, then the services.
 */
export interface Runtime {
  config: Config
  logger: Logger
  db: Db
  databaseUrl: string
  services: Services
  /** The SMS provider (SMS_HTTP_URL), if any: the deliverer sends through it. */
  sms?: SmsAdapter
  close(): Promise<void>
}

export function configOrExit(): Config {
  try {
    return loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Mon espace santé ne peut pas démarrer.\n${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
}

/**
 * The migrations, as the owner (DATABASE_OWNER_URL, or the embedded default's `mes_owner`), then the
 * application role's rights (`grantAppRole`). Without an owner's connection, DATABASE_URL migrates
 * (one role for both: refused in production by `appRoleProblems` if it may rewrite the log).
 */
export async function migrateAsOwner(ownerUrl: string | undefined, appUrl: string): Promise<string[]> {
  const owner = createDb(ownerUrl ?? appUrl, 2)
  try {
    const applied = await migrateLatest(owner)
    const appRole = roleOfUrl(appUrl)
    if (ownerUrl && roleOfUrl(ownerUrl) !== appRole) await grantAppRole(owner, appRole)
    return applied
  } finally {
    await owner.destroy()
  }
}

export async function bootstrap(
  opts: {
    migrate: boolean
    seed: boolean
    sessions: boolean
    /** The web site (`npm start`): holds the embedded database of its folder; commands share it. */
    site?: boolean
  } = { migrate: true, seed: true, sessions: true },
): Promise<Runtime> {
  const config = configOrExit()
  const logger = createLogger(config.logLevel)
  if (config.generatedSecrets.length) {
    logger.warn(
      { variables: config.generatedSecrets, file: '.data/dev-secrets.json' },
      "secrets de développement générés pour cette machine (à définir dans l'environnement en production)",
    )
  }
  let embedded: EmbeddedPostgres | undefined
  let databaseUrl = config.databaseUrl
  let ownerUrl = config.databaseOwnerUrl
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(config.embeddedPg.dir, config.embeddedPg.port, logger, {
      site: opts.site ? config.publicUrl : undefined,
    })
    databaseUrl = embedded.url
    ownerUrl = embedded.ownerUrl
  }
  const db = createDb(databaseUrl, config.databasePoolMax, { pooler: config.databasePooler === 'pgbouncer', ...config.databasePool })
  let redis: RedisClient | undefined
  try {
    if (opts.migrate) {
      const applied = await migrateAsOwner(ownerUrl, databaseUrl)
      if (applied.length) logger.info({ applied }, 'migrations appliquées')
    }
    if (config.databasePooler === 'pgbouncer') await checkSessionDefaults(db)
    // The application never connects as a superuser, nor as a role that may rewrite the activity log.
    const problems = await appRoleProblems(db)
    if (problems.length) {
      if (config.production)
        throw new ConfigError(problems.map((p) => `DATABASE_URL : ${p} (voir « Rôles de la base » dans docs/deployment.md)`))
      logger.warn({ problems }, 'rôle de la base : à corriger avant la production (voir « Rôles de la base » dans docs/deployment.md)')
    }
    if (opts.seed && config.seedDemo) {
      if (await seedDemo(db, config.codeHashKey, new Date(), config.documentMasterKey)) logger.info('données de démonstration créées')
    }
    let sessions: SessionBackend
    if (config.redisUrl && opts.sessions) {
      redis = createRedis(config.redisUrl, logger)
      await connectRedis(redis, logger)
      sessions = redisSessionBackend(redis, config.redisPrefix)
    } else {
      // Also for processes without web sessions (worker, commands): its pool connects only if used.
      sessions = postgresSessionBackend(databaseUrl)
    }
    const sms = config.smsHttpUrl ? createHttpSms({ url: config.smsHttpUrl, token: config.smsHttpToken }) : undefined
    if (config.production && !sms) {
      logger.warn(
        "aucun fournisseur de SMS (SMS_HTTP_URL) : les codes par SMS restent dans la boîte d'envoi, les personnes dont le mobile est connu ne peuvent pas se connecter",
      )
    }
    const services = createServices({ config, logger, db, sessions, redis, sms })
    return {
      config,
      logger,
      db,
      databaseUrl,
      services,
      sms,
      async close() {
        await services.documentStore.close().catch(() => undefined)
        await services.invalidation.close().catch(() => undefined)
        await sessions.close().catch(() => undefined)
        if (redis) await closeRedis(redis)
        await db.destroy()
        if (embedded) await embedded.stop()
      },
    }
  } catch (err) {
    if (redis) await closeRedis(redis)
    await db.destroy().catch(() => undefined)
    if (embedded) await embedded.stop().catch(() => undefined)
    throw err
  }
}
