import { Router } from 'express'
import type { Services } from './services'
import { signInRoutes } from './features/account/signinRoutes'
import { homeRoutes } from './features/home/routes'
import { activationRoutes } from './features/activation/routes'
import { oppositionRoutes } from './features/opposition/routes'
import { recoveryRoutes } from './features/account/recoveryRoutes'
import { accountSettingsRoutes } from './features/account/settingsRoutes'
import { childrenRoutes } from './features/children/routes'
import { profileRoutes } from './features/profile/routes'
import { agendaRoutes } from './features/agenda/routes'
import { vaccinationRoutes } from './features/vaccinations/routes'
import { franceServicesRoutes } from './features/france-services/routes'
import { carerAccountGuard, carersRoutes } from './features/carers/routes'
import { catalogueRoutes } from './features/catalogue/routes'
import { reimbursementsRoutes } from './features/reimbursements/routes'
import { authorisationsRoutes } from './features/authorisations/routes'
import { documentRoutes } from './features/documents/routes'
import { careTeamRoutes } from './features/care-team/routes'
import { historyRoutes } from './features/history/routes'
import { professionalRoutes } from './features/pro-portal/routes'
import { messagingRoutes, unreadBadge } from './features/messaging/routes'
import { backOfficeRoutes } from './features/back-office/routes'
import { backOfficeAdminRoutes } from './features/back-office/adminRoutes'
import { connectedServicesRoutes } from './features/fhir/routes'
import { exportRoutes } from './features/export/routes'
import { majorityRoutes } from './features/majority/routes'
import { sessionRoutes } from './features/session/routes'

/** Every feature's router, in one place. Features add themselves here. */
export function featureRoutes(services: Services): Router {
  const router = Router()
  // «Messagerie (2)» in the navigation of patients and professionals (one indexed count per page).
  router.use(unreadBadge(services))
  router.use(sessionRoutes(services))
  for (const kind of ['patient', 'professional', 'agent', 'operator'] as const) router.use(signInRoutes(services, kind))
  router.use(homeRoutes(services))
  router.use('/mon-compte', carerAccountGuard(services))
  router.use(
    activationRoutes(services),
    oppositionRoutes(services),
    recoveryRoutes(services),
    accountSettingsRoutes(services),
    childrenRoutes(services),
  )
  router.use(documentRoutes(services), careTeamRoutes(services), historyRoutes(services), professionalRoutes(services))
  router.use(messagingRoutes(services))
  router.use(backOfficeRoutes(services))
  router.use(backOfficeAdminRoutes(services))
  router.use(profileRoutes(services))
  router.use(agendaRoutes(services), vaccinationRoutes(services))
  router.use(franceServicesRoutes(services), carersRoutes(services))
  router.use(catalogueRoutes(services), reimbursementsRoutes(services), authorisationsRoutes(services))
  router.use(connectedServicesRoutes(services))
  router.use(exportRoutes(services))
  router.use(majorityRoutes(services))
  return router
}
