import type { Config } from './config'
import type { Db } from './infrastructure/database'
import type { Logger } from './infrastructure/logger'
import type { RedisClient } from './infrastructure/redis'
import type { SessionBackend } from './infrastructure/sessionStore'
import type { JobDefinition } from './infrastructure/jobs'
import { createNotifier, type Notifier, type SmsAdapter } from './infrastructure/notifier'
import { createLimiterFactory, createThrottleFactory } from './infrastructure/rateLimit'
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
import { createProfileService } from './features/profile/service'
import { createAgendaService } from './features/agenda/service'
import { createAgendaJobs } from './features/agenda/jobs'
import { createVaccinationService } from './features/vaccinations/service'
import { createFranceServicesService } from './features/france-services/service'
import { createCarersService } from './features/carers/service'
import { createCatalogueService } from './features/catalogue/service'
import { createReimbursementsService } from './features/reimbursements/service'
import { createAuthorisationsService } from './features/authorisations/service'
import { createAccessFacts } from './access/facts'
import { createBlobStore, type BlobStore } from './infrastructure/blobStore'
import { createObjectDocumentStore } from './infrastructure/documentObjects'
import { ALL, localInvalidation, redisInvalidation } from './infrastructure/invalidation'
import { createDocumentsService } from './features/documents/service'
import { createCareTeamService } from './features/care-team/service'
import { createHistoryService } from './features/history/service'
import { createHomeService } from './features/home/service'
import { createProPortalService } from './features/pro-portal/portal'
import { createMessagingService } from './features/messaging/service'
import { createImportService } from './features/back-office/imports'
import { createCampaignService } from './features/back-office/campaign'
import { createClosedSpacesDeletion } from './features/spaces/deletion'
import { createFigures } from './features/back-office/figures'
import { createLetters } from './features/back-office/letters'
import { createPhoneOpposition } from './features/back-office/phone'
import { createAccessMatrix } from './features/back-office/accessMatrix'
import { createCatalogueAdmin } from './features/back-office/catalogueAdmin'
import { createClientRegistry } from './features/fhir/clients'
import { createConnections } from './features/fhir/connections'
import { createOidcProvider, fhirAudience, FHIR_TOKENS_CHANNEL } from './features/fhir/provider'
import { createFhirService } from './features/fhir/fhirService'
import { fhirRepository, type ClientConsentRow } from './features/fhir/repository'
import { createExportService } from './features/export/service'
import { createMajorityService } from './features/majority/service'
import { createViews } from './views'

/** What the process entry (or a test) builds before the services: the parts that talk to the outside. */
export interface Infrastructure {
  config: Config
  logger: Logger
  db: Db
  sessions: SessionBackend
  redis?: RedisClient
  sms?: SmsAdapter
  /** Where documents' bytes go (default: from the configuration, S3 or a folder). */
  blobs?: BlobStore
}

/**
 * The composition root: infrastructure → repositories → services. Routes receive this object;
 * tests build it with the same function on a test database.
 */
