import { Router } from 'express'
import type { Services } from '../../services'
import { requireAgent, requireOperator, requirePatient, requireProfessional } from '../../middleware/auth'
import { NAVIGATION } from '../../navigation'

/** The home page of each kind of account, where sign-in lands. Features add their blocks. */
export function homeRoutes(_services: Services): Router {
  const router = Router()
  router.get('/mon-espace', requirePatient, (req, res) => {
    res.render('home/patient.njk', { pageTitle: 'Accueil de mon espace', sections: NAVIGATION.patient, firstName: req.actor!.displayName.split(' ')[0] })
  })
  router.get('/pro', requireProfessional, (_req, res) => {
    res.render('home/professional.njk', { pageTitle: 'Espace professionnel', sections: NAVIGATION.professional })
  })
  router.get('/france-services', requireAgent, (_req, res) => {
    res.render('home/agent.njk', { pageTitle: 'Espace France Services', sections: NAVIGATION.agent })
  })
  router.get('/back-office', requireOperator, (_req, res) => {
    res.render('home/operator.njk', { pageTitle: 'Espace Assurance Maladie', sections: NAVIGATION.operator })
  })
  return router
}
