import { de } from '../../domain/french'
import { Router } from 'express'
import { requirePatient } from '../../middleware/auth'
import type { Services } from '../../services'

/**
 * The 18th birthday (issue 19 §4): a public explanation (linked from the young person's e-mail),
 * a representative's page for each child, and the young person's own page (before, and after: what
 * their parents could see). No health data on any of them.
 */
export function majorityRoutes(services: Services): Router {
  const router = Router()
  const { majority } = services

  router.get('/ce-qui-change-a-18-ans', (_req, res) => {
    res.render('majority/public.njk', { pageTitle: 'Ce qui change à 18 ans' })
  })

  router.get('/enfants/:childId/majorite', requirePatient, async (req, res) => {
    const view = await majority.forRepresentative(req.actor!, String(req.params.childId))
    res.render('majority/representative.njk', {
      pageTitle: view.state === 'adult' ? `${view.firstNames} a 18 ans` : `Ce qui change aux 18 ans ${de(view.firstNames)}`,
      view,
    })
  })

  router.get('/mon-espace/majorite', requirePatient, async (req, res) => {
    const view = await majority.forSelf(req.actor!)
    res.render('majority/self.njk', {
      pageTitle: view.state === 'adult' ? 'Votre profil est désormais le vôtre' : 'Ce qui change à vos 18 ans',
      view,
    })
  })

  return router
}
