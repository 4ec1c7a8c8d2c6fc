import { Router, type Request, type Response } from 'express'
import { normaliseOtp } from '../../domain/otp'
import { requirePatient, signedInRoutes, type ActorHandler } from '../../middleware/auth'
import type { Services } from '../../services'
import { addError, emptyErrors, type FormErrors } from '../../validation'
import { checkEmail, checkMobile } from '../spaces/forms'
import { NOTIFICATION_KINDS, prefsFrom } from './notificationPrefs'
import { ReauthLimitError } from './settings'
import { endSession } from './sessionHelpers'
import { formBody } from '../../middleware/forms'
import { setJourney } from '../../middleware/journeys'

declare module 'express-session' {
  interface Journeys {
    /** A new e-mail address (and mobile) waiting for the code sent to it. */
    contact?: { verificationId: string; email: string; mobile: string | null }
    /** The space just closed: what the next page confirms (the session was renewed). */
    closed?: { until: string; deletion: boolean }
  }
}

/**
 * «Mon compte» (/mon-compte): contact details, password, notifications, signed-in devices and
 * «Fermer mon profil». A password typed wrong 5 times ends the session (a limit says so).
 */
export function accountSettingsRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const settings = services.accountSettings
  router.use('/mon-compte', requirePatient)

  /** Runs a handler; a re-authentication limit ends the session and answers 429. */
  const guarded =
    (handler: ActorHandler): ActorHandler =>
    async (req, res, actor, next) => {
      try {
        await handler(req, res, actor, next)
      } catch (err) {
        if (!(err instanceof ReauthLimitError)) return next(err)
        await services.devices.endAll(actor.accountId, req.sessionID)
        await services.signIn.forgetSession(req.sessionID)
        await endSession(req, res)
        // Signed out: the page has no account header any more.
        res.locals.currentUser = undefined
        res.locals.navigation = undefined
        res.locals.contextBanner = undefined
        res.locals.sessionTimeout = undefined // no session any more: no time limit in the footer
        res.status(429).render('errors/429.njk', { pageTitle: 'Trop de tentatives', message: err.message })
      }
    }

  forPatients.get('/mon-compte', async (_req, res, actor) => {
    const o = await settings.overview(actor)
    res.render('account/settings.njk', { pageTitle: 'Mon compte', o, kinds: NOTIFICATION_KINDS })
  })

  // Contact details: password again; a new e-mail is verified by a code
  const contactPage = (res: Response, values: Record<string, unknown>, errors?: FormErrors) =>
    res.status(errors ? 400 : 200).render('account/contact.njk', { pageTitle: 'Modifier mes coordonnées', values, errors })
  forPatients.get('/mon-compte/coordonnees', async (_req, res, actor) => {
    const o = await settings.overview(actor)
    contactPage(res, { email: o.email, mobile: o.mobile })
  })
  forPatients.post(
    '/mon-compte/coordonnees',
    guarded(async (req, res, actor) => {
      const errors = emptyErrors()
      const email = checkEmail(String(formBody(req).email ?? ''))
      if (!email.ok) addError(errors, 'email', email.message)
      const mobile = checkMobile(String(formBody(req).mobile ?? ''))
      if (!mobile.ok) addError(errors, 'mobile', mobile.message)
      const password = String(formBody(req).password ?? '')
      if (!password) addError(errors, 'password', 'Saisissez votre mot de passe')
      const values = { email: formBody(req).email, mobile: formBody(req).mobile }
      if (!email.ok || !mobile.ok || !password) return contactPage(res, values, errors)
      const r = await settings.startContactChange(actor, { email: email.email, mobile: mobile.mobile, password })
      if (!r.ok) return contactPage(res, values, addError(errors, r.field, r.message))
      if (r.done) {
        req.session.flash = { type: 'success', text: 'Vos coordonnées sont enregistrées.' }
        return res.redirect(303, '/mon-compte')
      }
      setJourney(req, 'contact', { verificationId: r.verificationId, email: email.email, mobile: mobile.mobile })
      res.redirect(303, '/mon-compte/coordonnees/verification')
    }),
  )
  const contactJourney = (req: Request) => req.session.journeys?.contact
  router.get('/mon-compte/coordonnees/verification', (req, res) => {
    const j = contactJourney(req)
    if (!j) return res.redirect(303, '/mon-compte/coordonnees')
    res.render('account/contact-verify.njk', { pageTitle: 'Vérifier votre nouvelle adresse', email: j.email })
  })
  forPatients.post('/mon-compte/coordonnees/verification', async (req, res, actor) => {
    const j = contactJourney(req)
    if (!j) return res.redirect(303, '/mon-compte/coordonnees')
    const errors = emptyErrors()
    const code = normaliseOtp(String(formBody(req).code ?? ''))
    if (!/^\d{6}$/.test(code))
      addError(errors, 'code', code ? 'Le code contient 6 chiffres' : 'Saisissez le code à 6 chiffres reçu par courriel')
    else {
      const r = await settings.verifyEmailCode(actor, j.verificationId, code)
      if (r.ok && (await settings.confirmContactChange(actor, j.verificationId, j.mobile))) {
        setJourney(req, 'contact', undefined)
        req.session.flash = { type: 'success', text: 'Votre nouvelle adresse électronique est vérifiée et enregistrée.' }
        return res.redirect(303, '/mon-compte')
      }
      if (!r.ok && r.reason === 'wrong')
        addError(errors, 'code', `Le code est incorrect. Il vous reste ${r.attemptsLeft} essai${r.attemptsLeft > 1 ? 's' : ''}.`)
      else addError(errors, 'code', 'Ce code ne fonctionne plus. Recommencez la modification pour recevoir un nouveau code.')
    }
    res.status(400).render('account/contact-verify.njk', { pageTitle: 'Vérifier votre nouvelle adresse', email: j.email, errors })
  })

  // Password change: the other sessions end
  router.get('/mon-compte/mot-de-passe', (_req, res) =>
    res.render('account/change-password.njk', { pageTitle: 'Changer mon mot de passe' }),
  )
  forPatients.post(
    '/mon-compte/mot-de-passe',
    guarded(async (req, res, actor) => {
      const r = await settings.changePassword(actor, {
        current: String(formBody(req).current ?? ''),
        password: String(formBody(req).password ?? ''),
        confirmation: String(formBody(req).confirmation ?? ''),
      })
      if (!r.ok)
        return res.status(400).render('account/change-password.njk', {
          pageTitle: 'Changer mon mot de passe',
          errors: addError(emptyErrors(), r.field, r.message),
        })
      req.session.flash = { type: 'success', text: 'Votre mot de passe est changé. Vos autres appareils ont été déconnectés.' }
      res.redirect(303, '/mon-compte')
    }),
  )

  // Notification settings: one switch per kind; emergency access cannot be turned off
  forPatients.get('/mon-compte/notifications', async (_req, res, actor) => {
    const o = await settings.overview(actor)
    res.render('account/notifications.njk', { pageTitle: 'Mes notifications', prefs: o.prefs, kinds: NOTIFICATION_KINDS })
  })
  forPatients.post('/mon-compte/notifications', async (req, res, actor) => {
    // Checkboxes named `notifications[]` (one value per switch left on; none at all when every switch is off).
    const chosen = new Set([formBody(req)['notifications[]'] ?? []].flat().map(String))
    const prefs = prefsFrom((k) => chosen.has(k))
    await settings.savePrefs(actor, prefs)
    req.session.flash = { type: 'success', text: 'Vos préférences de notification sont enregistrées.' }
    res.redirect(303, '/mon-compte')
  })

  // Signed-in devices
  forPatients.get('/mon-compte/appareils', async (_req, res, actor) => {
    res.render('account/devices.njk', { pageTitle: 'Appareils connectés', devices: await settings.devices(actor) })
  })
  forPatients.post('/mon-compte/appareils/deconnecter', async (req, res, actor) => {
    const r = await settings.signOutDevice(actor, String(formBody(req).device ?? ''))
    if (r.current) {
      await endSession(req, res)
      return res.redirect(303, '/connexion?deconnecte=1')
    }
    req.session.flash = { type: 'success', text: r.ended ? "L'appareil a été déconnecté." : 'Cet appareil était déjà déconnecté.' }
    res.redirect(303, '/mon-compte/appareils')
  })
  forPatients.post('/mon-compte/appareils/deconnecter-partout', async (req, res, actor) => {
    await settings.signOutEverywhere(actor)
    await endSession(req, res)
    res.redirect(303, '/connexion?deconnecte=1')
  })

  // Fermer mon profil
  router.get('/mon-compte/fermer', (_req, res) => res.render('account/close.njk', { pageTitle: 'Fermer mon profil', values: {} }))
  forPatients.post(
    '/mon-compte/fermer',
    guarded(async (req, res, actor) => {
      const errors = emptyErrors()
      const what = String(formBody(req).data ?? '')
      if (what !== 'archive' && what !== 'delete') addError(errors, 'data', 'Indiquez ce que deviennent vos données')
      const password = String(formBody(req).password ?? '')
      if (!password) addError(errors, 'password', 'Saisissez votre mot de passe')
      if (errors.list.length)
        return res.status(400).render('account/close.njk', { pageTitle: 'Fermer mon profil', values: { data: what }, errors })
      const r = await settings.close(actor, { password, deleteData: what === 'delete' })
      if (!r.ok)
        return res.status(400).render('account/close.njk', {
          pageTitle: 'Fermer mon profil',
          values: { data: what },
          errors: addError(errors, r.field, r.message),
        })
      // Every session ended (this one too): a fresh one carries the confirmation.
      await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())))
      req.session.journeys = { closed: { until: r.until, deletion: r.deletion } }
      res.redirect(303, '/profil-ferme')
    }),
  )
  router.get('/profil-ferme', (req, res) => {
    const closed = req.session.journeys?.closed
    if (!closed) return res.redirect(303, '/')
    res.setHeader('Cache-Control', 'no-store')
    res.render('account/closed.njk', { pageTitle: 'Votre profil est fermé', closed })
  })

  return router
}
