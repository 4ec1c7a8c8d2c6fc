import { Router, type Request, type Response } from 'express'
import { formatCode } from '../../domain/provisionalCode'
import { normaliseOtp } from '../../domain/otp'
import type { Services } from '../../services'
import { addError, emptyErrors, type FormErrors } from '../../validation'
import { clientAddress, startSignedInSession } from '../account/sessionHelpers'
import { MISMATCH_MESSAGE } from '../spaces/holder'
import { checkEmail, checkMobile, identityValues, readCode, readNirAndBirthDate } from '../spaces/forms'
import type { ActivationJourney } from './service'
import { counterIdentity } from '../france-services/assisted'
import { formBody } from '../../middleware/forms'
import { setJourney } from '../../middleware/journeys'

const BASE = '/activer-mon-profil'
const TITLE = 'Activer mon profil'
const STEP_TITLES: Record<string, string> = {
  identity: 'Votre identité',
  credentials: 'Choisir votre identifiant et votre mot de passe',
  contact: 'Vos coordonnées',
  verify: 'Vérifier votre adresse électronique',
  terms: 'Vérifier et activer',
}

declare module 'express-session' {
  interface Journeys {
    /** «Activer mon profil»: the provisional code checked on the first page, then the answers of each step. */
    activationCode?: { code: string }
    activation?: ActivationJourney
  }
}

/**
 * «Activer mon profil», one page per question (works without JavaScript): the journey's data live
 * in the session under `journeys.activation` (ids and a password hash, never the password).
 */
