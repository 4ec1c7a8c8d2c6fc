import { Router, type Request, type Response } from 'express'
import type { Actor } from '../../domain/actor'
import { requirePatient, signedInRoutes } from '../../middleware/auth'
import type { Services } from '../../services'
import { checkMeasureValue, isMeasureType, MEASURE_BY_TYPE } from '../../domain/measures'
import {
  BLOOD_GROUPS,
  LIST_SECTION_BY_SLUG,
  ORGAN_DONATION_LABELS,
  type ListSectionDefinition,
  type OrganDonation,
} from '../../domain/profileSections'
import type { Answers, QuestionnaireSection } from '../../domain/questionnaires/types'
import { addError, checkDate, compactSummary, dateParts, emptyErrors, hasErrors, type FormErrors } from '../../validation'
import type { EntryInput, ContactInput } from './repository'
import { measureChart } from './chart'
import { formBody } from '../../middleware/forms'

export const BASE = '/profil-medical'

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '')
const isOrganDonation = (v: string): v is OrganDonation => Object.prototype.hasOwnProperty.call(ORGAN_DONATION_LABELS, v)

/** An optional date in three boxes: all empty → null; otherwise it must be a real date. */
function optionalDate(
  body: Record<string, unknown>,
  name: string,
  label: string,
  errors: FormErrors,
  opts: { notFuture?: boolean } = {},
): string | null {
  const parts = dateParts(body, name)
  if (!parts.day && !parts.month && !parts.year) return null
  const c = checkDate(parts, label, opts)
  if (!c.ok) {
    addError(errors, name, c.message, `${name}-${c.part}`)
    return null
  }
  return c.value
}

const dateValues = (body: Record<string, unknown>, name: string) => dateParts(body, name)
const isoToParts = (iso: string | null) => {
  if (!iso) return {}
  const [y, m, d] = iso.split('-')
  return { day: String(Number(d)), month: String(Number(m)), year: y }
}

function readEntry(def: ListSectionDefinition, body: Record<string, unknown>): { input: EntryInput; errors: FormErrors } {
  const errors = emptyErrors()
  const label = str(body.label)
  const detail = str(body.detail)
  if (!label) addError(errors, 'label', def.label.required)
  else if (label.length > 200) addError(errors, 'label', 'Ce champ doit contenir 200 caractères au maximum')
  if (detail.length > 1000) addError(errors, 'detail', 'Ce champ doit contenir 1 000 caractères au maximum')
  const start = optionalDate(body, 'start', 'la date', errors, { notFuture: true })
  const end = def.end ? optionalDate(body, 'end', 'la date de fin', errors) : null
  if (start && end && end < start) addError(errors, 'end', 'La date de fin doit être la même que la date de début ou après', 'end-day')
  return { input: { label, detail: detail || null, start_date: start, end_date: end }, errors }
}

function readContact(body: Record<string, unknown>): { input: ContactInput; errors: FormErrors } {
  const errors = emptyErrors()
  const name = str(body.name)
  const relationship = str(body.relationship)
  const phone = str(body.phone).replace(/[\s.-]/g, '')
  const email = str(body.email)
  if (!name) addError(errors, 'name', 'Saisissez le nom et le prénom')
  else if (name.length > 150) addError(errors, 'name', 'Le nom doit contenir 150 caractères au maximum')
  if (relationship.length > 100) addError(errors, 'relationship', 'Le lien doit contenir 100 caractères au maximum')
  if (!phone && !email) addError(errors, 'phone', 'Saisissez un numéro de téléphone ou une adresse électronique')
  else if (phone && !/^(\+33|0)[1-9]\d{8}$/.test(phone))
    addError(errors, 'phone', 'Saisissez un numéro de téléphone français, par exemple 06 12 34 56 78')
  if (email && (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)))
    addError(errors, 'email', 'Saisissez une adresse électronique valide, par exemple nom@exemple.fr')
  return { input: { name, relationship: relationship || null, phone: phone || null, email: email || null }, errors }
}

