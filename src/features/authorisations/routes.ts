import { Router } from 'express'
import { subjectPersonId } from '../../domain/actor'
import { forbidden } from '../../errors'
import { signedInRoutes } from '../../middleware/auth'
import type { Services } from '../../services'

/** «Mes autorisations»: one page listing who and what can reach the space, each with its link to change it. */
export function authorisationsRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  forPatients.get('/mes-autorisations', async (_req, res, actor) => {
    const personId = subjectPersonId(actor)
    if (!personId) throw forbidden()
    const view = await services.authorisations.overview(actor, personId)
    res.render('authorisations/overview.njk', { pageTitle: 'Mes autorisations', ...view })
  })
  return router
}
