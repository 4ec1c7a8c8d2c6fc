import { de } from '../../domain/french'
import { Router, type Response } from 'express'
import { requirePatient, signedInRoutes } from '../../middleware/auth'
import type { Actor } from '../../domain/actor'
import type { Services } from '../../services'
import { addError, emptyErrors, type FormErrors } from '../../validation'
import { frenchDate } from '../../domain/parisTime'
import { clientAddress, regenerateSession } from '../account/sessionHelpers'
import { MISMATCH_MESSAGE } from '../spaces/holder'
import { identityValues, readCode, readNirAndBirthDate } from '../spaces/forms'
import { formBody } from '../../middleware/forms'

const ATTACH_MESSAGES: Record<string, string> = {
  adult: 'Cette personne est majeure : elle active elle-même son profil avec son propre code provisoire.',
  already_yours: 'Vous gérez déjà le profil de cet enfant.',
  managed_by_other: 'Le profil de cet enfant est déjà géré par un représentant légal : demandez-lui de vous inviter depuis son profil.',
  closed: 'Le profil de cet enfant est fermé.',
  code_expired:
    "Ce code provisoire a expiré : demandez un nouveau code pour l'enfant (« Recevoir un nouveau code », avec son numéro de sécurité sociale et sa date de naissance).",
  code_used: 'Ce code provisoire a déjà été utilisé.',
  code_gone: "Ce code provisoire n'est plus valable : demandez un nouveau code pour l'enfant.",
}

const INVITE_MESSAGES: Record<string, string> = {
  not_found:
    "Aucun profil activé ne correspond à ce numéro de sécurité sociale et à cette date de naissance. L'autre représentant légal doit d'abord activer son propre profil.",
  self: 'Vous êtes déjà représentant légal de cet enfant.',
  already: 'Cette personne gère déjà ce profil ou a déjà été invitée.',
  full: 'Ce profil a déjà deux représentants légaux (ou une invitation en attente).',
}

/**
 * Children (SPEC §3): «Ajouter un enfant», «Changer de profil» (a new session id at each switch, a
 * banner «Vous consultez le profil de Léo»), the invitation of the second legal representative.
 */
export function childrenRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const { children } = services
  router.use(['/changer-de-profil', '/enfants', '/invitations'], requirePatient)

  const switchPage = async (res: Response, actor: Actor, errors?: FormErrors) => {
    const managed = await children.managed(actor)
    res.status(errors ? 400 : 200).render('children/switch.njk', {
      pageTitle: 'Changer de profil',
      managed,
      current: actor.acting?.personId ?? actor.personId,
      self: actor.personId,
      selfName: actor.displayName,
      errors,
    })
  }
  forPatients.get('/changer-de-profil', (_req, res, actor) => switchPage(res, actor))

  forPatients.post('/changer-de-profil', async (req, res, actor) => {
    if (!formBody(req).profil) return switchPage(res, actor, addError(emptyErrors(), 'profil', 'Choisissez le profil à consulter'))
    const target = await children.switchTarget(actor, String(formBody(req).profil ?? ''))
    // A new session id at each switch, keeping the sign-in.
    const keep = {
      auth: req.session.auth!,
      lastSeenAt: req.session.lastSeenAt,
      idleLimitMs: req.session.idleLimitMs,
      assisted: req.session.assisted,
    }
    const oldSid = req.sessionID
    await regenerateSession(req)
    Object.assign(req.session, keep)
    req.session.auth = { ...keep.auth, actingPersonId: target.self ? undefined : String(formBody(req).profil) }
    if (!target.self) req.session.flash = { type: 'info', text: `Vous consultez maintenant le profil ${de(target.displayName)}.` }
    await services.devices.renameSession(oldSid, req.sessionID)
    res.redirect(303, '/mon-espace')
  })

  // «Ajouter un enfant»: the child's provisional code, NIR and date of birth
  router.get('/enfants/ajouter', (_req, res) => res.render('children/attach.njk', { pageTitle: 'Ajouter un enfant', values: {} }))
  forPatients.post('/enfants/ajouter', async (req, res, actor) => {
    const errors = emptyErrors()
    const code = readCode(formBody(req), errors)
    const { nir, birthDate } = readNirAndBirthDate(formBody(req), errors, "le numéro de sécurité sociale de l'enfant")
    const again = () =>
      res.status(400).render('children/attach.njk', { pageTitle: 'Ajouter un enfant', values: identityValues(formBody(req), true), errors })
    if (!code || !nir || !birthDate) return again()
    const r = await children.attach(actor, { code, nir, birthDate }, clientAddress(req))
    if (!r.ok) {
      addError(errors, 'code', r.reason === 'mismatch' ? MISMATCH_MESSAGE : ATTACH_MESSAGES[r.reason])
      return again()
    }
    req.session.flash = {
      type: 'success',
      text: `Le profil ${de(r.firstNames)} est ajouté : choisissez « Changer de profil » pour le consulter.`,
    }
    res.redirect(303, '/mon-espace')
  })

  // Invitation of the second legal representative
  forPatients.get('/enfants/:childId/inviter', async (req, res, actor) => {
    const child = await children.child(actor, req.params.childId)
    res.render('children/invite.njk', { pageTitle: 'Inviter le second représentant légal', child, values: {} })
  })
  forPatients.post('/enfants/:childId/inviter', async (req, res, actor) => {
    const child = await children.child(actor, req.params.childId)
    const errors = emptyErrors()
    const { nir, birthDate } = readNirAndBirthDate(formBody(req), errors, "le numéro de sécurité sociale de l'autre représentant légal")
    const again = () =>
      res.status(400).render('children/invite.njk', {
        pageTitle: 'Inviter le second représentant légal',
        child,
        values: identityValues(formBody(req)),
        errors,
      })
    if (!nir || !birthDate) return again()
    const r = await children.invite(actor, child.personId, { nir, birthDate })
    if (!r.ok) {
      addError(errors, 'nir', INVITE_MESSAGES[r.reason])
      return again()
    }
    req.session.flash = {
      type: 'success',
      text: `L'invitation est envoyée. Elle est valable 30 jours, jusqu'au ${frenchDate(new Date(Date.now() + 30 * 86400000))}.`,
    }
    res.redirect(303, '/mon-espace')
  })

  forPatients.post('/invitations/:id/:answer', async (req, res, actor) => {
    const answer = req.params.answer
    if (answer !== 'accepter' && answer !== 'refuser') return res.status(404).render('errors/404.njk', { pageTitle: 'Page introuvable' })
    const r = await children.answer(actor, req.params.id, answer === 'accepter')
    req.session.flash = {
      type: 'success',
      text: answer === 'accepter' ? `Vous gérez maintenant le profil ${de(r.childName)}.` : "Vous avez refusé l'invitation.",
    }
    res.redirect(303, '/mon-espace')
  })

  return router
}