/** The values of a questionnaire form as typed (radios and text areas). */
const formAnswers = (sections: QuestionnaireSection[], body: Record<string, unknown>): Answers =>
  Object.fromEntries(sections.flatMap((s) => s.questions.map((q) => [q.id, str(body[q.id])])))

/**
 * «Profil médical» (SPEC §7): the profile home, each section with add / edit / delete, measures
 * with their chart, the questionnaires, directives anticipées and the synthesis. The holder, or a
 * legal representative on a child's profile; the service decides.
 */
export function profileRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const { profile } = services
  router.use(BASE, requirePatient)

  const flash = (req: Request, text: string) => {
    req.session.flash = { type: 'success', text }
  }

  forPatients.get(BASE, async (_req, res, actor) => {
    const home = await profile.home(actor)
    res.render('profile/home.njk', { pageTitle: 'Profil médical', ...home, filesDocuments: profile.filesDocuments })
  })

  // ——— Groupe sanguin
  forPatients.get(`${BASE}/groupe-sanguin`, async (_req, res, actor) => {
    const { facts, subject } = await profile.facts(actor, 'blood_group')
    res.render('profile/blood-group.njk', { pageTitle: 'Groupe sanguin', subject, groups: BLOOD_GROUPS, value: facts?.blood_group ?? '' })
  })
  forPatients.post(`${BASE}/groupe-sanguin`, async (req, res, actor) => {
    const v = str(formBody(req).bloodGroup)
    if (v !== 'inconnu' && !BLOOD_GROUPS.some((g) => g === v)) {
      const { subject } = await profile.facts(actor, 'blood_group')
      const errors = addError(emptyErrors(), 'bloodGroup', 'Choisissez votre groupe sanguin, ou « Je ne le connais pas »')
      return res
        .status(400)
        .render('profile/blood-group.njk', { pageTitle: 'Groupe sanguin', subject, groups: BLOOD_GROUPS, value: '', errors })
    }
    await profile.setBloodGroup(actor, v === 'inconnu' ? null : v)
    flash(req, 'Le groupe sanguin est enregistré.')
    res.redirect(303, BASE)
  })

  // ——— Don d'organes
  forPatients.get(`${BASE}/don-d-organes`, async (_req, res, actor) => {
    const { facts, subject } = await profile.facts(actor, 'organ_donation')
    res.render('profile/organ-donation.njk', {
      pageTitle: "Don d'organes",
      subject,
      labels: ORGAN_DONATION_LABELS,
      values: { position: facts?.organ_donation ?? '', note: facts?.organ_donation_note ?? '' },
      recordedAt: facts?.organ_donation_at,
    })
  })
  forPatients.post(`${BASE}/don-d-organes`, async (req, res, actor) => {
    const position = str(formBody(req).position)
    const note = str(formBody(req).note)
    const errors = emptyErrors()
    if (!isOrganDonation(position)) addError(errors, 'position', 'Choisissez votre position sur le don d’organes')
    if (note.length > 1000) addError(errors, 'note', 'Ce champ doit contenir 1 000 caractères au maximum')
    // (an unknown position is already among the errors: the test only tells TypeScript)
    if (hasErrors(errors) || !isOrganDonation(position)) {
      const { subject } = await profile.facts(actor, 'organ_donation')
      return res.status(400).render('profile/organ-donation.njk', {
        pageTitle: "Don d'organes",
        subject,
        labels: ORGAN_DONATION_LABELS,
        values: { position, note },
        errors,
      })
    }
    await profile.setOrganDonation(actor, position, note || null)
    flash(req, 'Votre position sur le don d’organes est enregistrée.')
    res.redirect(303, BASE)
  })

  // ——— Entourage et volontés
  forPatients.get(`${BASE}/entourage`, async (_req, res, actor) => {
    const r = await profile.contacts(actor)
    res.render('profile/contacts.njk', { pageTitle: 'Entourage et volontés', ...r })
  })
  const ROLES: Record<string, { role: 'trusted' | 'emergency'; title: string }> = {
    'personne-de-confiance': { role: 'trusted', title: 'Désigner ma personne de confiance' },
    'contact-urgence': { role: 'emergency', title: 'Ajouter un contact en cas d’urgence' },
  }
  forPatients.get(`${BASE}/entourage/:role/ajouter`, async (req, res, actor, next) => {
    const r = ROLES[req.params.role]
    if (!r) return next()
    const { subject } = await profile.contacts(actor)
    res.render('profile/contact-form.njk', { pageTitle: r.title, subject, role: r.role, action: req.originalUrl, values: {} })
  })
  forPatients.post(`${BASE}/entourage/:role/ajouter`, async (req, res, actor, next) => {
    const r = ROLES[req.params.role]
    if (!r) return next()
    const { input, errors } = readContact(formBody(req))
    const again = async (e: FormErrors) => {
      const { subject } = await profile.contacts(actor)
      res.status(400).render('profile/contact-form.njk', {
        pageTitle: r.title,
        subject,
        role: r.role,
        action: req.originalUrl,
        values: formBody(req),
        errors: e,
      })
    }
    if (hasErrors(errors)) return again(errors)
    const out = await profile.addContact(actor, r.role, input)
    if (!out.ok) {
      return again(
        addError(
          emptyErrors(),
          'name',
          out.reason === 'full'
            ? 'Vous avez déjà 3 contacts en cas d’urgence : supprimez-en un pour en ajouter un autre'
            : 'Une personne de confiance est déjà désignée : modifiez-la ou supprimez-la',
        ),
      )
    }
    flash(req, r.role === 'trusted' ? 'Votre personne de confiance est enregistrée.' : 'Le contact en cas d’urgence est ajouté.')
    res.redirect(303, `${BASE}/entourage`)
  })
  forPatients.get(`${BASE}/entourage/:id/modifier`, async (req, res, actor) => {
    const { contact, subject } = await profile.contact(actor, req.params.id)
    res.render('profile/contact-form.njk', {
      pageTitle: contact.role === 'trusted' ? 'Modifier ma personne de confiance' : 'Modifier un contact en cas d’urgence',
      subject,
      role: contact.role,
      action: req.originalUrl,
      values: contact,
    })
  })
  forPatients.post(`${BASE}/entourage/:id/modifier`, async (req, res, actor) => {
    const { contact, subject } = await profile.contact(actor, req.params.id)
    const { input, errors } = readContact(formBody(req))
    if (hasErrors(errors)) {
      return res.status(400).render('profile/contact-form.njk', {
        pageTitle: contact.role === 'trusted' ? 'Modifier ma personne de confiance' : 'Modifier un contact en cas d’urgence',
        subject,
        role: contact.role,
        action: req.originalUrl,
        values: formBody(req),
        errors,
      })
    }
    await profile.updateContact(actor, req.params.id, input)
    flash(req, 'Les coordonnées sont modifiées.')
    res.redirect(303, `${BASE}/entourage`)
  })
  forPatients.get(`${BASE}/entourage/:id/supprimer`, async (req, res, actor) => {
    const { contact } = await profile.contact(actor, req.params.id)
    res.render('profile/confirm-delete.njk', {
      pageTitle: `Supprimer ${contact.name} de votre entourage`,
      question: `Supprimer ${contact.name} de votre entourage ?`,
      action: req.originalUrl,
      back: `${BASE}/entourage`,
    })
  })
  forPatients.post(`${BASE}/entourage/:id/supprimer`, async (req, res, actor) => {
    await profile.deleteContact(actor, req.params.id)
    flash(req, 'La personne est supprimée de votre entourage.')
    res.redirect(303, `${BASE}/entourage`)
  })

  // ——— Mesures
  forPatients.get(`${BASE}/mesures`, async (_req, res, actor) => {
    const home = await profile.home(actor)
    res.render('profile/measures.njk', { pageTitle: 'Mesures', subject: home.subject, measures: home.measures, imc: home.imc })
  })
  const measurePage = async (
    req: Request,
    res: Response,
    actor: Actor,
    status = 200,
    values: Record<string, unknown> = {},
    errors?: FormErrors,
  ) => {
    const def = MEASURE_BY_TYPE[String(req.params.type)]
    const { measures, imc, subject } = await profile.measureSeries(actor, def)
    const chart = measureChart(def, measures, `graphique-${def.type}`)
    const imcChart = imc.length
      ? measureChart(
          { ...def, type: def.type, label: 'IMC', unit: 'kg/m²', unitLong: 'kilogrammes par mètre carré', decimals: 1 },
          imc,
          'graphique-imc',
        )
      : null
    res.status(status).render('profile/measure.njk', {
      pageTitle: def.label,
      def,
      measures: [...measures].reverse(),
      imc: [...imc].reverse(),
      chart,
      imcChart,
      subject,
      values,
      errors,
    })
  }
  forPatients.get(`${BASE}/mesures/:type`, async (req, res, actor, next) => {
    if (!isMeasureType(req.params.type)) return next()
    await measurePage(req, res, actor)
  })
  forPatients.post(`${BASE}/mesures/:type`, async (req, res, actor, next) => {
    if (!isMeasureType(req.params.type)) return next()
    const def = MEASURE_BY_TYPE[req.params.type]
    const errors = emptyErrors()
    const values = { value: str(formBody(req).value), value2: str(formBody(req).value2), date: dateValues(formBody(req), 'date') }
    const c = checkDate(dateParts(formBody(req), 'date'), 'la date de la mesure', { notFuture: true })
    // Fields in page order: value(s) first, then the date.
    if (!c.ok) {
      const v = checkMeasureValue(def, values.value, values.value2)
      if (!v.ok) addError(errors, v.field, v.message)
      addError(errors, 'date', c.message, `date-${c.part}`)
      return measurePage(req, res, actor, 400, values, errors)
    }
    const r = await profile.addMeasure(actor, def, { raw: values.value, raw2: values.value2, date: c.value })
    if (!r.ok) {
      addError(errors, r.field, r.message, r.field === 'date' ? 'date-day' : r.field)
      return measurePage(req, res, actor, 400, values, errors)
    }
    flash(req, 'La mesure est enregistrée.')
    res.redirect(303, `${BASE}/mesures/${def.type}`)
  })
  forPatients.get(`${BASE}/mesures/:type/:id/supprimer`, async (req, res, actor) => {
    const { measure, def } = await profile.measure(actor, req.params.id)
    if (def.type !== req.params.type) return res.redirect(303, `${BASE}/mesures/${def.type}/${measure.id}/supprimer`)
    res.render('profile/confirm-delete.njk', {
      pageTitle: `Supprimer la mesure « ${def.label} » du ${measure.date.split('-').reverse().join('/')} (${measure.text})`,
      question: `Supprimer la mesure « ${def.label} » du ${measure.date.split('-').reverse().join('/')} (${measure.text}) ?`,
      action: req.originalUrl,
      back: `${BASE}/mesures/${def.type}`,
    })
  })
  forPatients.post(`${BASE}/mesures/:type/:id/supprimer`, async (req, res, actor) => {
    const type = await profile.deleteMeasure(actor, req.params.id)
    flash(req, 'La mesure est supprimée.')
    res.redirect(303, `${BASE}/mesures/${type}`)
  })

  // ——— Habitudes de vie
  forPatients.get(`${BASE}/habitudes-de-vie`, async (_req, res, actor) => {
    const r = await profile.lifestyle(actor)
    res.render('profile/questionnaire.njk', {
      pageTitle: 'Habitudes de vie',
      kind: 'lifestyle',
      subject: r.subject,
      sections: r.sections,
      values: r.answers,
      action: `${BASE}/habitudes-de-vie`,
    })
  })
  forPatients.post(`${BASE}/habitudes-de-vie`, async (req, res, actor) => {
    await profile.saveLifestyle(actor, formBody(req))
    flash(req, 'Vos habitudes de vie sont enregistrées.')
    res.redirect(303, BASE)
  })

  // ——— Mon bilan prévention
  forPatients.get(`${BASE}/bilan-prevention`, async (_req, res, actor) => {
    const r = await profile.bilan(actor)
    res.render('profile/questionnaire.njk', {
      pageTitle: 'Mon bilan prévention',
      kind: 'bilan',
      ...r,
      values: r.draft?.answers ?? {},
      action: `${BASE}/bilan-prevention`,
      filesDocuments: profile.filesDocuments,
    })
  })
  forPatients.post(`${BASE}/bilan-prevention`, async (req, res, actor) => {
    const finalise = formBody(req).action === 'finaliser'
    const r = await profile.saveBilan(actor, formBody(req), finalise)
    if (!r.ok) {
      const b = await profile.bilan(actor)
      const errors = emptyErrors()
      for (const m of r.missing) addError(errors, m.id, `Répondez à la question « ${m.label} »`, `${m.id}`)
      return res.status(400).render('profile/questionnaire.njk', {
        pageTitle: 'Mon bilan prévention',
        kind: 'bilan',
        ...b,
        values: formAnswers(b.sections, formBody(req)),
        action: `${BASE}/bilan-prevention`,
        errors: compactSummary(errors, (n) => `Il manque ${n} réponses : chaque question sans réponse est signalée. La première :`),
        filesDocuments: profile.filesDocuments,
      })
    }
    if (finalise && !r.documentId && r.pdf) return sendPdf(res, r.pdf, 'questionnaire-sante.pdf')
    flash(
      req,
      finalise
        ? 'Votre questionnaire est finalisé : il est classé dans vos documents, rubrique « Questionnaire santé ».'
        : 'Vos réponses sont enregistrées en brouillon. Vous pourrez les compléter plus tard.',
    )
    res.redirect(303, finalise ? (r.documentId ? `/documents/${r.documentId}` : BASE) : `${BASE}/bilan-prevention`)
  })

  // ——— Directives anticipées
  forPatients.get(`${BASE}/directives-anticipees`, async (_req, res, actor) => {
    const r = await profile.directives(actor)
    res.render('profile/directives.njk', {
      pageTitle: 'Directives anticipées',
      ...r,
      values: r.current?.answers ?? {},
      filesDocuments: profile.filesDocuments,
    })
  })
  forPatients.post(`${BASE}/directives-anticipees`, async (req, res, actor) => {
    const r = await profile.saveDirectives(actor, formBody(req))
    if (!r.ok) {
      const d = await profile.directives(actor)
      const errors =
        r.reason === 'situation'
          ? addError(emptyErrors(), 'situation', 'Indiquez dans quelle situation vous rédigez ces directives')
          : addError(emptyErrors(), 'maintien-en-vie', 'Écrivez au moins un souhait')
      return res.status(400).render('profile/directives.njk', {
        pageTitle: 'Directives anticipées',
        ...d,
        values: formAnswers(d.sections, formBody(req)),
        errors,
        filesDocuments: profile.filesDocuments,
      })
    }
    flash(
      req,
      r.documentId
        ? 'Vos directives anticipées sont enregistrées et classées dans vos documents. Elles remplacent les précédentes.'
        : 'Vos directives anticipées sont enregistrées. Elles remplacent les précédentes.',
    )
    res.redirect(303, `${BASE}/directives-anticipees`)
  })

  // ——— Synthèse du profil médical
  forPatients.get(`${BASE}/synthese`, async (_req, res, actor) => {
    const home = await profile.home(actor)
    res.render('profile/synthesis.njk', {
      pageTitle: 'Synthèse du profil médical',
      subject: home.subject,
      filesDocuments: profile.filesDocuments,
    })
  })
  forPatients.post(`${BASE}/synthese`, async (req, res, actor) => {
    const r = await profile.synthesis(actor)
    if (!r.documentId) return sendPdf(res, r.pdf, 'synthese-profil-medical.pdf')
    flash(req, 'La synthèse de votre profil médical est classée dans vos documents, rubrique « Synthèse médicale ».')
    res.redirect(303, `/documents/${r.documentId}`)
  })

  // ——— List sections (last: `:slug` matches only the known sections)
  // `:slug` matches only the known sections: another one goes to the next route.
  const defOf = (req: Request<{ slug: string }>): ListSectionDefinition | undefined => LIST_SECTION_BY_SLUG[req.params.slug]
  forPatients.get(`${BASE}/:slug`, async (req, res, actor, next) => {
    const def = defOf(req)
    if (!def) return next('route')
    const r = await profile.list(actor, def)
    res.render('profile/list.njk', { pageTitle: def.title, def, ...r })
  })
  const entryForm = (
    res: Response,
    def: ListSectionDefinition,
    p: { title: string; action: string; values: Record<string, unknown>; subject: unknown; errors?: FormErrors; status?: number },
  ) =>
    res.status(p.status ?? 200).render('profile/entry-form.njk', {
      pageTitle: p.title,
      def,
      action: p.action,
      values: p.values,
      subject: p.subject,
      errors: p.errors,
      back: `${BASE}/${def.slug}`,
    })
  forPatients.get(`${BASE}/:slug/ajouter`, async (req, res, actor, next) => {
    const def = defOf(req)
    if (!def) return next('route')
    const { subject } = await profile.list(actor, def)
    entryForm(res, def, { title: def.addText, action: req.originalUrl, values: {}, subject })
  })
  forPatients.post(`${BASE}/:slug/ajouter`, async (req, res, actor, next) => {
    const def = defOf(req)
    if (!def) return next('route')
    const { input, errors } = readEntry(def, formBody(req))
    if (hasErrors(errors)) {
      const { subject } = await profile.list(actor, def)
      return entryForm(res, def, {
        title: def.addText,
        action: req.originalUrl,
        values: { ...formBody(req), start: dateValues(formBody(req), 'start'), end: dateValues(formBody(req), 'end') },
        subject,
        errors,
        status: 400,
      })
    }
    await profile.addEntry(actor, def, input)
    flash(req, `« ${input.label} » est ajouté à la rubrique « ${def.title} ».`)
    res.redirect(303, `${BASE}/${def.slug}`)
  })
  forPatients.get(`${BASE}/:slug/:id/modifier`, async (req, res, actor, next) => {
    const def = defOf(req)
    if (!def) return next('route')
    const { entry, subject } = await profile.entry(actor, def, String(req.params.id))
    entryForm(res, def, {
      title: `Modifier ${def.thisOne}`,
      action: req.originalUrl,
      values: { label: entry.label, detail: entry.detail, start: isoToParts(entry.start_date), end: isoToParts(entry.end_date) },
      subject,
    })
  })
  forPatients.post(`${BASE}/:slug/:id/modifier`, async (req, res, actor, next) => {
    const def = defOf(req)
    if (!def) return next('route')
    const { subject } = await profile.entry(actor, def, String(req.params.id))
    const { input, errors } = readEntry(def, formBody(req))
    if (hasErrors(errors)) {
      return entryForm(res, def, {
        title: `Modifier ${def.thisOne}`,
        action: req.originalUrl,
        values: { ...formBody(req), start: dateValues(formBody(req), 'start'), end: dateValues(formBody(req), 'end') },
        subject,
        errors,
        status: 400,
      })
    }
    await profile.updateEntry(actor, def, String(req.params.id), input)
    flash(req, 'La modification est enregistrée.')
    res.redirect(303, `${BASE}/${def.slug}`)
  })
  forPatients.get(`${BASE}/:slug/:id/supprimer`, async (req, res, actor, next) => {
    const def = defOf(req)
    if (!def) return next('route')
    const { entry } = await profile.entry(actor, def, String(req.params.id))
    res.render('profile/confirm-delete.njk', {
      pageTitle: `Supprimer « ${entry.label} » de la rubrique « ${def.title} »`,
      question: `Supprimer « ${entry.label} » de la rubrique « ${def.title} » ?`,
      action: req.originalUrl,
      back: `${BASE}/${def.slug}`,
    })
  })
  forPatients.post(`${BASE}/:slug/:id/supprimer`, async (req, res, actor, next) => {
    const def = defOf(req)
    if (!def) return next('route')
    await profile.deleteEntry(actor, def, String(req.params.id))
    flash(req, 'La suppression est faite.')
    res.redirect(303, `${BASE}/${def.slug}`)
  })

  return router
}

function sendPdf(res: Response, pdf: Buffer, name: string) {
  res.setHeader('Content-Type', 'application/pdf')
  res.setHeader('Content-Disposition', `attachment; filename="${name}"`)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Cache-Control', 'no-store')
  res.send(pdf)
}
