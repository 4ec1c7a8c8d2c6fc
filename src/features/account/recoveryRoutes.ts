import { Router, type Request, type Response } from 'express'
import { normaliseOtp } from '../../domain/otp'
import type { Services } from '../../services'
import { addError, emptyErrors, type FormErrors } from '../../validation'
import { checkEmail } from '../spaces/forms'
import { clientAddress, startSignedInSession } from './sessionHelpers'
import type { VerifyResult } from './signin'
import { formBody } from '../../middleware/forms'
import { setJourney } from '../../middleware/journeys'

interface CodeJourney {
  accountId: string
  challengeId?: string
  sentTo?: string
  verified?: boolean
}

declare module 'express-session' {
  interface Journeys {
    /** «Mot de passe oublié»: the account found, then its code sent and checked. */
    reset?: CodeJourney
    /** Reopening a closed space: the right password was given on /connexion (signinRoutes.ts), the code follows. */
    reopen?: CodeJourney
  }
}

/** «Identifiant oublié», «Mot de passe oublié» and the reopening of a closed space, from /connexion. */
export function recoveryRoutes(services: Services): Router {
  const router = Router()
  const { recovery } = services
  const get = (req: Request, name: 'reset' | 'reopen') => req.session.journeys?.[name]
  const codeErrors = (r: Exclude<VerifyResult, { ok: true }>, errors: FormErrors) => {
    if (r.reason === 'wrong')
      addError(errors, 'code', `Le code est incorrect. Il vous reste ${r.attemptsLeft} essai${r.attemptsLeft > 1 ? 's' : ''}.`)
    else if (r.reason === 'exhausted')
      addError(errors, 'code', 'Vous avez fait 5 essais incorrects : ce code ne fonctionne plus. Demandez un nouveau code.')
    else addError(errors, 'code', 'Ce code a expiré ou a déjà servi. Demandez un nouveau code.')
    return errors
  }
  const readOtp = (req: Request, errors: FormErrors) => {
    const code = normaliseOtp(String(formBody(req).code ?? ''))
    if (!code) addError(errors, 'code', 'Saisissez le code à 6 chiffres reçu')
    else if (!/^\d{6}$/.test(code)) addError(errors, 'code', 'Le code contient 6 chiffres')
    return /^\d{6}$/.test(code) ? code : undefined
  }
  const codePage = (res: Response, base: string, j: CodeJourney, errors?: FormErrors) =>
    res.status(errors ? 400 : 200).render('account/signin-code.njk', {
      pageTitle: 'Saisir le code reçu',
      sentTo: j.sentTo,
      action: `${base}/code`,
      resendAction: `${base}/code/renvoyer`,
      base: '/connexion',
      errors,
    })

  // Identifiant oublié
  router.get('/connexion/identifiant-oublie', (_req, res) =>
    res.render('account/forgot-identifiant.njk', { pageTitle: 'Identifiant oublié', values: {} }),
  )
  router.post('/connexion/identifiant-oublie', async (req, res) => {
    const email = checkEmail(String(formBody(req).email ?? ''))
    if (!email.ok)
      return res.status(400).render('account/forgot-identifiant.njk', {
        pageTitle: 'Identifiant oublié',
        values: { email: formBody(req).email },
        errors: addError(emptyErrors(), 'email', email.message),
      })
    await recovery.forgotIdentifiant(email.email, clientAddress(req))
    res.redirect(303, '/connexion/identifiant-oublie/envoye')
  })
  router.get('/connexion/identifiant-oublie/envoye', (_req, res) =>
    res.render('account/recovery-sent.njk', { pageTitle: 'Vérifiez votre messagerie', what: 'identifiant' }),
  )

  // Mot de passe oublié: a link by e-mail (30 minutes), then the one-time code, then the new password
  router.get('/connexion/mot-de-passe-oublie', (_req, res) =>
    res.render('account/forgot-password.njk', { pageTitle: 'Mot de passe oublié', values: {} }),
  )
  router.post('/connexion/mot-de-passe-oublie', async (req, res) => {
    const login = String(formBody(req).login ?? '').trim()
    if (!login)
      return res.status(400).render('account/forgot-password.njk', {
        pageTitle: 'Mot de passe oublié',
        values: {},
        errors: addError(emptyErrors(), 'login', 'Saisissez votre identifiant'),
      })
    await recovery.forgotPassword(login.slice(0, 100), clientAddress(req))
    res.redirect(303, '/connexion/mot-de-passe-oublie/envoye')
  })
  router.get('/connexion/mot-de-passe-oublie/envoye', (_req, res) =>
    res.render('account/recovery-sent.njk', { pageTitle: 'Vérifiez votre messagerie', what: 'password' }),
  )

  const RESET = '/connexion/nouveau-mot-de-passe'
  router.get(RESET, async (req, res) => {
    const token = typeof req.query.jeton === 'string' ? req.query.jeton : ''
    if (token) {
      const r = await recovery.openResetLink(token)
      if (!r.ok) return res.status(400).render('account/reset-link-invalid.njk', { pageTitle: "Ce lien n'est plus valable" })
      setJourney(req, 'reset', { accountId: r.accountId, challengeId: r.challengeId, sentTo: r.sentTo })
      // The token leaves the address bar (and the browser history) at once.
      return res.redirect(303, `${RESET}/code`)
    }
    res.redirect(303, '/connexion/mot-de-passe-oublie')
  })
  router.get(`${RESET}/code`, (req, res) => {
    const j = get(req, 'reset')
    if (!j?.challengeId) return res.redirect(303, '/connexion/mot-de-passe-oublie')
    codePage(res, RESET, j)
  })
  router.post(`${RESET}/code`, async (req, res) => {
    const j = get(req, 'reset')
    if (!j?.challengeId) return res.redirect(303, '/connexion/mot-de-passe-oublie')
    const errors = emptyErrors()
    const code = readOtp(req, errors)
    if (code) {
      const r = await recovery.checkCode(j.challengeId, 'password_reset', code)
      if (r.ok && r.accountId === j.accountId) {
        setJourney(req, 'reset', { ...j, verified: true })
        return res.redirect(303, `${RESET}/choisir`)
      }
      if (!r.ok) codeErrors(r, errors)
    }
    codePage(res, RESET, j, errors)
  })
  router.post(`${RESET}/code/renvoyer`, async (req, res) => {
    const j = get(req, 'reset')
    if (!j?.challengeId) return res.redirect(303, '/connexion/mot-de-passe-oublie')
    const sent = await recovery.resendCode(j.accountId, 'password_reset')
    setJourney(req, 'reset', { ...j, ...sent })
    req.session.flash = { type: 'info', text: `Un nouveau code vous a été envoyé ${sent.sentTo}.` }
    res.redirect(303, `${RESET}/code`)
  })
  router.get(`${RESET}/choisir`, (req, res) => {
    if (!get(req, 'reset')?.verified) return res.redirect(303, '/connexion/mot-de-passe-oublie')
    res.render('account/reset-password.njk', { pageTitle: 'Choisir un nouveau mot de passe' })
  })
  router.post(`${RESET}/choisir`, async (req, res) => {
    const j = get(req, 'reset')
    if (!j?.verified) return res.redirect(303, '/connexion/mot-de-passe-oublie')
    const r = await recovery.resetPassword(j.accountId, String(formBody(req).password ?? ''), String(formBody(req).confirmation ?? ''))
    if (!r.ok)
      return res.status(400).render('account/reset-password.njk', {
        pageTitle: 'Choisir un nouveau mot de passe',
        errors: addError(emptyErrors(), r.field, r.message),
      })
    setJourney(req, 'reset', undefined)
    req.session.flash = {
      type: 'success',
      text: 'Votre mot de passe a été changé et vos appareils ont été déconnectés. Connectez-vous avec votre nouveau mot de passe.',
    }
    res.redirect(303, '/connexion')
  })

  // Reopening a closed space (after the right identifiant and password on /connexion)
  const REOPEN = '/connexion/rouvrir'
  router.get(REOPEN, async (req, res) => {
    const j = get(req, 'reopen')
    if (!j) return res.redirect(303, '/connexion')
    const r = await recovery.reopenable(j.accountId)
    res
      .status(r.ok ? 200 : 400)
      .render('account/reopen.njk', { pageTitle: r.ok ? 'Rouvrir mon profil' : 'Votre profil ne peut plus être rouvert', reopen: r })
  })
  router.post(REOPEN, async (req, res) => {
    const j = get(req, 'reopen')
    if (!j) return res.redirect(303, '/connexion')
    const r = await recovery.reopenable(j.accountId)
    if (!r.ok) return res.redirect(303, REOPEN)
    const sent = await recovery.resendCode(j.accountId, 'reopen')
    setJourney(req, 'reopen', { ...j, ...sent })
    res.redirect(303, `${REOPEN}/code`)
  })
  router.get(`${REOPEN}/code`, (req, res) => {
    const j = get(req, 'reopen')
    if (!j?.challengeId) return res.redirect(303, '/connexion')
    codePage(res, REOPEN, j)
  })
  router.post(`${REOPEN}/code`, async (req, res) => {
    const j = get(req, 'reopen')
    if (!j?.challengeId) return res.redirect(303, '/connexion')
    const errors = emptyErrors()
    const code = readOtp(req, errors)
    if (code) {
      const r = await recovery.checkCode(j.challengeId, 'reopen', code)
      if (r.ok && r.accountId === j.accountId) {
        if (!(await recovery.reopen(j.accountId))) return res.redirect(303, REOPEN)
        await startSignedInSession(req, services, j.accountId, 'patient', {
          flash: { type: 'success', text: 'Votre profil est rouvert : vos données sont de nouveau accessibles, comme avant la fermeture.' },
        })
        return res.redirect(303, '/mon-espace')
      }
      if (!r.ok) codeErrors(r, errors)
    }
    codePage(res, REOPEN, j, errors)
  })
  router.post(`${REOPEN}/code/renvoyer`, async (req, res) => {
    const j = get(req, 'reopen')
    if (!j?.challengeId) return res.redirect(303, '/connexion')
    const sent = await recovery.resendCode(j.accountId, 'reopen')
    setJourney(req, 'reopen', { ...j, ...sent })
    req.session.flash = { type: 'info', text: `Un nouveau code vous a été envoyé ${sent.sentTo}.` }
    res.redirect(303, `${REOPEN}/code`)
  })

  return router
}
