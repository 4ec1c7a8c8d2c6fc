import { Router, type Request } from 'express'
import { requirePatient, signedInRoutes } from '../../middleware/auth'
import type { Services } from '../../services'
import type { Actor } from '../../domain/actor'
import { addError, emptyErrors, hasErrors } from '../../validation'
import { isServiceCategory } from './data'
import { isReportReason, REPORT_MAX, REPORT_REASONS } from './service'
import { formBody } from '../../middleware/forms'

const one = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '')

/**
 * «Catalogue de services» (SPEC §10): list with search and filter (a GET form), a page per
 * service, «Connecter ce service» (a consent per request, nothing pre-ticked), «Ce service demande
 * de nouvelles autorisations», «Désynchroniser» (confirmation), «Signaler un problème»; and the
 * operators' list of reports.
 */
export function catalogueRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const forOperators = signedInRoutes(router, 'operator')
  const { catalogue } = services
  router.use('/catalogue', requirePatient)

  forPatients.get('/catalogue', async (req, res, actor) => {
    const q = one(req.query.q).trim().slice(0, 100)
    const rawCategory = one(req.query.categorie)
    const category = isServiceCategory(rawCategory) ? rawCategory : ''
    const { services: list, connected } = await catalogue.list(actor, { q: q || undefined, category: category || undefined })
    res.render('catalogue/list.njk', {
      pageTitle: 'Catalogue de services',
      list,
      connected,
      q,
      category,
      categories: catalogue.categories,
      filtered: Boolean(q || category),
    })
  })

  forPatients.get('/catalogue/:slug', async (req, res, actor) => {
    const service = await catalogue.page(actor, req.params.slug)
    res.render('catalogue/service.njk', { pageTitle: service.name, service })
  })

  /**
   * The consent form. `errors` and `ticked`: a form sent back (status 400); `appSilent`: the service's
   * application did not answer, so the form says why it is shown instead.
   */
  const renderConsent = async (
    req: Request,
    res: import('express').Response,
    actor: Actor,
    { errors, ticked = [], appSilent = false }: { errors?: ReturnType<typeof emptyErrors>; ticked?: string[]; appSilent?: boolean } = {},
  ) => {
    const service = await catalogue.page(actor, String(req.params.slug))
    const reconsent = Boolean(service.connection?.state.needsReconsent)
    const title = reconsent
      ? 'Ce service demande de nouvelles autorisations'
      : service.connection
        ? `Modifier les autorisations de ${service.name}`
        : `Connecter ${service.name}`
    // Nothing pre-ticked for a new request; what was granted before and is still asked stays ticked on a change.
    const checked = new Set(errors ? ticked : (service.connection?.state.effective ?? []))
    res
      .status(errors ? 400 : 200)
      .render('catalogue/connect.njk', { pageTitle: title, service, reconsent, checked: [...checked], errors, appSilent })
  }

  // «Connecter ce service»: the service's application (it then asks for the consent through the
  // authorisation server, on the same consent page: one box per category, none ticked), or the form
  // (catalogue.connectStart decides).
  forPatients.get('/catalogue/:slug/connecter', async (req, res, actor) => {
    const next = await catalogue.connectStart(actor, String(req.params.slug))
    if ('redirect' in next) return res.redirect(303, next.redirect)
    return renderConsent(req, res, actor, next)
  })
  forPatients.post('/catalogue/:slug/connecter', async (req, res, actor) => {
    const ticked = [formBody(req)['autorisations[]'] ?? []].flat().map(String)
    const r = await catalogue.connect(actor, req.params.slug, ticked)
    if (!r.ok) return renderConsent(req, res, actor, { errors: addError(emptyErrors(), 'autorisations', r.message), ticked })
    req.session.flash = {
      type: 'success',
      text: r.kind === 'connected' ? 'Le service est connecté à votre profil.' : 'Vos autorisations sont enregistrées.',
    }
    res.redirect(303, `/catalogue/${req.params.slug}`)
  })

  forPatients.get('/catalogue/:slug/desynchroniser', async (req, res, actor) => {
    const service = await catalogue.page(actor, req.params.slug)
    if (!service.connection) return res.redirect(303, `/catalogue/${req.params.slug}`)
    res.render('catalogue/disconnect.njk', { pageTitle: `Désynchroniser ${service.name}`, service })
  })
  forPatients.post('/catalogue/:slug/desynchroniser', async (req, res, actor) => {
    if (formBody(req).confirm !== 'oui') {
      const service = await catalogue.page(actor, req.params.slug)
      if (!service.connection) return res.redirect(303, `/catalogue/${req.params.slug}`)
      const errors = addError(
        emptyErrors(),
        'confirm',
        'Choisissez « Oui » pour désynchroniser ce service, ou « Non » pour le garder',
        'confirm',
      )
      return res.status(400).render('catalogue/disconnect.njk', { pageTitle: `Désynchroniser ${service.name}`, service, errors })
    }
    const done = await catalogue.disconnect(actor, req.params.slug)
    if (done) req.session.flash = { type: 'success', text: "Le service est désynchronisé : il n'a plus accès à votre profil." }
    res.redirect(303, `/catalogue/${req.params.slug}`)
  })

  forPatients.get('/catalogue/:slug/signaler', async (req, res, actor) => {
    const service = await catalogue.page(actor, req.params.slug)
    res.render('catalogue/report.njk', {
      pageTitle: `Signaler un problème avec ${service.name}`,
      service,
      reasons: REPORT_REASONS,
      max: REPORT_MAX,
      values: {},
    })
  })
  forPatients.post('/catalogue/:slug/signaler', async (req, res, actor) => {
    const service = await catalogue.page(actor, req.params.slug)
    const reason = one(formBody(req).reason)
    const message = one(formBody(req).message).trim()
    const errors = emptyErrors()
    if (!isReportReason(reason)) addError(errors, 'reason', 'Choisissez le type de problème', 'reason')
    if (!message) addError(errors, 'message', 'Décrivez le problème')
    else if (message.length > REPORT_MAX)
      addError(errors, 'message', `La description doit contenir ${REPORT_MAX} caractères au maximum (vous en avez saisi ${message.length})`)
    // (an unknown reason is already among the errors: the test only tells TypeScript)
    if (hasErrors(errors) || !isReportReason(reason)) {
      return res.status(400).render('catalogue/report.njk', {
        pageTitle: `Signaler un problème avec ${service.name}`,
        service,
        reasons: REPORT_REASONS,
        max: REPORT_MAX,
        values: { reason, message: one(formBody(req).message) },
        errors,
      })
    }
    await catalogue.report(actor, req.params.slug, { reason, message })
    req.session.flash = { type: 'success', text: "Votre signalement est transmis à l'Assurance Maladie. Merci." }
    res.redirect(303, `/catalogue/${req.params.slug}`)
  })

  forOperators.get('/back-office/signalements', async (_req, res, actor) => {
    const reports = await catalogue.reports(actor)
    res.render('catalogue/reports.njk', { pageTitle: 'Signalements sur les services connectés', reports })
  })

  return router
}
