import { Router, type Request } from 'express'
import type { Services } from '../../services'
import { requireOperator, signedInRoutes } from '../../middleware/auth'
import { readMultipart } from '../../middleware/multipart'
import { notFound } from '../../errors'
import { addError, checkDate, dateParts, emptyErrors, hasErrors } from '../../validation'
import { validateNir } from '../../domain/nir'
import { IMPORT_COLUMNS } from '../../domain/personRow'
import { SPACE_STATE_LABELS } from '../../domain/lifecycle'
import { OPERATOR_NOTE, type PersonOnPhone } from './phone'
import type { OppositionReceipt } from '../opposition/service'
import { formBody, type FormBody } from '../../middleware/forms'
import { setJourney } from '../../middleware/journeys'

declare module 'express-session' {
  interface Journeys {
    /** «Opposition par téléphone»: the person found, until the operator records the opposition. */
    phoneOpposition?: PersonOnPhone
    phoneReceipt?: OppositionReceipt
  }
}

const REFUSALS: Record<string, string> = {
  already_opposed: "La personne s'est déjà opposée à la création de son profil.",
  created: 'Le profil est déjà créé : la personne peut le fermer à tout moment depuis son profil ou avec un conseiller.',
  deadline_passed:
    "Le délai de 6 semaines est dépassé : l'opposition n'est plus possible. La personne peut fermer son profil une fois créé.",
  closed: 'Le profil est fermé.',
  not_notified: "La personne n'a pas encore été informée : l'opposition sera possible dès réception de son code.",
  unknown: 'Personne introuvable.',
}

const id = (req: Request) => {
  const n = Number(req.params.id)
  if (!Number.isSafeInteger(n) || n <= 0) throw notFound()
  return n
}

/**
 * The operators' back office (SPEC §12), operator accounts only. No page here shows or reads health
 * data: the tools work on the registry of insured persons, the lifecycle of spaces and letters.
 */