export function createServices(infra: Infrastructure) {
  const { config, logger, db, sessions, redis } = infra
  const notifier: Notifier = createNotifier({ smtp: Boolean(config.smtpUrl), sms: infra.sms })
  // The activity log; its checkpoints are signed with a key from the environment (issue 15 §5).
  const activity = createActivityLog(db, { checkpointKey: config.auditCheckpointKey })
  const limiter = createLimiterFactory({ redis, db, prefix: config.redisPrefix })
  const throttle = createThrottleFactory({ redis, db, prefix: config.redisPrefix })
  const csrf = createCsrf()
  const codes = createCodeService({
    notifier,
    activity,
    codeKey: config.codeHashKey,
    masterKey: config.documentMasterKey,
    publicUrl: config.publicUrl,
  })
  const signIn = createSignInService({
    db,
    notifier,
    activity,
    limiter,
    throttle,
    codeKey: config.codeHashKey,
    publicUrl: config.publicUrl,
  })
  // The space lifecycle, citizen side (SPEC §2, §3).
  const holder = createHolderCheck({ db, codes, throttle, codeKey: config.codeHashKey })
  const emailVerification = createEmailVerification({ db, notifier, limiter, codeKey: config.codeHashKey })
  const notificationPrefs = createNotificationPrefs(db)
  const devices = createDevices({ db, sessions })
  const activation = createActivationService({
    db,
    notifier,
    activity,
    codes,
    holder,
    emailVerification,
    limiter,
    codeKey: config.codeHashKey,
    publicUrl: config.publicUrl,
  })
  const recovery = createRecoveryService({
    db,
    notifier,
    activity,
    limiter,
    signIn,
    devices,
    codeKey: config.codeHashKey,
    publicUrl: config.publicUrl,
  })
  // The access policy's facts (SPEC §5): `access.loadFacts` + `can` from src/domain/accessPolicy.ts.
  const access = createAccessFacts()
  // Carers («aidants», SPEC §3): rights decided by the access policy (relation 'carer'); a closed space ends them.
  const carers = createCarersService({ db, access, activity, notifier, limiter, publicUrl: config.publicUrl })
  const accountSettings = createAccountSettings({
    carers,
    db,
    notifier,
    activity,
    limiter,
    devices,
    emailVerification,
    notificationPrefs,
    publicUrl: config.publicUrl,
  })
  const children = createChildrenService({ db, notifier, activity, codes, holder, publicUrl: config.publicUrl })
  // The 18th birthday: the notice three months before, and the pages (issue 19 §4).
  const majority = createMajorityService({ db, notifier, activity, publicUrl: config.publicUrl })
  const opposition = createOppositionService({
    db,
    notifier,
    activity,
    codes,
    holder,
    masterKey: config.documentMasterKey,
    publicUrl: config.publicUrl,
  })
  // France Services assisted mode (SPEC §11).
  const franceServices = createFranceServicesService({
    carers,
    db,
    activity,
    codes,
    opposition,
    devices,
    notifier,
    limiter,
    codeKey: config.codeHashKey,
    publicUrl: config.publicUrl,
  })
  // Documents: their bytes in an object store (S3, or a folder in embedded mode); metadata and keys in PostgreSQL.
  const documentStore = createObjectDocumentStore({ db, blobs: infra.blobs ?? createBlobStore(config.documents), logger })
  const documents = createDocumentsService({
    db,
    store: documentStore,
    masterKey: config.documentMasterKey,
    access,
    activity,
    notifier,
    notificationPrefs,
    publicUrl: config.publicUrl,
  })
  const careTeam = createCareTeamService({ db, access, activity })
  const history = createHistoryService({ db, access })
  // The patient home page's blocks in one statement (children, invitations, policy facts, last accesses).
  const home = createHomeService({ db, access, history })
  const proPortal = createProPortalService({
    db,
    access,
    activity,
    notifier,
    notificationPrefs,
    publicUrl: config.publicUrl,
    limiter: limiter('pro-patient-search', {
      points: 60,
      durationSeconds: 3600,
      message: 'Trop de recherches de patients en une heure. Réessayez plus tard.',
    }),
  })
  // Secure messaging (SPEC §9): attachments reuse the document rules and storage, «Enregistrer dans mes documents» uses fileDocument.
  const messaging = createMessagingService({
    db,
    masterKey: config.documentMasterKey,
    access,
    activity,
    notifier,
    notificationPrefs,
    documents,
    publicUrl: config.publicUrl,
  })
  // The operators' back office (SPEC §12).
  const imports = createImportService({ db, activity })
  const campaign = createCampaignService({
    db,
    notifier,
    activity,
    codeKey: config.codeHashKey,
    masterKey: config.documentMasterKey,
    publicUrl: config.publicUrl,
  })
  const figures = createFigures(db)
  const letters = createLetters({ db, activity, masterKey: config.documentMasterKey })
  const phoneOpposition = createPhoneOpposition({ db, activity, opposition })
  // The medical profile (SPEC §7); its PDFs are filed into Documents.
  const profile = createProfileService({ db, activity, access, documents })
  // Agenda, prevention calendar and vaccinations (SPEC §7, §8).
  const agenda = createAgendaService({ db, access, activity, notifier, publicUrl: config.publicUrl })
  const agendaJobs = createAgendaJobs({ db, notifier, publicUrl: config.publicUrl })
  const vaccinations = createVaccinationService({ db, access, activity })
  // Catalogue of services and reimbursements (SPEC §10).
  const catalogue = createCatalogueService({ db, activity, notifier, notificationPrefs, access, publicUrl: config.publicUrl })
  const reimbursements = createReimbursementsService({ db, activity, access })
  // Back office: the access matrix and the catalogue, operators only (canBackOffice in the access policy).
  const accessMatrix = createAccessMatrix({ db, activity })
  const catalogueAdmin = createCatalogueAdmin({ db, activity, catalogue })
  // Connected services (issue 8): OAuth clients, consent per category, the authorisation server, the FHIR API.
  // What a process keeps in memory and another may change (revoked tokens): told through Redis.
  const invalidation = redis ? redisInvalidation(redis, config.redisPrefix, logger) : localInvalidation()
  const clients = createClientRegistry({
    db,
    activity,
    masterKey: config.documentMasterKey,
    disabled: () => invalidation.publish(FHIR_TOKENS_CHANNEL, ALL),
  })
  const connections = createConnections({ db, activity, catalogue })
  // «Mes autorisations»: computed with the access policy's own facts loader; its connected services
  // are THE list of «Services connectés» (`connections.ofPerson`).
  const authorisations = createAuthorisationsService({ db, access, careTeam, catalogue, connections })
  access.useConsentedScopes(
    (trx, personId, clientId, prefetched) =>
      // The consent row the facts' query read as JSON (row_to_json of clientConsentQuery's row), when it did.
      connections.consentedScopes(personId, clientId, trx, prefetched as ClientConsentRow | null | undefined),
    (trx, personId, clientId) => fhirRepository.clientConsentQuery(trx, personId, clientId),
  )
  const errorViews = createViews()
  const oidc = createOidcProvider({
    db,
    logger,
    publicUrl: config.publicUrl,
    signingKey: config.oidcSigningKey,
    cookieSecret: config.sessionSecret,
    trustProxy: Boolean(config.trustProxy),
    clients,
    invalidation,
    render: (view, locals) =>
      new Promise((resolve, reject) => errorViews.render(view, locals, (err, html) => (err ? reject(err) : resolve(html ?? '')))),
  })
  // Counted on every call: leases of a twentieth of the limit (at most 100), one Redis round trip per lease.
  const fhirLimiter = limiter('fhir-client', {
    points: config.fhirRateLimitPerMinute,
    durationSeconds: 60,
    message: 'Trop de requêtes pour ce service.',
    lease: Math.min(100, Math.floor(config.fhirRateLimitPerMinute / 20)),
  })
  const fhir = createFhirService({
    db,
    activity,
    access,
    documents,
    clients,
    connections,
    oidc,
    invalidation,
    audience: fhirAudience(config.publicUrl),
    limiter: fhirLimiter,
    baseUrl: `${config.publicUrl}/fhir`,
  })

  // «Télécharger mes données» (SPEC §2, issue 8): a ZIP built by the `data-export` job, downloadable once.
  const dataExport = createExportService({
    db,
    access,
    activity,
    notifier,
    documentStore,
    masterKey: config.documentMasterKey,
    publicUrl: config.publicUrl,
    logger,
  })

  const closedSpacesDeletion = createClosedSpacesDeletion({ db, activity })
  const jobs: JobDefinition[] = [
    {
      name: 'sessions-purge',
      description: 'Supprime les sessions expirées du stockage PostgreSQL',
      cron: '*/15 * * * *',
      run: async () => ({ deleted: await db('sessions').where('expire', '<', db.fn.now()).del() }),
    },
    {
      name: 'audit-checkpoint',
      description: "Épingle les têtes des chaînes du journal d'activité (signées) : une suppression en fin de chaîne se voit",
      cron: '7 * * * *',
      run: async () => {
        const r = await activity.checkpoint()
        if (r?.broken.length)
          logger.error({ broken: r.broken.slice(0, 10), count: r.broken.length }, "journal d'activité : chaînes rompues")
        return r && { id: r.id, chains: r.chains, pinned: r.pinned, broken: r.broken.length }
      },
    },
    {
      name: 'majority',
      description: "Met fin à l'accès des représentants légaux aux 18 ans et envoie son propre code au jeune adulte",
      cron: '30 4 * * *',
      run: () => children.endAtMajority(),
    },
    {
      name: 'majority-notice',
      description: 'Trois mois avant les 18 ans : prévient le jeune et ses représentants légaux de ce qui va changer (une fois)',
      cron: '0 9 * * *',
      run: () => majority.sendNotices(),
    },
    {
      name: 'held-documents',
      description: "Consultation d'annonce : prévient le patient après 2 semaines, rend le résultat visible après 1 mois",
      cron: '0 7 * * *',
      run: () => proPortal.processHeldDocuments(),
    },
    {
      name: 'auto-creation',
      description: 'Crée automatiquement les profils informés depuis plus de 6 semaines sans opposition',
      cron: '15 3 * * *',
      run: () => campaign.autoCreate(),
    },
    {
      name: 'closed-spaces-deletion',
      description: 'Supprime les données des profils fermés : 10 ans après la fermeture, ou 3 mois après la demande de suppression',
      cron: '45 3 * * *',
      run: () => closedSpacesDeletion.run(),
    },
    {
      name: 'figures-refresh',
      description: 'Met à jour les chiffres du back-office (comptes par état, activations par jour)',
      cron: '*/10 * * * *',
      run: () => figures.refresh(),
    },
    {
      name: 'agenda-daily',
      description: 'Envoie les rappels de rendez-vous du jour et les avis de vaccin ou dépistage à prévoir (une seule fois chacun)',
      cron: '0 7 * * *',
      run: () => agendaJobs.daily(),
    },
    {
      name: 'connected-services-reminder',
      description: 'Rappelle tous les 90 jours à chaque personne les services connectés à son profil',
      cron: '15 9 * * *',
      run: () => catalogue.remindConnected(),
    },
    {
      name: 'oidc-purge',
      description: "Supprime les jetons, codes et demandes expirés du serveur d'autorisation des services connectés",
      cron: '20 * * * *',
      run: async () => ({ deleted: await db('oidc_payloads').where('expires_at', '<', db.fn.now()).del() }),
    },
    {
      name: 'data-export',
      description: '« Télécharger mes données » : prépare les fichiers ZIP demandés (chaque minute)',
      cron: '* * * * *',
      run: () => dataExport.runPending(),
    },
    {
      name: 'object-removals',
      description: 'Supprime du stockage les fichiers des documents supprimés et ceux dont l’enregistrement a échoué',
      cron: '* * * * *',
      run: () => documentStore.collect(),
    },
    {
      name: 'data-export-purge',
      description: '« Télécharger mes données » : efface les fichiers téléchargés ou expirés (7 jours)',
      cron: '40 * * * *',
      run: () => dataExport.purge(),
    },
  ]

  return {
    config,
    logger,
    db,
    sessions,
    redis,
    notifier,
    activity,
    limiter,
    csrf,
    signIn,
    codes,
    jobs,
    notificationPrefs,
    devices,
    activation,
    opposition,
    recovery,
    accountSettings,
    children,
    majority,
    access,
    documentStore,
    invalidation,
    documents,
    careTeam,
    history,
    proPortal,
    messaging,
    imports,
    campaign,
    figures,
    letters,
    phoneOpposition,
    profile,
    agenda,
    agendaJobs,
    vaccinations,
    franceServices,
    carers,
    catalogue,
    reimbursements,
    authorisations,
    clients,
    connections,
    oidc,
    fhir,
    accessMatrix,
    catalogueAdmin,
    dataExport,
    closedSpacesDeletion,
    home,
  }
}

export type Services = ReturnType<typeof createServices>
