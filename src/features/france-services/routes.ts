import { de } from '../../domain/french'
import { Router, type Request, type Response } from 'express'
import type { Services } from '../../services'
import { requireAgent, signedInRoutes } from '../../middleware/auth'
import { ASSISTED_ENDED_URL, clearSessionCookie, clearSiteData } from '../../middleware/session'
import { clientAddress, destroySession } from '../account/sessionHelpers'
import { ABSOLUTE_MS } from '../../infrastructure/sessionStore'
import { ASSISTED_IDLE_MS, IDENTIFIED_TTL_MS } from '../../domain/franceServices'
import { addError, emptyErrors, hasErrors } from '../../validation'
import { regenerateSession } from '../account/sessionHelpers'
import { checkMobile, identityValues, readNirAndBirthDate } from '../spaces/forms'
import { IDENTIFY_MISMATCH } from './service'
import { formBody } from '../../middleware/forms'
import { setJourney } from '../../middleware/journeys'

const BASE = '/france-services'
const IDENTIFY_TITLE = 'Accompagner une personne'

/** The citizen an agent identified (kept in the agent's session, and through an assisted session). */
interface Identified {
  personId: string
  agentAccountId: string
  at: number
}

declare module 'express-session' {
  interface Journeys {
    franceServices?: Identified
  }
}

/**
 * France Services assisted mode (SPEC §11), agent side: identify a citizen, see the administrative
 * status of their space, act on their behalf with a printable receipt, hand the computer over for
 * an assisted session. And the assisted session itself («Terminer», the page it ends on).
 */
