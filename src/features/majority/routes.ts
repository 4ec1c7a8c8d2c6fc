import { de } from '../../domain/french'
import { Router } from 'express'
import { signedInRoutes } from '../../middleware/auth'
import type { Services } from '../../services'

/**
 * The 18th birthday (issue 19 §4): a public explanation (linked from the young person's e-mail),
 * a representative's page for each child, and the young person's own page (before, and after: what
 * their parents could see). No health data on any of them.
 */
export function majorityRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const { majority } = services

  router.get('/ce-qui-change-a-18-ans', (_req, res) => {
    res.render('majority/public.njk', { pageTitle: 'Ce qui change à 18 ans' })
  })

  forPatients.get('/enfants/:childId/majorite', async (req, res, actor) => {
    const view = await majority.forRepresentative(actor, String(req.params.childId))
    res.render('majority/representative.njk', {
      pageTitle: view.state === 'adult' ? `${view.firstNames} a 18 ans` : `Ce qui change aux 18 ans ${de(view.firstNames)}`,
      view,
    })
  })

  forPatients.get('/mon-espace/majorite', async (_req, res, actor) => {
    const view = await majority.forSelf(actor)
    res.render('majority/self.njk', {
      pageTitle: view.state === 'adult' ? 'Votre profil est désormais le vôtre' : 'Ce qui change à vos 18 ans',
      view,
    })
  })

  return router
}
