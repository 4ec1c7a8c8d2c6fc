import { Router, type Request } from 'express'
import type { AccountKind } from '../../domain/actor'
import { normaliseOtp } from '../../domain/otp'
import { validateRpps } from '../../domain/rpps'
import { addError, emptyErrors, hasErrors } from '../../validation'
import type { Services } from '../../services'
import { SIGN_IN_URL } from '../../middleware/auth'
import { ACCOUNT_LINKS } from '../../navigation'
import { noStore } from '../../middleware/security'
import { endSession } from './sessionHelpers'
import { formBody } from '../../middleware/forms'
import { setJourney } from '../../middleware/journeys'
import { isOwnPath } from '../../middleware/savedForms'

interface SignInJourney {
  kind: AccountKind
  login: string
  accountId: string
  challengeId: string
  sentTo: string
}

declare module 'express-session' {
  interface Journeys {
    /** Signing in: the password was right, the code is awaited. */
    signin?: SignInJourney
  }
}

const PAGES: Record<AccountKind, { title: string; loginLabel: string; loginHint?: string; loginAutocomplete: string; intro: string }> = {
  patient: {
    title: 'Me connecter',
    loginLabel: 'Identifiant',
    loginAutocomplete: 'username',
    intro: "Saisissez l'identifiant et le mot de passe choisis lors de l'activation de votre profil.",
  },
  professional: {
    title: 'Connexion des professionnels de santé',
    loginLabel: 'Numéro RPPS',
    loginHint: '11 chiffres, inscrits sur votre carte CPS',
    loginAutocomplete: 'username',
    intro: 'Connectez-vous avec votre numéro RPPS et votre mot de passe. Un code vous sera envoyé.',
  },
  agent: {
    title: 'Connexion des conseillers France Services',
    loginLabel: 'Identifiant de conseiller',
    loginAutocomplete: 'username',
    intro: 'Cet espace est réservé aux conseillers des espaces France Services.',
  },
  operator: {
    title: "Connexion des agents de l'Assurance Maladie",
    loginLabel: "Identifiant d'agent",
    loginAutocomplete: 'username',
    intro: "Cet espace est réservé aux agents des caisses d'Assurance Maladie.",
  },
}

const clientAddress = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'inconnue'

/**
 * Sign-in for one kind of account: identifiant + password → one-time code → signed in, with a new
 * session id. Mounted once per kind (patients at /connexion, professionals at /pro/connexion...).
 */