export function backOfficeRoutes(services: Services): Router {
  const router = Router()
  const forOperators = signedInRoutes(router, 'operator')
  const { imports, campaign, figures, letters, phoneOpposition, activity } = services
  router.use('/back-office', (req, res, next) =>
    req.path === '/connexion' || req.path.startsWith('/connexion/') || req.path === '/deconnexion'
      ? next()
      : requireOperator(req, res, next),
  )

  // Import of insured persons.
  router.get('/back-office/import', async (_req, res) => {
    res.render('back-office/import.njk', { pageTitle: 'Importer des assurés', columns: IMPORT_COLUMNS, recent: await imports.recent() })
  })

  forOperators.post('/back-office/import', async (req, res, actor) => {
    const result = await readMultipart(req, {
      onFile: async (file) => {
        // A form sent without choosing a file still has an (empty, unnamed) file part.
        if (!file.filename) {
          file.stream.resume()
          return undefined
        }
        return imports.run(file.stream, { actor, source: 'upload', filename: file.filename })
      },
    })
    if (!result.file) {
      const errors = addError(emptyErrors(), 'file', 'Choisissez un fichier CSV à importer')
      return res.status(400).render('back-office/import.njk', {
        pageTitle: 'Importer des assurés',
        columns: IMPORT_COLUMNS,
        recent: await imports.recent(),
        errors,
      })
    }
    if (result.file.status === 'failed') {
      const errors = emptyErrors()
      for (const m of result.file.fileErrors) addError(errors, 'file', m)
      if (result.tooLarge) addError(errors, 'file', 'Le fichier dépasse 512 Mo : découpez-le en plusieurs fichiers')
      return res.status(400).render('back-office/import.njk', {
        pageTitle: 'Importer des assurés',
        columns: IMPORT_COLUMNS,
        recent: await imports.recent(),
        errors,
      })
    }
    if (result.tooLarge) {
      const errors = addError(
        emptyErrors(),
        'file',
        'Le fichier dépasse 512 Mo : seules les premières lignes ont été importées ; importez le reste dans un autre fichier',
      )
      return res.status(400).render('back-office/import.njk', {
        pageTitle: 'Importer des assurés',
        columns: IMPORT_COLUMNS,
        recent: await imports.recent(),
        errors,
      })
    }
    res.redirect(303, `/back-office/import/${result.file.id}`)
  })

  router.get('/back-office/import/:id', async (req, res) => {
    const row = await imports.find(id(req))
    if (!row) throw notFound()
    res.render('back-office/import-result.njk', { pageTitle: `Import n° ${row.id}`, row })
  })

  router.get('/back-office/import/:id/rapport.csv', async (req, res) => {
    const n = id(req)
    if (!(await imports.find(n))) throw notFound()
    res.setHeader('Content-Type', 'text/csv; charset=utf-8')
    res.setHeader('Content-Disposition', `attachment; filename="import-${n}-lignes-refusees.csv"`)
    await imports.report(n, res)
  })

  // Notification campaign.
  router.get('/back-office/campagne', async (_req, res) => {
    res.render('back-office/campaign.njk', {
      pageTitle: "Campagne d'information",
      waiting: await campaign.waiting(),
      recent: await campaign.recent(),
    })
  })

  forOperators.post('/back-office/campagne', async (req, res, actor) => {
    const r = await campaign.run(actor)
    await figures.refresh()
    req.session.flash = {
      type: 'success',
      text: `Campagne terminée : ${r.persons} personne(s) informée(s), ${r.emails} courriel(s), ${r.letters} courrier(s) à imprimer.`,
    }
    res.redirect(303, '/back-office/campagne')
  })

  // Auto-creation (the daily job, run now).
  router.get('/back-office/creation-automatique', (_req, res) => {
    res.render('back-office/auto-creation.njk', { pageTitle: 'Création automatique des profils' })
  })

  forOperators.post('/back-office/creation-automatique', async (req, res, actor) => {
    const r = await campaign.autoCreate(actor)
    await figures.refresh()
    req.session.flash = {
      type: 'success',
      text: r.spaces ? `${r.spaces} profil(s) créé(s) automatiquement.` : "Aucun profil à créer aujourd'hui.",
    }
    res.redirect(303, '/back-office/creation-automatique')
  })

  // Opposition received by phone (3422).
  const PHONE = 'Enregistrer une opposition reçue par téléphone'
  const phoneValues = (b: FormBody) => ({
    nir: String(b.nir ?? '').slice(0, 40),
    lastName: String(b.lastName ?? '').slice(0, 100),
    birthDate: dateParts(b, 'birthDate'),
  })
  router.get('/back-office/opposition-telephone', (_req, res) => {
    res.render('back-office/phone-search.njk', { pageTitle: PHONE, values: {} })
  })

  forOperators.post('/back-office/opposition-telephone', async (req, res, actor) => {
    const errors = emptyErrors()
    const nir = validateNir(String(formBody(req).nir ?? ''), 'le numéro de sécurité sociale')
    if (!nir.ok) addError(errors, 'nir', nir.message)
    const d = checkDate(dateParts(formBody(req), 'birthDate'), 'la date de naissance', { notFuture: true })
    if (!d.ok) {
      addError(errors, 'birthDate', d.message, `birthDate-${d.part}`)
      Object.assign(errors.fields.birthDate, { part: d.part })
    }
    const lastName = String(formBody(req).lastName ?? '').trim()
    if (!lastName) addError(errors, 'lastName', 'Saisissez le nom de famille de la personne')
    else if (lastName.length > 100) addError(errors, 'lastName', 'Le nom de famille doit contenir 100 caractères au maximum')
    const again = () =>
      res.status(400).render('back-office/phone-search.njk', { pageTitle: PHONE, values: phoneValues(formBody(req)), errors })
    if (hasErrors(errors) || !nir.ok || !d.ok) return again()
    const person = await phoneOpposition.find(actor, { nir: nir.nir, birthDate: d.value, lastName })
    if (!person) {
      addError(
        errors,
        'nir',
        'Aucun assuré ne correspond à ce numéro de sécurité sociale, cette date de naissance et ce nom : vérifiez-les avec la personne',
      )
      return again()
    }
    setJourney(req, 'phoneOpposition', person)
    res.redirect(303, '/back-office/opposition-telephone/confirmation')
  })

  const phonePerson = (req: Request) => req.session.journeys?.phoneOpposition
  const confirmPage = (p: PersonOnPhone, errors?: unknown) => ({
    pageTitle: "Vérifier l'identité et enregistrer l'opposition",
    person: p,
    refusal: p.refusal ? REFUSALS[p.refusal] : undefined,
    states: SPACE_STATE_LABELS,
    errors,
  })

  router.get('/back-office/opposition-telephone/confirmation', (req, res) => {
    const p = phonePerson(req)
    if (!p) return res.redirect(303, '/back-office/opposition-telephone')
    res.render('back-office/phone-confirm.njk', confirmPage(p))
  })

  forOperators.post('/back-office/opposition-telephone/confirmation', async (req, res, actor) => {
    const p = phonePerson(req)
    if (!p) return res.redirect(303, '/back-office/opposition-telephone')
    const checks = [formBody(req)['checks[]'] ?? []].flat().map(String)
    const errors = emptyErrors()
    if (!checks.includes('identity'))
      addError(errors, 'checks', "Cochez la case pour confirmer que vous avez vérifié l'identité de la personne", 'checks')
    if (!checks.includes('consent'))
      addError(errors, 'checks', "Cochez la case pour confirmer que la personne demande à s'opposer", 'checks')
    if (hasErrors(errors)) return res.status(400).render('back-office/phone-confirm.njk', confirmPage(p, errors))
    const r = await phoneOpposition.oppose(actor, p.personId)
    setJourney(req, 'phoneOpposition', undefined)
    if (!r.ok) {
      return res
        .status(400)
        .render('back-office/phone-refused.njk', { pageTitle: "L'opposition n'a pas pu être enregistrée", message: REFUSALS[r.reason] })
    }
    setJourney(req, 'phoneReceipt', r.receipt)
    res.redirect(303, '/back-office/opposition-telephone/accuse-de-reception')
  })

  router.get('/back-office/opposition-telephone/accuse-de-reception', (req, res) => {
    const receipt = req.session.journeys?.phoneReceipt
    if (!receipt) return res.redirect(303, '/back-office/opposition-telephone')
    res.render('back-office/phone-receipt.njk', { pageTitle: "Accusé de réception de l'opposition", receipt, note: OPERATOR_NOTE })
  })

  // Letters for the print house.
  router.get('/back-office/courriers', async (_req, res) => {
    res.render('back-office/letters.njk', { pageTitle: 'Courriers à imprimer', ...(await letters.queue()) })
  })

  forOperators.post('/back-office/courriers/lots', async (req, res, actor) => {
    const b = await letters.createBatch(actor)
    if (!b) {
      req.session.flash = { type: 'info', text: "Aucun courrier n'attend d'être imprimé." }
      return res.redirect(303, '/back-office/courriers')
    }
    res.redirect(303, `/back-office/courriers/lots/${b.id}`)
  })

  router.get('/back-office/courriers/lots/:id', async (req, res) => {
    const batch = await letters.findBatch(id(req))
    if (!batch) throw notFound()
    res.render('back-office/letter-batch.njk', { pageTitle: `Lot de courriers n° ${batch.id}`, batch })
  })

  forOperators.get('/back-office/courriers/lots/:id/courriers.pdf', async (req, res, actor) => {
    const n = id(req)
    const batch = await letters.findBatch(n)
    if (!batch || batch.sent_at) throw notFound()
    res.setHeader('Content-Type', 'application/pdf')
    res.setHeader('Content-Disposition', `attachment; filename="lot-${n}.pdf"`)
    await letters.writePdf(actor, n, res)
  })

  forOperators.post('/back-office/courriers/lots/:id/envoye', async (req, res, actor) => {
    const n = id(req)
    const ok = await letters.markSent(actor, n)
    req.session.flash = ok
      ? { type: 'success', text: `Le lot n° ${n} est marqué comme envoyé à l'imprimeur.` }
      : { type: 'info', text: "Téléchargez d'abord le PDF du lot avant de le marquer comme envoyé." }
    res.redirect(303, `/back-office/courriers/lots/${n}`)
  })

  // Figures.
  router.get('/back-office/chiffres', async (_req, res) => {
    res.render('back-office/figures.njk', { pageTitle: 'Chiffres', ...(await figures.page()) })
  })

  router.post('/back-office/chiffres/actualiser', async (req, res) => {
    const r = await figures.refresh()
    req.session.flash = { type: 'success', text: `Chiffres mis à jour (${r.ms} ms).` }
    res.redirect(303, '/back-office/chiffres')
  })

  // «Vérifier le journal d'activité».
  router.get('/back-office/journal', async (_req, res) => {
    res.render('back-office/audit.njk', { pageTitle: "Vérifier le journal d'activité", last: await activity.lastVerification() })
  })

  router.post('/back-office/journal/verifier', async (req, res) => {
    const r = await activity.verify()
    req.session.flash = r.ok
      ? { type: 'success', text: 'Le journal est intact.' }
      : { type: 'info', text: 'Le journal présente une rupture : voir le détail ci-dessous.' }
    res.redirect(303, '/back-office/journal')
  })

  return router
}
