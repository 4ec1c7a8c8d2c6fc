import { Router } from 'express'
import { subjectPersonId } from '../../domain/actor'
import { forbidden } from '../../errors'
import { requirePatient } from '../../middleware/auth'
import type { Services } from '../../services'

/** «Mes autorisations»: one page listing who and what can reach the space, each with its link to change it. */
export function authorisationsRoutes(services: Services): Router {
  const router = Router()
  router.get('/mes-autorisations', requirePatient, async (req, res) => {
    const personId = subjectPersonId(req.actor!)
    if (!personId) throw forbidden()
    const view = await services.authorisations.overview(req.actor!, personId)
    res.render('authorisations/overview.njk', { pageTitle: 'Mes autorisations', ...view })
  })
  return router
}
