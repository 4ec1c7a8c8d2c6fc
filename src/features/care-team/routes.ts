import { Router } from 'express'
import type { Services } from '../../services'
import { requirePatient, signedInRoutes } from '../../middleware/auth'
import { subjectPersonId, type Actor } from '../../domain/actor'
import { NotFoundError } from '../../errors'
import { addError, emptyErrors } from '../../validation'
import { fullName } from './service'
import { formBody } from '../../middleware/forms'

/** «Mes professionnels de santé»: care team, médecin traitant, administrators, blocks, the emergency switches. */
export function careTeamRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const { careTeam } = services
  const personOf = (actor: Actor) => {
    const id = subjectPersonId(actor)
    if (!id) throw new NotFoundError()
    return id
  }
  router.use('/mes-professionnels', requirePatient)

  forPatients.get('/mes-professionnels', async (_req, res, actor) => {
    const o = await careTeam.overview(actor, personOf(actor))
    res.render('care-team/overview.njk', {
      pageTitle: 'Mes professionnels de santé',
      medecinTraitant: o.medecinTraitant ? { ...o.medecinTraitant, name: fullName(o.medecinTraitant) } : undefined,
      team: o.team.map((p) => ({ ...p, name: fullName(p) })),
      blocked: o.blocked.map((p) => ({ ...p, name: fullName(p) })),
      settings: o.settings,
    })
  })

  forPatients.get('/mes-professionnels/rechercher', async (req, res, actor) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : ''
    const searched = typeof req.query.q === 'string'
    const errors = emptyErrors()
    if (searched && q.length < 2) addError(errors, 'q', 'Saisissez au moins 2 caractères du nom, ou le numéro RPPS à 11 chiffres')
    const results = searched && !errors.list.length ? await careTeam.search(actor, personOf(actor), q) : []
    const o = await careTeam.overview(actor, personOf(actor))
    const teamIds = new Set(o.team.map((p) => p.id))
    const blockedIds = new Set(o.blocked.map((p) => p.id))
    res.status(errors.list.length ? 400 : 200).render('care-team/search.njk', {
      pageTitle: 'Rechercher un professionnel de santé',
      q,
      searched,
      errors: errors.list.length ? errors : undefined,
      results: results.map((p) => ({ ...p, name: fullName(p), inTeam: teamIds.has(p.id), blocked: blockedIds.has(p.id) })),
    })
  })

  const actions: [
    string,
    (actor: Actor, id: string) => Promise<{ title: string | null; first_name: string; last_name: string }>,
    (name: string) => string,
  ][] = [
    [
      'ajouter',
      (actor, id) => careTeam.add(actor, personOf(actor), id),
      (n) =>
        `${n} est ajouté à vos professionnels de santé. Il n'a pas accès à votre profil tant qu'il n'a pas déclaré votre consentement.`,
    ],
    ['retirer', (actor, id) => careTeam.remove(actor, personOf(actor), id), (n) => `${n} ne fait plus partie de votre équipe de soins.`],
    [
      'administrateur',
      (actor, id) => careTeam.setAdministrator(actor, personOf(actor), id, true),
      (n) => `${n} est administrateur de votre profil : il voit aussi vos documents masqués.`,
    ],
    [
      'retirer-administrateur',
      (actor, id) => careTeam.setAdministrator(actor, personOf(actor), id, false),
      (n) => `${n} n'est plus administrateur de votre profil.`,
    ],
    [
      'bloquer',
      (actor, id) => careTeam.block(actor, personOf(actor), id),
      (n) => `${n} est bloqué : il n'a plus aucun accès à votre profil.`,
    ],
    [
      'debloquer',
      (actor, id) => careTeam.unblock(actor, personOf(actor), id),
      (n) => `${n} est débloqué. Il devra de nouveau déclarer votre consentement pour accéder à votre profil.`,
    ],
  ]
  for (const [path, run, message] of actions) {
    forPatients.post(`/mes-professionnels/:id/${path}`, async (req, res, actor) => {
      const pro = await run(actor, String(req.params.id))
      req.session.flash = { type: 'success', text: message(fullName(pro)) }
      res.redirect(303, '/mes-professionnels')
    })
  }

  forPatients.post('/mes-professionnels/urgence', async (req, res, actor) => {
    const chosen = [formBody(req)['urgence'] ?? formBody(req)['urgence[]'] ?? []].flat()
    await careTeam.setEmergency(actor, personOf(actor), {
      etreat: chosen.includes('ETREAT'),
      btg: chosen.includes('BTG'),
      masked: chosen.includes('MASKED'),
    })
    req.session.flash = { type: 'success', text: "Vos réglages d'accès en urgence sont enregistrés." }
    res.redirect(303, '/mes-professionnels')
  })

  return router
}