export function franceServicesRoutes(services: Services): Router {
  const router = Router()
  const forAgents = signedInRoutes(router, 'agent')
  const { franceServices } = services
  router.use(
    [`${BASE}/accompagner`, `${BASE}/personne`, `${BASE}/recus`, `${BASE}/fiche-aide`, `${BASE}/session-accompagnee`],
    requireAgent,
  )

  /** The citizen the agent identified, for a limited time, and only for that agent. */
  const identified = (req: Request): Identified | undefined => {
    const j = req.session.journeys?.franceServices
    if (!j || j.agentAccountId !== req.actor?.accountId || Date.now() - j.at > IDENTIFIED_TTL_MS) return undefined
    return j
  }
  const needPerson = (req: Request, res: Response): string | undefined => {
    const p = identified(req)
    if (!p) {
      req.session.flash = { type: 'info', text: 'Identifiez de nouveau la personne pour continuer.' }
      res.redirect(303, `${BASE}/accompagner`)
      return undefined
    }
    return p.personId
  }

  // «Accompagner une personne»
  router.get(`${BASE}/accompagner`, (_req, res) => {
    res.render('france-services/identify.njk', { pageTitle: IDENTIFY_TITLE, values: {} })
  })
  forAgents.post(`${BASE}/accompagner`, async (req, res, actor) => {
    const errors = emptyErrors()
    const { nir, birthDate } = readNirAndBirthDate(formBody(req), errors, 'son numéro de sécurité sociale')
    const surname = String(formBody(req).surname ?? '').trim()
    if (!surname) addError(errors, 'surname', 'Saisissez le nom de naissance de la personne')
    else if (surname.length > 100) addError(errors, 'surname', 'Le nom doit contenir 100 caractères au maximum')
    const attestation = formBody(req).attestation
    const attested = attestation === 'yes' || (Array.isArray(attestation) && attestation.includes('yes'))
    if (!attested) addError(errors, 'attestation', "Cochez la case pour attester que vous avez vérifié la pièce d'identité de la personne")
    const values = { ...identityValues(formBody(req)), surname: surname.slice(0, 100), attestation: attested }
    const again = () => res.status(400).render('france-services/identify.njk', { pageTitle: IDENTIFY_TITLE, values, errors })
    if (hasErrors(errors) || !nir || !birthDate) return again()
    const r = await franceServices.identify(actor, { nir, birthDate, surname })
    if (!r.ok) {
      addError(errors, 'nir', IDENTIFY_MISMATCH)
      return again()
    }
    setJourney(req, 'franceServices', { personId: r.personId, agentAccountId: actor.accountId, at: Date.now() })
    res.redirect(303, `${BASE}/personne`)
  })

  // The status page: never health data, contact details masked.
  forAgents.get(`${BASE}/personne`, async (req, res, actor) => {
    const personId = needPerson(req, res)
    if (!personId) return
    const citizen = await franceServices.status(actor, personId)
    res.render('france-services/status.njk', { pageTitle: `Situation ${de(citizen.name)}`, citizen })
  })

  router.post(`${BASE}/personne/terminer`, (req, res) => {
    setJourney(req, 'franceServices', undefined)
    req.session.flash = { type: 'success', text: "L'accompagnement est terminé. Les informations de la personne ne sont plus affichées." }
    res.redirect(303, BASE)
  })

  // Opposition, with an explicit confirmation by the citizen.
  forAgents.get(`${BASE}/personne/opposition`, async (req, res, actor) => {
    const personId = needPerson(req, res)
    if (!personId) return
    const citizen = await franceServices.status(actor, personId)
    if (!citizen.view.can.oppose) return res.redirect(303, `${BASE}/personne`)
    res.render('france-services/oppose.njk', { pageTitle: "Enregistrer l'opposition", citizen })
  })
  forAgents.post(`${BASE}/personne/opposition`, async (req, res, actor) => {
    const personId = needPerson(req, res)
    if (!personId) return
    if (formBody(req).confirm !== 'yes') {
      const citizen = await franceServices.status(actor, personId)
      const errors = addError(
        emptyErrors(),
        'confirm',
        "Cochez la case si la personne confirme qu'elle s'oppose à la création de son profil",
      )
      return res.status(400).render('france-services/oppose.njk', { pageTitle: "Enregistrer l'opposition", citizen, errors })
    }
    const r = await franceServices.oppose(actor, personId)
    if (!r.ok) return refused(req, res, "L'opposition n'est plus possible : le profil a été créé, ou une opposition est déjà enregistrée.")
    res.redirect(303, `${BASE}/recus/${r.actionId}`)
  })

  // Closure
  forAgents.get(`${BASE}/personne/fermeture`, async (req, res, actor) => {
    const personId = needPerson(req, res)
    if (!personId) return
    const citizen = await franceServices.status(actor, personId)
    if (!citizen.view.can.close) return res.redirect(303, `${BASE}/personne`)
    res.render('france-services/close.njk', { pageTitle: 'Fermer le profil', citizen, values: {} })
  })
  forAgents.post(`${BASE}/personne/fermeture`, async (req, res, actor) => {
    const personId = needPerson(req, res)
    if (!personId) return
    const data = String(formBody(req).data ?? '')
    const errors = emptyErrors()
    if (data !== 'archive' && data !== 'delete') addError(errors, 'data', 'Choisissez ce que deviennent les données de la personne', 'data')
    if (formBody(req).confirm !== 'yes')
      addError(errors, 'confirm', 'Cochez la case si la personne confirme qu’elle demande la fermeture de son profil')
    if (hasErrors(errors)) {
      const citizen = await franceServices.status(actor, personId)
      return res.status(400).render('france-services/close.njk', { pageTitle: 'Fermer le profil', citizen, values: { data }, errors })
    }
    const r = await franceServices.close(actor, personId, data === 'delete')
    if (!r.ok) return refused(req, res, 'Ce profil ne peut pas être fermé dans son état actuel.')
    res.redirect(303, `${BASE}/recus/${r.actionId}`)
  })

  // A new code to the address on file
  forAgents.post(`${BASE}/personne/nouveau-code`, async (req, res, actor) => {
    const personId = needPerson(req, res)
    if (!personId) return
    let sms: string | undefined
    if (formBody(req).canal === 'sms') {
      // A person without e-mail: by SMS, to a mobile number the agent checked with them on the spot.
      const errors = emptyErrors()
      const mobile = checkMobile(String(formBody(req).mobile ?? ''))
      if (!mobile.ok) addError(errors, 'mobile', mobile.message)
      else if (!mobile.mobile) addError(errors, 'mobile', 'Saisissez le numéro de mobile de la personne')
      if (formBody(req).mobileVerifie !== 'yes')
        addError(errors, 'mobileVerifie', 'Cochez la case pour attester que vous avez vérifié ce numéro avec la personne')
      if (hasErrors(errors) || !mobile.ok || !mobile.mobile) {
        const citizen = await franceServices.status(actor, personId)
        return res.status(400).render('france-services/status.njk', {
          pageTitle: `Situation ${de(citizen.name)}`,
          citizen,
          errors,
          values: { mobile: String(formBody(req).mobile ?? '').slice(0, 30), mobileVerifie: formBody(req).mobileVerifie === 'yes' },
        })
      }
      sms = mobile.mobile
    }
    const r = await franceServices.sendNewCode(actor, personId, { sms })
    if (!r.ok) {
      return refused(
        req,
        res,
        r.reason === 'too_soon'
          ? 'Un code vient d’être envoyé. Attendez 30 secondes avant d’en demander un autre.'
          : 'Un nouveau code ne peut pas être envoyé : le profil est déjà activé ou fermé.',
      )
    }
    res.redirect(303, `${BASE}/recus/${r.actionId}`)
  })

  const refused = (req: Request, res: Response, text: string) => {
    req.session.flash = { type: 'info', text }
    res.redirect(303, `${BASE}/personne`)
  }

  // Printable receipt
  forAgents.get(`${BASE}/recus/:id`, async (req, res, actor) => {
    const receipt = await franceServices.receipt(actor, req.params.id)
    res.render('france-services/receipt.njk', { pageTitle: `Récépissé ${receipt.reference}`, receipt })
  })

  // The plain-language help page the agent prints for the citizen
  router.get(`${BASE}/fiche-aide`, (_req, res) => {
    res.render('france-services/help.njk', { pageTitle: 'Fiche d’aide : se connecter à Mon espace santé' })
  })

  // «Session accompagnée»: the agent's session ends; a fresh, flagged session is handed to the citizen.
  forAgents.get(`${BASE}/session-accompagnee`, async (req, res, actor) => {
    const p = identified(req)
    const citizen = p ? await franceServices.status(actor, p.personId) : undefined
    res.render('france-services/assisted-start.njk', { pageTitle: 'Ouvrir une session accompagnée', citizen })
  })
  forAgents.post(`${BASE}/session-accompagnee`, async (req, res, actor) => {
    const p = identified(req)
    const citizen = p ? await franceServices.status(actor, p.personId) : undefined
    await franceServices.startAssisted(actor, p?.personId)
    // The agent's sign-in is paused, not lost: it resumes on this computer when the assisted session ends.
    const agentSignIn = { signedInAt: req.session.auth!.signedInAt, identified: p }
    await services.signIn.signOut(actor)
    await regenerateSession(req)
    req.session.assisted = {
      agentAccountId: actor.accountId,
      organisation: actor.organisation ?? 'France Services',
      // Opened from the person's page: the journeys start with that person already identified.
      ...(p && citizen ? { person: { id: p.personId, name: citizen.name } } : {}),
      agent: agentSignIn,
    }
    req.session.idleLimitMs = ASSISTED_IDLE_MS
    req.session.lastSeenAt = Date.now()
    req.session.cookie.maxAge = ASSISTED_IDLE_MS
    res.redirect(303, '/session-accompagnee')
  })

  // The citizen's side of the assisted session (no agent sign-in here: the agent's session has ended).
  router.get('/session-accompagnee', (req, res) => {
    if (!req.session.assisted) return res.redirect(303, ASSISTED_ENDED_URL)
    res.render('france-services/assisted-home.njk', { pageTitle: 'Session accompagnée', signedIn: Boolean(req.actor) })
  })

  router.post('/session-accompagnee/terminer', async (req, res) => {
    const assisted = req.session.assisted
    if (req.actor) await services.signIn.signOut(req.actor)
    const paused = assisted?.agent
    if (!assisted || !paused || Date.now() - paused.signedInAt > ABSOLUTE_MS) {
      await destroySession(req)
      clearSessionCookie(req, res)
      // Nothing stays on the counter computer: the browser forgets this site's cookies, storage and cache.
      clearSiteData(res)
      return res.redirect(303, ASSISTED_ENDED_URL)
    }
    // The citizen's session is destroyed (a new id, nothing of it copied); the agent's sign-in resumes
    // in the new one. The browser forgets the cache and storage; its only cookie is the new session's.
    await regenerateSession(req)
    req.session.agentResume = {
      accountId: assisted.agentAccountId,
      signedInAt: paused.signedInAt,
      lastSeenAt: Date.now(),
      identified: paused.identified,
    }
    res.setHeader('Clear-Site-Data', '"cache", "storage"')
    res.setHeader('Cache-Control', 'no-store')
    res.redirect(303, ASSISTED_ENDED_URL)
  })

  router.get(ASSISTED_ENDED_URL, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    const resume = req.session.agentResume
    if (resume) {
      // The agent's session resumes here (after «Terminer» or the 5 idle minutes): no new password or code.
      delete req.session.agentResume
      req.session.auth = { accountId: resume.accountId, kind: 'agent', signedInAt: resume.signedInAt }
      req.session.lastSeenAt = resume.lastSeenAt
      if (resume.identified) req.session.journeys = { franceServices: resume.identified }
      await services.signIn.registerSession(resume.accountId, req.sessionID, {
        userAgent: req.get('user-agent'),
        address: clientAddress(req),
      })
      return res.redirect(303, req.originalUrl)
    }
    res.render('france-services/assisted-ended.njk', {
      pageTitle: 'Session accompagnée terminée',
      idle: req.query.raison === 'inactivite',
      agentResumed: req.actor?.kind === 'agent',
    })
  })

  return router
}
