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
import { createAccessFacts } from './features/access/facts'
import { createPgDocumentStore } from './infrastructure/documentStore'
import { createDocumentsService } from './features/documents/service'
import { createCareTeamService } from './features/professionals/service'
import { createHistoryService } from './features/history/service'
import { createProPortalService } from './features/professional/portal'
import { createMessagingService } from './features/messaging/service'

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
  // Documents and the access policy (SPEC §4, §5): `access.loadFacts` + `can` from src/domain/accessPolicy.ts.
  const access = createAccessFacts()
  const documentStore = createPgDocumentStore()
  const documents = createDocumentsService({ db, store: documentStore, masterKey: config.documentMasterKey, access, activity, notifier, notificationPrefs, publicUrl: config.publicUrl })
  const careTeam = createCareTeamService({ db, access, activity })
  const history = createHistoryService({ db, access })
  const proPortal = createProPortalService({
    db, access, activity, notifier, notificationPrefs, publicUrl: config.publicUrl,
    limiter: limiter('pro-patient-search', { points: 60, durationSeconds: 3600, message: 'Trop de recherches de patients en une heure. Réessayez plus tard.' }),
  })
  // Secure messaging (SPEC §9): attachments reuse the document rules and storage, «Enregistrer dans mes documents» uses fileDocument.
  const messaging = createMessagingService({ db, masterKey: config.documentMasterKey, access, activity, notifier, notificationPrefs, documents, publicUrl: config.publicUrl })

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
      name: 'held-documents',
      description: "Consultation d'annonce : prévient le patient après 2 semaines, rend le résultat visible après 1 mois",
      cron: '0 7 * * *',
      run: () => proPortal.processHeldDocuments(),
    },
  ]

  return { config, logger, db, sessions, redis, notifier, activity, limiter, csrf, signIn, codes, jobs, notificationPrefs, devices, activation, opposition, recovery, accountSettings, children, access, documentStore, documents, careTeam, history, proPortal, messaging }
}

export type Services = ReturnType<typeof createServices>
