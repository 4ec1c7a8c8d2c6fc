import { de } from '../../domain/french'
import { Router, type Request } from 'express'
import type { Services } from '../../services'
import { requireProfessional, signedInRoutes } from '../../middleware/auth'
import type { ProfessionalRefusal } from '../../domain/accessPolicy'
import { HOLD_DAYS, MAX_TITLE_LENGTH, MIME_LABEL, PATIENT_CATEGORIES, categoryLabel, isPatientCategory } from '../../domain/documents'
import { readMultipart } from '../../middleware/multipart'
import { addError, checkDate, dateParts, emptyErrors, hasErrors, type FormErrors } from '../../validation'
import { ForbiddenError, NotFoundError } from '../../errors'
import { fullName } from '../care-team/service'
import { readNirAndBirthDate } from '../spaces/forms'
import { REJECTION_MESSAGES, readListQuery, sendContent } from '../documents/routes'
import { formBody } from '../../middleware/forms'
import { setJourney } from '../../middleware/journeys'

declare module 'express-session' {
  interface Journeys {
    /** The patient a professional found with «Trouver un patient» (also read by «Écrire à ce patient»). */
    proPatient?: { personId: string }
  }
}

export const REFUSALS: Record<ProfessionalRefusal, string> = {
  blocked: 'Ce patient vous a bloqué : vous ne pouvez pas consulter son profil. Vous pouvez toujours y déposer un document.',
  closed: "Ce patient a fermé son profil Mon espace santé : il n'est plus accessible.",
  opposed: "Ce patient s'est opposé à la création de son profil Mon espace santé : il n'est pas accessible.",
  not_created: "Le profil Mon espace santé de ce patient n'est pas encore créé : il n'est pas accessible.",
  emergency_not_allowed: "Ce patient n'autorise pas l'accès en urgence à son profil. Demandez-lui son consentement.",
}

const REIMBURSEMENT_REFUSALS: Record<'hidden' | 'no_access', string> = {
  hidden: 'Ce patient a choisi de masquer ses remboursements aux professionnels de santé : vous ne pouvez pas les consulter.',
  no_access:
    "Vous n'avez pas accès au profil de ce patient : vous ne pouvez pas consulter ses remboursements. Déclarez d'abord votre accès depuis la page du patient.",
}

const NOT_FOUND =
  'Aucun patient ne correspond à ces trois informations. Vérifiez le numéro de sécurité sociale, la date de naissance et le nom.'

