import { de } from '../../domain/french'
import { Router } from 'express'
import type { Services } from '../../services'
import { requireOperator, requireProfessional, signedInRoutes } from '../../middleware/auth'
import { NAVIGATION } from '../../navigation'
import type { HistoryEntry } from '../history/service'
import { majoritySoon } from '../../domain/majority'
import { majorityDate } from '../../domain/age'
import { isoDate } from '../../domain/parisTime'

/** What a professional did, in plain words; a document is named when the viewer may see it (SPEC §6), «un document» otherwise. */
const accessSentence = (a: Pick<HistoryEntry, 'action' | 'document'>) => {
  const doc = a.document && 'title' in a.document ? `le document « ${a.document.title} » (${a.document.categoryLabel})` : 'un document'
  return (
    {
      'emergency.access': 'a accédé à ce profil en urgence',
      'careteam.consent': "a déclaré le consentement et rejoint l'équipe de soins",
      'document.download': `a téléchargé ${doc}`,
      'document.read': `a consulté ${doc}`,
    }[a.action] ?? 'a consulté la liste des documents'
  )
}

/** The home page of each kind of account, where sign-in lands. Features add their blocks. */
export function homeRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const forAgents = signedInRoutes(router, 'agent')
  forPatients.get('/mon-espace', async (req, res, actor) => {
    // The children this person manages (the profile switcher), the invitations waiting for an answer
    // and the last accesses by professionals in plain words (SPEC §6): one statement for the three,
    // the one that read the actor (loadActor, `services.home.actorPageRead`) on one's own space.
    const { children, invitations, lastAccesses } = await services.home.patientHome(actor, req)
    const today = isoDate()
    res.render('home/patient.njk', {
      pageTitle: actor.acting ? `Profil ${de(actor.acting.displayName)}` : 'Accueil de mon espace',
      sections: NAVIGATION.patient.filter((s) => s.href !== '/mon-espace'),
      firstName: actor.displayName.split(' ')[0],
      acting: actor.acting,
      selfPersonId: actor.personId,
      // A child whose 18th birthday is less than three months away: «Ce qui va changer» (issue 19 §4).
      children: children.map((c) => ({ ...c, majorityOn: majoritySoon(c.birthDate, today) ? majorityDate(c.birthDate) : null })),
      invitations,
      lastAccesses: lastAccesses && lastAccesses.map((a) => ({ ...a, label: accessSentence(a) })),
    })
  })
  router.get('/pro', requireProfessional, (_req, res) => {
    res.render('home/professional.njk', { pageTitle: 'Espace professionnel', sections: NAVIGATION.professional })
  })
  forAgents.get('/france-services', (_req, res, actor) => {
    res.render('home/agent.njk', {
      pageTitle: 'Espace France Services',
      sections: NAVIGATION.agent.filter((s) => s.href !== '/france-services'),
      organisation: actor.organisation,
    })
  })
  router.get('/back-office', requireOperator, async (_req, res) => {
    // Counts by state come from the figures summary (refreshed by a job), never from a scan of spaces.
    const [states, refreshedAt] = await Promise.all([services.figures.states(), services.figures.refreshedAt()])
    res.render('home/operator.njk', {
      pageTitle: 'Espace Assurance Maladie',
      sections: NAVIGATION.operator.filter((s) => s.href !== '/back-office'),
      states,
      refreshedAt,
    })
  })
  return router
}