export function signInRoutes(services: Services, kind: AccountKind): Router {
  const router = Router()
  const base = SIGN_IN_URL[kind]
  const page = PAGES[kind]
  const codeUrl = `${base}/code`
  const assisted = (req: Request) => Boolean(req.session.assisted)
  // Sign-in pages (and the recovery pages under them) are never kept by a browser or a proxy.
  router.use(base, noStore)

  router.get(base, (req, res) => {
    if (req.actor?.kind === kind) return res.redirect(303, ACCOUNT_LINKS[kind].home)
    res.render('account/signin.njk', {
      pageTitle: page.title,
      page,
      kind,
      action: base,
      values: {},
      assisted: req.session.assisted,
      signedOut: req.query.deconnecte === '1',
    })
  })

  router.post(base, async (req, res) => {
    const login = String(formBody(req).login ?? '').trim()
    const password = String(formBody(req).password ?? '')
    const errors = emptyErrors()
    if (!login) addError(errors, 'login', kind === 'professional' ? 'Saisissez votre numéro RPPS' : 'Saisissez votre identifiant')
    else if (kind === 'professional') {
      const r = validateRpps(login)
      if (!r.ok) addError(errors, 'login', r.message)
    }
    if (!password) addError(errors, 'password', 'Saisissez votre mot de passe')
    if (!hasErrors(errors)) {
      const result = await services.signIn.start(
        kind,
        kind === 'professional' ? login.replace(/\s/g, '') : login,
        password,
        clientAddress(req),
      )
      if (result.ok) {
        setJourney(req, 'signin', { kind, login, accountId: result.accountId, challengeId: result.challengeId, sentTo: result.sentTo })
        return res.redirect(303, codeUrl)
      }
      if (result.reason === 'closed') {
        // The right password for a closed space: offer to reopen it (with the second factor).
        setJourney(req, 'reopen', { accountId: result.accountId })
        return res.redirect(303, `${base}/rouvrir`)
      } else {
        addError(
          errors,
          'login',
          kind === 'professional' ? 'Le numéro RPPS ou le mot de passe est incorrect' : "L'identifiant ou le mot de passe est incorrect",
        )
      }
    }
    res
      .status(400)
      .render('account/signin.njk', { pageTitle: page.title, page, kind, action: base, values: { login }, errors, assisted: assisted(req) })
  })

  const journey = (req: Request) => req.session.journeys?.signin

  router.get(codeUrl, (req, res) => {
    const j = journey(req)
    if (!j || j.kind !== kind) return res.redirect(303, base)
    res.render('account/signin-code.njk', {
      pageTitle: 'Saisir le code reçu',
      sentTo: j.sentTo,
      action: codeUrl,
      resendAction: `${codeUrl}/renvoyer`,
      base,
    })
  })

  router.post(codeUrl, async (req, res) => {
    const j = journey(req)
    if (!j || j.kind !== kind) return res.redirect(303, base)
    const code = normaliseOtp(String(formBody(req).code ?? ''))
    const errors = emptyErrors()
    if (!code) addError(errors, 'code', 'Saisissez le code à 6 chiffres reçu')
    else if (!/^\d{6}$/.test(code)) addError(errors, 'code', 'Le code contient 6 chiffres')
    if (!hasErrors(errors)) {
      const result = await services.signIn.verify(j.challengeId, code, { userAgent: req.get('user-agent'), address: clientAddress(req) })
      if (result.ok) {
        await services.signIn.clearLimits(kind, j.login, clientAddress(req))
        // The page asked for before signing in, when it was this kind of account's (and a path of this site).
        const asked = req.session.journeys?.returnTo
        const returnTo = asked?.kind === kind && isOwnPath(asked.url) ? asked.url : undefined
        const assistedSession = req.session.assisted
        // A form sent after the idle limit (src/middleware/savedForms.ts): back to it, for the same account only
        // (anyone else signing in on this computer never sees it: it is dropped).
        const saved = req.session.savedForm
        const keptForm =
          saved && saved.accountId === result.accountId && saved.kind === kind && Date.now() <= saved.until ? saved : undefined
        // A new session id at sign-in: whatever an attacker knew of the old one is worthless.
        await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())))
        req.session.auth = { accountId: result.accountId, kind: result.kind, signedInAt: Date.now() }
        if (keptForm) {
          req.session.savedForm = keptForm
          // The profile the form was about (a child's...): checked again by the policy on every request.
          if (keptForm.actingPersonId) req.session.auth.actingPersonId = keptForm.actingPersonId
        }
        req.session.lastSeenAt = Date.now()
        // Only a citizen's sign-in continues an assisted session; an agent signing in again ends it.
        if (assistedSession && kind === 'patient') {
          req.session.assisted = assistedSession
          req.session.idleLimitMs = 5 * 60 * 1000
        }
        await services.signIn.registerSession(result.accountId, req.sessionID, {
          userAgent: req.get('user-agent'),
          address: clientAddress(req),
        })
        const home = ACCOUNT_LINKS[kind].home
        if (keptForm) return res.redirect(303, keptForm.pagePath)
        return res.redirect(303, returnTo ?? home)
      }
      if (result.reason === 'wrong') {
        addError(errors, 'code', `Le code est incorrect. Il vous reste ${result.attemptsLeft} essai${result.attemptsLeft > 1 ? 's' : ''}.`)
      } else if (result.reason === 'exhausted') {
        addError(errors, 'code', 'Vous avez fait 5 essais incorrects : ce code ne fonctionne plus. Demandez un nouveau code.')
      } else {
        addError(errors, 'code', 'Ce code a expiré ou a déjà servi. Demandez un nouveau code.')
      }
    }
    res.status(400).render('account/signin-code.njk', {
      pageTitle: 'Saisir le code reçu',
      sentTo: j.sentTo,
      action: codeUrl,
      resendAction: `${codeUrl}/renvoyer`,
      base,
      errors,
    })
  })

  router.post(`${codeUrl}/renvoyer`, async (req, res) => {
    const j = journey(req)
    if (!j || j.kind !== kind) return res.redirect(303, base)
    const sent = await services.signIn.resend(j.accountId)
    setJourney(req, 'signin', { ...j, challengeId: sent.challengeId, sentTo: sent.sentTo })
    req.session.flash = { type: 'info', text: `Un nouveau code vous a été envoyé ${sent.sentTo}.` }
    res.redirect(303, codeUrl)
  })

  router.post(ACCOUNT_LINKS[kind].signOut, async (req, res) => {
    if (req.actor) await services.signIn.signOut(req.actor)
    await endSession(req, res)
    res.redirect(303, `${base}?deconnecte=1`)
  })

  return router
}