/** The professional portal: find a patient (all three identifiers), declare access, documents per the policy, file a document. */
export function professionalRoutes(services: Services): Router {
  const router = Router()
  const forProfessionals = signedInRoutes(router, 'professional')
  const { proPortal, documents, careTeam } = services
  router.use('/pro/patient', requireProfessional)
  const current = (req: Request): string => {
    const id = req.session.journeys?.proPatient?.personId
    if (!id) throw new NotFoundError('Aucun patient sélectionné')
    return id
  }

  router.get('/pro/patient', (_req, res) => {
    res.render('pro-portal/find.njk', { pageTitle: 'Trouver un patient', values: {} })
  })

  forProfessionals.post('/pro/patient', async (req, res, actor) => {
    const errors = emptyErrors()
    const { nir, birthDate } = readNirAndBirthDate(formBody(req), errors, 'le numéro de sécurité sociale du patient')
    const lastName = String(formBody(req).lastName ?? '').trim()
    if (!lastName) addError(errors, 'lastName', 'Saisissez le nom de naissance ou le nom d’usage du patient')
    const values = {
      nir: String(formBody(req).nir ?? '').slice(0, 40),
      birthDate: dateParts(formBody(req), 'birthDate'),
      lastName: lastName.slice(0, 100),
    }
    const again = () => res.status(400).render('pro-portal/find.njk', { pageTitle: 'Trouver un patient', values, errors })
    if (hasErrors(errors)) return again()
    const found = await proPortal.findPatient(actor, { nir: nir!, birthDate: birthDate!, lastName })
    if (!found) {
      addError(errors, 'nir', NOT_FOUND)
      return again()
    }
    setJourney(req, 'proPatient', { personId: found.personId })
    res.redirect(303, '/pro/patient/dossier')
  })

  forProfessionals.get('/pro/patient/dossier', async (req, res, actor) => {
    const personId = current(req)
    const p = await proPortal.patient(actor, personId)
    let list
    if (p.hasAccess) {
      const { query, page } = readListQuery(req.query)
      const r = await documents.list(actor, personId, query, page)
      list = { ...r, rows: r.rows.map((d) => ({ ...d, categoryLabel: categoryLabel(d.category) })) }
    }
    res.render('pro-portal/patient.njk', {
      pageTitle: `${p.person.first_names} ${p.person.last_name}`,
      person: p.person,
      hasAccess: p.hasAccess,
      canFile: p.canFile,
      canBlock: p.canBlock,
      canReadReimbursements: p.canReadReimbursements,
      refusal: p.refusal ? REFUSALS[p.refusal] : undefined,
      emergencyKind: p.emergencyKind,
      emergencyRefusal: p.emergencyRefusal ? REFUSALS[p.emergencyRefusal] : undefined,
      list,
      values: {},
    })
  })

  // «Mon histoire de santé» of the patient: the access policy decides (and honours the patient's switch).
  forProfessionals.get('/pro/patient/remboursements', async (req, res, actor) => {
    const personId = current(req)
    const p = await proPortal.patient(actor, personId)
    const yearRaw = typeof req.query.annee === 'string' ? req.query.annee : ''
    const careType = typeof req.query.type === 'string' ? req.query.type : undefined
    const r = await services.reimbursements.professionalView(actor, personId, {
      year: /^\d{4}$/.test(yearRaw) ? Number(yearRaw) : undefined,
      careType,
    })
    const name = `${p.person.first_names} ${p.person.last_name}`
    if (!r.ok) {
      // Why, in plain words: the patient's own refusal of this professional (blocked, closed...) first.
      const refusal = r.reason === 'no_access' && p.refusal ? REFUSALS[p.refusal] : REIMBURSEMENT_REFUSALS[r.reason]
      return res.status(403).render('pro-portal/reimbursements.njk', { pageTitle: `Remboursements ${de(name)}`, person: p.person, refusal })
    }
    res.render('pro-portal/reimbursements.njk', {
      pageTitle: `Remboursements ${de(name)}`,
      person: p.person,
      ...r.view,
      careTypes: services.reimbursements.careTypes,
    })
  })

  // The patient's medical profile, limited to the sections the access policy allows this profession (SPEC §5, §7).
  forProfessionals.get('/pro/patient/profil-medical', async (req, res, actor) => {
    const view = await services.profile.forProfessional(actor, current(req))
    res.render('pro-portal/profile.njk', {
      pageTitle: `Profil médical ${de(`${view.subject.firstNames} ${view.subject.lastName}`)}`,
      ...view,
    })
  })

  forProfessionals.post('/pro/patient/acces', async (req, res, actor) => {
    const personId = current(req)
    const mode = formBody(req).mode
    const reason = String(formBody(req).reason ?? '').trim()
    const errors = emptyErrors()
    if (mode !== 'consentement' && mode !== 'urgence') addError(errors, 'mode', 'Choisissez comment vous accédez au profil', 'mode')
    else if (mode === 'urgence' && !reason) addError(errors, 'reason', "Saisissez le motif de l'accès en urgence")
    else if (mode === 'urgence' && reason.length > 500) addError(errors, 'reason', 'Le motif doit contenir 500 caractères au maximum')
    const p = await proPortal.patient(actor, personId)
    const render = (status: number, errs?: FormErrors, refusal?: string) =>
      res.status(status).render('pro-portal/patient.njk', {
        pageTitle: `${p.person.first_names} ${p.person.last_name}`,
        person: p.person,
        hasAccess: false,
        canFile: p.canFile,
        refusal: refusal ?? (p.refusal ? REFUSALS[p.refusal] : undefined),
        emergencyKind: p.emergencyKind,
        emergencyRefusal: p.emergencyRefusal ? REFUSALS[p.emergencyRefusal] : undefined,
        errors: errs,
        values: { mode, reason },
      })
    if (hasErrors(errors)) return render(400, errors)
    const r =
      mode === 'consentement' ? await proPortal.declareConsent(actor, personId) : await proPortal.emergencyAccess(actor, personId, reason)
    if (!r.ok) return render(403, undefined, REFUSALS[r.reason])
    req.session.flash = {
      type: 'success',
      text: r.emergency
        ? 'Accès en urgence ouvert pour 12 heures. Le patient en est informé.'
        : 'Vous faites maintenant partie de l’équipe de soins du patient.',
    }
    res.redirect(303, '/pro/patient/dossier')
  })

  // «Administrateur» of the patient: block another professional (SPEC §5); the policy decides (403 otherwise).
  const BLOCK_TITLE = 'Bloquer un professionnel de santé'
  forProfessionals.get('/pro/patient/bloquer', async (req, res, actor) => {
    const p = await proPortal.patient(actor, current(req))
    if (!p.canBlock) throw new ForbiddenError()
    res.render('pro-portal/block.njk', { pageTitle: BLOCK_TITLE, person: p.person, values: {} })
  })

  forProfessionals.post('/pro/patient/bloquer', async (req, res, actor) => {
    const personId = current(req)
    const p = await proPortal.patient(actor, personId)
    if (!p.canBlock) throw new ForbiddenError()
    const errors = emptyErrors()
    const rpps = String(formBody(req).rpps ?? '').replace(/\s/g, '')
    const again = () =>
      res.status(400).render('pro-portal/block.njk', {
        pageTitle: BLOCK_TITLE,
        person: p.person,
        values: { rpps: String(formBody(req).rpps ?? '').slice(0, 40) },
        errors,
      })
    if (!rpps) addError(errors, 'rpps', 'Saisissez le numéro RPPS du professionnel à bloquer')
    else if (!/^\d{11}$/.test(rpps)) addError(errors, 'rpps', 'Le numéro RPPS doit contenir 11 chiffres')
    if (hasErrors(errors)) return again()
    const pro = await careTeam.findForBlocking(actor, personId, rpps)
    if (!pro) addError(errors, 'rpps', 'Aucun professionnel de santé ne correspond à ce numéro RPPS')
    else if (actor.professionalId === pro.id) addError(errors, 'rpps', 'Vous ne pouvez pas vous bloquer vous-même')
    if (hasErrors(errors) || !pro) return again()
    if (formBody(req).confirm !== 'oui') {
      return res.render('pro-portal/block.njk', {
        pageTitle: 'Confirmer le blocage',
        person: p.person,
        values: { rpps },
        confirm: { name: fullName(pro), profession: pro.specialty ?? pro.profession, rpps },
      })
    }
    await careTeam.block(actor, personId, pro.id)
    req.session.flash = { type: 'success', text: `${fullName(pro)} n’a plus accès au profil de ce patient : le blocage est enregistré.` }
    res.redirect(303, '/pro/patient/dossier')
  })

  forProfessionals.get('/pro/patient/deposer', async (req, res, actor) => {
    await documents.assertCanCreate(actor, current(req))
    res.render('pro-portal/file.njk', { pageTitle: 'Déposer un document', values: {}, categoryItems: categoryItems(undefined) })
  })

  forProfessionals.post('/pro/patient/deposer', async (req, res, actor) => {
    const personId = current(req)
    await documents.assertCanCreate(actor, personId)
    let errors: FormErrors = emptyErrors()
    let values: Record<string, string> = {}
    let createdId: string | undefined
    await readMultipart(req, {
      onFile: async (file, fields) => {
        values = fields
        const checked = checkFields(fields)
        errors = checked.errors
        if (!file.filename) addError(errors, 'file', 'Sélectionnez un fichier')
        if (hasErrors(errors)) {
          // The file's own problem (wrong type...) is reported now, with the others (issue 16 §5).
          if (file.filename) {
            const reason = await documents.checkFile(file.stream, file.filename)
            if (reason) addError(errors, 'file', REJECTION_MESSAGES[reason])
          }
          return void file.stream.resume()
        }
        const r = await documents.upload(actor, {
          personId,
          category: fields.category,
          title: fields.title.trim(),
          date: checked.date!,
          stream: file.stream,
          fileName: file.filename,
          invisibleToRepresentatives: fields.invisible === 'oui',
          heldUntil: fields.held === 'oui' ? new Date(Date.now() + HOLD_DAYS * 24 * 3600 * 1000) : null,
        })
        if (!r.ok) {
          file.stream.resume()
          addError(errors, 'file', REJECTION_MESSAGES[r.reason])
        } else createdId = r.id
      },
    })
    if (!createdId) {
      if (!hasErrors(errors)) addError(errors, 'file', 'Sélectionnez un fichier')
      return res.status(400).render('pro-portal/file.njk', {
        pageTitle: 'Déposer un document',
        values,
        errors,
        categoryItems: categoryItems(values.category),
      })
    }
    req.session.flash = { type: 'success', text: 'Le document a été déposé dans le profil du patient.' }
    res.redirect(303, '/pro/patient/dossier')
  })

  forProfessionals.get('/pro/patient/documents/:id', async (req, res, actor) => {
    const v = await documents.get(actor, String(req.params.id), current(req))
    res.render('pro-portal/document.njk', {
      pageTitle: v.row.title,
      doc: v.row,
      categoryLabel: categoryLabel(v.row.category),
      typeLabel: MIME_LABEL[v.row.mime] ?? v.row.mime,
      canRelease: v.canRelease,
      held: Boolean(v.row.held_until && !v.row.held_released_at && new Date(v.row.held_until) > new Date()),
    })
  })

  forProfessionals.get('/pro/patient/documents/:id/telecharger', async (req, res, actor) => {
    const c = await documents.content(actor, String(req.params.id), 'download', current(req))
    await sendContent(res, c, 'attachment')
  })

  forProfessionals.post('/pro/patient/documents/:id/rendre-visible', async (req, res, actor) => {
    // The document must be the selected patient's: checked by the service before the change is made and logged.
    const row = await documents.release(actor, String(req.params.id), current(req))
    req.session.flash = { type: 'success', text: 'Le résultat est maintenant visible par le patient.' }
    res.redirect(303, `/pro/patient/documents/${row.id}`)
  })

  return router
}

const categoryItems = (selected: string | undefined) => [
  { value: '', text: 'Choisissez une catégorie' },
  ...PATIENT_CATEGORIES.map((c) => ({ value: c.code, text: c.label, selected: c.code === selected })),
]

function checkFields(fields: Record<string, string>): { errors: FormErrors; date?: string } {
  const errors = emptyErrors()
  const title = (fields.title ?? '').trim()
  if (!title) addError(errors, 'title', 'Saisissez le titre du document')
  else if (title.length > MAX_TITLE_LENGTH) addError(errors, 'title', `Le titre doit contenir ${MAX_TITLE_LENGTH} caractères au maximum`)
  if (!isPatientCategory(fields.category)) addError(errors, 'category', 'Choisissez une catégorie')
  const date = checkDate(dateParts(fields, 'date'), 'la date du document', { notFuture: true })
  if (!date.ok) addError(errors, 'date', date.message, `date-${date.part}`)
  return { errors, date: date.ok ? date.value : undefined }
}
