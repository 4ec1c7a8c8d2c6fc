import type { Config } from './config'
import type { Db } from './infrastructure/database'
import type { Logger } from './infrastructure/logger'
import type { RedisClient } from './infrastructure/redis'
import type { SessionBackend } from './infrastructure/sessionStore'
import type { JobDefinition } from './infrastructure/jobs'
import { createNotifier, type Notifier, type SmsAdapter } from './infrastructure/notifier'
import { createLimiterFactory } from './infrastructure/rateLimit'
import { createCsrf } from './middleware/session'
import { createActivityLog } from './features/history/activity'
import { createSignInService } from './features/account/signin'
import { createCodeService } from './features/codes/service'
import { createHolderCheck } from './features/spaces/holder'
import { createEmailVerification } from './features/account/emailVerification'
import { createNotificationPrefs } from './features/account/notificationPrefs'
import { createDevices } from './features/account/devices'
import { createActivationService } from './features/activation/service'
import { createOppositionService } from './features/opposition/service'
import { createRecoveryService } from './features/account/recovery'
import { createAccountSettings } from './features/account/settings'
import { createChildrenService } from './features/children/service'
import { createClientRegistry } from './features/fhir/clients'
import { createConnections } from './features/fhir/connections'
import { createOidcProvider, fhirAudience } from './features/fhir/provider'
import { createFhirService } from './features/fhir/fhirService'
import { createViews } from './views'

/** What the process entry (or a test) builds before the services: the parts that talk to the outside. */
export interface Infrastructure {
  config: Config
  logger: Logger
  db: Db
  sessions: SessionBackend
  redis?: RedisClient
  sms?: SmsAdapter
}

/**
 * The composition root: infrastructure → repositories → services. Routes receive this object;
 * tests build it with the same function on a test database.
 */
export function createServices(infra: Infrastructure) {
  const { config, logger, db, sessions, redis } = infra
  const notifier: Notifier = createNotifier({ smtp: Boolean(config.smtpUrl), sms: infra.sms })
  const activity = createActivityLog(db)
  const limiter = createLimiterFactory({ redis, db, prefix: config.redisPrefix })
  const csrf = createCsrf()
  const codes = createCodeService({ notifier, activity, codeKey: config.codeHashKey, masterKey: config.documentMasterKey, publicUrl: config.publicUrl })
  const signIn = createSignInService({ db, notifier, activity, limiter, codeKey: config.codeHashKey, publicUrl: config.publicUrl })
  // The space lifecycle, citizen side (SPEC §2, §3).
  const holder = createHolderCheck({ db, codes, limiter, codeKey: config.codeHashKey })
  const emailVerification = createEmailVerification({ db, notifier, limiter, codeKey: config.codeHashKey })
  const notificationPrefs = createNotificationPrefs(db)
  const devices = createDevices({ db, sessions })
  const activation = createActivationService({ db, notifier, activity, codes, holder, emailVerification, limiter, codeKey: config.codeHashKey, publicUrl: config.publicUrl })
  const recovery = createRecoveryService({ db, notifier, activity, limiter, signIn, devices, codeKey: config.codeHashKey, publicUrl: config.publicUrl })
  const accountSettings = createAccountSettings({ db, notifier, activity, limiter, devices, emailVerification, notificationPrefs, publicUrl: config.publicUrl })
  const children = createChildrenService({ db, notifier, activity, codes, holder, publicUrl: config.publicUrl })
  const opposition = createOppositionService({ db, notifier, activity, codes, holder, masterKey: config.documentMasterKey, publicUrl: config.publicUrl })
  // Connected services (issue 8): OAuth clients, consent per category, the authorisation server, the FHIR API.
  const clients = createClientRegistry({ db, activity, masterKey: config.documentMasterKey })
  const connections = createConnections({ db, activity })
  const errorViews = createViews()
  const oidc = createOidcProvider({
    db,
    logger,
    publicUrl: config.publicUrl,
    signingKey: config.oidcSigningKey,
    cookieSecret: config.sessionSecret,
    trustProxy: Boolean(config.trustProxy),
    clients,
    render: (view, locals) => new Promise((resolve, reject) => errorViews.render(view, locals, (err, html) => (err ? reject(err) : resolve(html ?? '')))),
  })
  const fhirLimiter = limiter('fhir-client', { points: config.fhirRateLimitPerMinute, durationSeconds: 60, message: 'Trop de requêtes pour ce service.' })
  const fhir = createFhirService({ db, activity, clients, connections, oidc, audience: fhirAudience(config.publicUrl), limiter: fhirLimiter })

  const jobs: JobDefinition[] = [
    {
      name: 'sessions-purge',
      description: 'Supprime les sessions expirées du stockage PostgreSQL',
      cron: '*/15 * * * *',
      run: async () => ({ deleted: await db('sessions').where('expire', '<', db.fn.now()).del() }),
    },
    {
      name: 'majority',
      description: "Met fin à l'accès des représentants légaux aux 18 ans et envoie son propre code au jeune adulte",
      cron: '30 4 * * *',
      run: () => children.endAtMajority(),
    },
    {
      name: 'oidc-purge',
      description: "Supprime les jetons, codes et demandes expirés du serveur d'autorisation des services connectés",
      cron: '20 * * * *',
      run: async () => ({ deleted: await db('oidc_payloads').where('expires_at', '<', db.fn.now()).del() }),
    },
  ]

  return { config, logger, db, sessions, redis, notifier, activity, limiter, csrf, signIn, codes, jobs, notificationPrefs, devices, activation, opposition, recovery, accountSettings, children, clients, connections, oidc, fhir }
}

export type Services = ReturnType<typeof createServices>