export function activationRoutes(services: Services): Router {
  const router = Router()
  const { activation } = services

  const journey = (req: Request) => req.session.journeys?.activation
  const step1 = (req: Request) => req.session.journeys?.activationCode
  // Each step has its own title (the h1, then the journey), so a screen reader user knows where they are.
  const render = (res: Response, view: string, locals: Record<string, unknown>, status = 200) =>
    res
      .status(status)
      .render(`activation/${view}.njk`, { pageTitle: STEP_TITLES[view] ? `${STEP_TITLES[view]} – ${TITLE}` : TITLE, ...locals })

  router.get('/conditions-generales-d-utilisation', (_req, res) => {
    res.render('activation/cgu.njk', { pageTitle: "Conditions générales d'utilisation" })
  })

  // 1. The provisional code
  router.get(BASE, (req, res) => {
    render(res, 'code', { values: { code: step1(req) ? formatCode(step1(req)!.code) : '' } })
  })
  router.post(BASE, (req, res) => {
    const errors = emptyErrors()
    const code = readCode(formBody(req), errors)
    if (!code) return render(res, 'code', { values: identityValues(formBody(req), true), errors }, 400)
    setJourney(req, 'activationCode', { code })
    setJourney(req, 'activation', undefined)
    res.redirect(303, `${BASE}/identite`)
  })

  // 2. NIR and date of birth: the three together identify the person
  router.get(`${BASE}/identite`, async (req, res) => {
    const s = step1(req)
    if (!s) return res.redirect(303, BASE)
    render(res, 'identity', { code: formatCode(s.code), values: await counterIdentity(req, services) })
  })
  router.post(`${BASE}/identite`, async (req, res) => {
    const s = step1(req)
    if (!s) return res.redirect(303, BASE)
    const errors = emptyErrors()
    const { nir, birthDate } = readNirAndBirthDate(formBody(req), errors)
    const again = (e: FormErrors) =>
      render(res, 'identity', { code: formatCode(s.code), values: identityValues(formBody(req)), errors: e }, 400)
    if (!nir || !birthDate) return again(errors)
    const r = await activation.identify({ code: s.code, nir, birthDate }, clientAddress(req))
    if (r.kind === 'mismatch') return again(addError(errors, 'nir', MISMATCH_MESSAGE))
    if (r.kind === 'refused') return render(res, 'refused', { reason: r.reason }, 400)
    if (r.kind !== 'ok') return render(res, 'code-invalid', { reason: r.kind }, 400)
    setJourney(req, 'activationCode', undefined)
    setJourney(req, 'activation', {
      personId: r.personId,
      codeId: r.codeId,
      firstNames: r.firstNames,
      lastName: r.lastName,
      emailOnFile: r.email,
    } satisfies ActivationJourney)
    res.redirect(303, `${BASE}/identifiant`)
  })

  // 3. Identifiant and password
  router.get(`${BASE}/identifiant`, (req, res) => {
    const j = journey(req)
    if (!j) return res.redirect(303, BASE)
    render(res, 'credentials', { values: { identifiant: j.identifiant ?? '' } })
  })
  router.post(`${BASE}/identifiant`, async (req, res) => {
    const j = journey(req)
    if (!j) return res.redirect(303, BASE)
    const input = {
      identifiant: String(formBody(req).identifiant ?? '').trim(),
      password: String(formBody(req).password ?? ''),
      confirmation: String(formBody(req).confirmation ?? ''),
    }
    const r = await activation.checkCredentials(j.personId, input)
    if (!r.ok) {
      const errors = emptyErrors()
      for (const e of r.errors) addError(errors, e.field, e.message)
      return render(res, 'credentials', { values: { identifiant: input.identifiant }, errors }, 400)
    }
    setJourney(req, 'activation', { ...j, identifiant: r.identifiant, passwordHash: r.passwordHash, emailVerified: false })
    res.redirect(303, `${BASE}/coordonnees`)
  })

  // 4. Contact e-mail (verified by a code) and optional mobile
  router.get(`${BASE}/coordonnees`, (req, res) => {
    const j = journey(req)
    if (!j?.passwordHash) return res.redirect(303, BASE)
    render(res, 'contact', { values: { email: j.email ?? j.emailOnFile ?? '', mobile: j.mobile ?? '' } })
  })
  router.post(`${BASE}/coordonnees`, async (req, res) => {
    const j = journey(req)
    if (!j?.passwordHash) return res.redirect(303, BASE)
    const errors = emptyErrors()
    const email = checkEmail(String(formBody(req).email ?? ''))
    if (!email.ok) addError(errors, 'email', email.message)
    const mobile = checkMobile(String(formBody(req).mobile ?? ''))
    if (!mobile.ok) addError(errors, 'mobile', mobile.message)
    if (!email.ok || !mobile.ok)
      return render(res, 'contact', { values: { email: formBody(req).email, mobile: formBody(req).mobile }, errors }, 400)
    const verificationId = await activation.sendEmailCode(j.personId, email.email)
    setJourney(req, 'activation', { ...j, email: email.email, mobile: mobile.mobile ?? undefined, verificationId, emailVerified: false })
    res.redirect(303, `${BASE}/verification`)
  })

  // 5. The 6-digit code sent to the e-mail address
  router.get(`${BASE}/verification`, (req, res) => {
    const j = journey(req)
    if (!j?.verificationId) return res.redirect(303, BASE)
    render(res, 'verify', { email: j.email })
  })
  router.post(`${BASE}/verification`, async (req, res) => {
    const j = journey(req)
    if (!j?.verificationId) return res.redirect(303, BASE)
    const errors = emptyErrors()
    const code = normaliseOtp(String(formBody(req).code ?? ''))
    if (!code) addError(errors, 'code', 'Saisissez le code à 6 chiffres reçu par courriel')
    else if (!/^\d{6}$/.test(code)) addError(errors, 'code', 'Le code contient 6 chiffres')
    else {
      const r = await activation.verifyEmailCode(j.verificationId, j.personId, code)
      if (r.ok) {
        setJourney(req, 'activation', { ...j, emailVerified: true })
        return res.redirect(303, `${BASE}/conditions`)
      }
      if (r.reason === 'wrong')
        addError(errors, 'code', `Le code est incorrect. Il vous reste ${r.attemptsLeft} essai${r.attemptsLeft > 1 ? 's' : ''}.`)
      else if (r.reason === 'exhausted')
        addError(errors, 'code', 'Vous avez fait 5 essais incorrects : ce code ne fonctionne plus. Demandez un nouveau code.')
      else addError(errors, 'code', 'Ce code a expiré ou a déjà servi. Demandez un nouveau code.')
    }
    render(res, 'verify', { email: j.email, errors }, 400)
  })
  router.post(`${BASE}/verification/renvoyer`, async (req, res) => {
    const j = journey(req)
    if (!j?.email) return res.redirect(303, BASE)
    const verificationId = await activation.sendEmailCode(j.personId, j.email)
    setJourney(req, 'activation', { ...j, verificationId, emailVerified: false })
    req.session.flash = { type: 'info', text: `Un nouveau code a été envoyé à ${j.email}.` }
    res.redirect(303, `${BASE}/verification`)
  })

  // 6. Terms, then the space is activated and the person signed in
  router.get(`${BASE}/conditions`, (req, res) => {
    const j = journey(req)
    if (!j?.emailVerified) return res.redirect(303, BASE)
    render(res, 'terms', { journey: j })
  })
  router.post(`${BASE}/conditions`, async (req, res) => {
    const j = journey(req)
    if (!j?.emailVerified) return res.redirect(303, BASE)
    if (formBody(req).terms !== 'accepted') {
      return render(
        res,
        'terms',
        { journey: j, errors: addError(emptyErrors(), 'terms', "Cochez la case pour accepter les conditions générales d'utilisation") },
        400,
      )
    }
    const r = await activation.activate(j, { userAgent: req.get('user-agent'), assistedBy: req.session.assisted })
    if (!r.ok) {
      if (r.reason === 'identifiant_taken') {
        setJourney(req, 'activation', { ...j, passwordHash: undefined, emailVerified: false, identifiant: undefined })
        req.session.flash = { type: 'info', text: "Cet identifiant vient d'être choisi par quelqu'un d'autre : choisissez-en un autre." }
        return res.redirect(303, `${BASE}/identifiant`)
      }
      setJourney(req, 'activation', undefined)
      if (r.reason === 'code_gone') return render(res, 'code-invalid', { reason: 'code_expired' }, 400)
      if (r.reason === 'email_unverified') return res.redirect(303, `${BASE}/coordonnees`)
      return render(res, 'refused', { reason: 'already_activated' }, 400)
    }
    await startSignedInSession(req, services, r.accountId, 'patient', {
      flash: { type: 'success', text: 'Votre profil est activé. Bienvenue dans Mon espace santé.' },
    })
    // A young adult whose parents managed the profile until their 18th birthday: what changed (issue 19 §4).
    res.redirect(303, (await services.majority.grewUp(j.personId)) ? '/mon-espace/majorite' : '/mon-espace')
  })

  // «Recevoir un nouveau code»: the same answer whatever happened (unknown person, 30 seconds, success).
  router.get('/nouveau-code', async (req, res) => {
    res.render('activation/new-code.njk', { pageTitle: 'Recevoir un nouveau code', values: await counterIdentity(req, services) })
  })
  router.post('/nouveau-code', async (req, res) => {
    const errors = emptyErrors()
    const { nir, birthDate } = readNirAndBirthDate(formBody(req), errors)
    if (!nir || !birthDate)
      return res
        .status(400)
        .render('activation/new-code.njk', { pageTitle: 'Recevoir un nouveau code', values: identityValues(formBody(req)), errors })
    await activation.requestNewCode(nir, birthDate, clientAddress(req))
    res.redirect(303, '/nouveau-code/demande-enregistree')
  })
  router.get('/nouveau-code/demande-enregistree', (_req, res) => {
    res.render('activation/new-code-sent.njk', { pageTitle: 'Demande enregistrée' })
  })

  return router
}
