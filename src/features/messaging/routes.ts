import { Router, type Request, type RequestHandler, type Response } from 'express'
import type { Services } from '../../services'
import { requireProfessional, signedInRoutes } from '../../middleware/auth'
import type { Actor } from '../../domain/actor'
import {
  MAX_CLOSE_REASON_LENGTH,
  MAX_MESSAGE_LENGTH,
  MAX_SUBJECT_LENGTH,
  closeReasonError,
  messageError,
  normaliseMessage,
  subjectError,
} from '../../domain/messaging'
import { validateNir } from '../../domain/nir'
import { readMultipart } from '../../middleware/multipart'
import { addError, checkDate, compactSummary, dateParts, emptyErrors, hasErrors, type FormErrors } from '../../validation'
import { REJECTION_MESSAGES, sendContent } from '../documents/routes'
import type { AttachmentInput, SendRefusal, StartRefusal } from './service'
import { formBody } from '../../middleware/forms'

const REFUSALS: Record<StartRefusal | SendRefusal, { field: string; text: string }> = {
  // Object.fromEntries types its keys as string: they are REJECTION_MESSAGES's own.
  ...(Object.fromEntries(Object.entries(REJECTION_MESSAGES).map(([k, text]) => [k, { field: 'attachment', text }])) as Record<
    keyof typeof REJECTION_MESSAGES,
    { field: string; text: string }
  >),
  not_found: {
    field: 'nir',
    text: 'Aucun patient ne correspond à ce numéro de sécurité sociale, cette date de naissance et ce nom : vérifiez votre saisie',
  },
  closed: { field: 'nir', text: 'Le profil Mon espace santé de ce patient est fermé : vous ne pouvez pas lui écrire' },
  opposed: { field: 'nir', text: "Ce patient s'est opposé à la création de son profil Mon espace santé : vous ne pouvez pas lui écrire" },
  not_created: { field: 'nir', text: "Le profil Mon espace santé de ce patient n'est pas encore créé : vous ne pouvez pas lui écrire" },
  not_reachable: {
    field: 'professional',
    text: "Vous pouvez uniquement écrire à un professionnel de santé qui vous a déjà écrit et qui n'a pas clos l'échange",
  },
}

const LIMITS = { message: MAX_MESSAGE_LENGTH, subject: MAX_SUBJECT_LENGTH, closeReason: MAX_CLOSE_REASON_LENGTH }

interface Outcome {
  errors?: FormErrors
  redirect?: string
}

/**
 * Reads a message form (multipart: `_csrf` first, then the fields, the optional file last) and
 * hands the fields and the file stream to `handle`, which validates and sends in one go.
 */
async function messageForm(
  req: Request,
  handle: (fields: Record<string, string>, attachment?: AttachmentInput) => Promise<Outcome>,
  checkFile?: (stream: AsyncIterable<Buffer>, fileName: string) => Promise<keyof typeof REJECTION_MESSAGES | undefined>,
): Promise<{ fields: Record<string, string>; outcome: Outcome }> {
  let outcome: Outcome | undefined
  let fields: Record<string, string> = {}
  const parsed = await readMultipart(req, {
    onFile: async (file, before) => {
      fields = before
      try {
        outcome = await handle(before, file.filename ? { stream: file.stream, fileName: file.filename } : undefined)
        // The other fields were refused before the file was read: its own problem (wrong type...) is
        // reported now, with theirs, not on the next try (issue 16 §5).
        if (outcome?.errors && !outcome.errors.fields.attachment && file.filename && checkFile && !file.stream.readableDidRead) {
          const reason = await checkFile(file.stream, file.filename)
          if (reason) addError(outcome.errors, 'attachment', REJECTION_MESSAGES[reason])
        }
      } finally {
        file.stream.resume()
      }
    },
  })
  if (!outcome) {
    fields = parsed.fields
    outcome = await handle(parsed.fields, undefined)
  }
  return { fields, outcome }
}

/** A new conversation's subject and first message, read and checked (their errors added to `errors`). */
function subjectAndBody(f: Record<string, string>, errors: FormErrors): { subject: string; body: string } {
  const subject = (f.subject ?? '').trim()
  const sErr = subjectError(subject)
  if (sErr) addError(errors, 'subject', sErr)
  const body = normaliseMessage(f.body)
  const bErr = messageError(body)
  if (bErr) addError(errors, 'body', bErr)
  return { subject, body }
}

function refusalErrors(reason: StartRefusal | SendRefusal): FormErrors {
  const r = REFUSALS[reason]
  return addError(emptyErrors(), r.field, r.text)
}

/** Puts the unread count on the «Messagerie» item of the navigation: seen «Messagerie (2)», heard «Messagerie (2 messages non lus)». */
async function applyBadge(services: Services, req: Request, res: Response, recount = false): Promise<void> {
  const actor = req.actor
  // express types res.locals as any: the locals middleware set this list (src/middleware/locals.ts).
  const nav = res.locals.navigation as { href: string; text?: string; html?: string }[] | undefined
  if (!actor || !nav || (actor.kind !== 'patient' && actor.kind !== 'professional')) return
  const item = nav.find((i) => i.href === '/messagerie' || i.href === '/pro/messagerie')
  if (!item) return
  // Counted by loadActor in the actor's own query when it could (one round trip less per page),
  // unless the page has just changed the count (reading a conversation marks it read).
  const counted: unknown = recount ? undefined : res.locals.unreadMessages
  const n = typeof counted === 'number' ? counted : await services.messaging.unreadCount(actor)
  if (n > 0) {
    item.html = `Messagerie <span aria-hidden="true">(${n})</span><span class="govuk-visually-hidden">(${n} ${n > 1 ? 'messages non lus' : 'message non lu'})</span>`
    delete item.text
  } else {
    item.text = 'Messagerie'
    delete item.html
  }
}

/** The count on every page of patients and professionals (one indexed count per page). */
export function unreadBadge(services: Services): RequestHandler {
  return async (req, res, next) => {
    if (req.method === 'GET' && !req.path.includes('/pieces-jointes/')) await applyBadge(services, req, res)
    next()
  }
}

export function messagingRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const forProfessionals = signedInRoutes(router, 'professional')
  const { messaging } = services

  // Patient side: write again to a professional who already wrote; save an attachment into «Mes documents».
  const writeForm = async (
    res: Response,
    actor: Actor,
    status = 200,
    extra: { errors?: FormErrors; values?: Record<string, string> } = {},
  ) => {
    const reachable = await messaging.reachable(actor)
    res.status(status).render('messaging/write.njk', {
      pageTitle: 'Écrire à un professionnel de santé',
      reachable,
      values: extra.values ?? {},
      errors: extra.errors,
      limits: LIMITS,
    })
  }
  forPatients.get('/messagerie/ecrire', (_req, res, actor) => writeForm(res, actor))
  forPatients.post('/messagerie/ecrire', async (req, res, actor) => {
    const form = formBody(req)
    const values = { professional: String(form.professional ?? ''), body: typeof form.body === 'string' ? form.body : '' }
    const errors = emptyErrors()
    if (!values.professional) addError(errors, 'professional', 'Choisissez le professionnel de santé à qui écrire')
    const body = normaliseMessage(values.body)
    const error = messageError(body)
    if (error) addError(errors, 'body', error)
    if (hasErrors(errors)) return writeForm(res, actor, 400, { errors, values })
    const r = await messaging.writeAgain(actor, values.professional, body)
    if (!r.ok) return writeForm(res, actor, 400, { errors: refusalErrors(r.reason), values })
    req.session.flash = { type: 'success', text: 'Votre message a été envoyé.' }
    res.redirect(303, `/messagerie/${r.value}#dernier-message`)
  })

  forPatients.post('/messagerie/pieces-jointes/:id/enregistrer', async (req, res, actor) => {
    const r = await messaging.saveToDocuments(actor, String(req.params.id))
    req.session.flash = {
      type: 'success',
      text: r.already
        ? 'Cette pièce jointe est déjà dans vos documents.'
        : 'La pièce jointe a été enregistrée dans vos documents (catégorie «\u00a0Autres documents\u00a0»).',
    }
    res.redirect(303, `/messagerie/${r.conversationId}`)
  })

  // Professional side: start a conversation, close one.
  // «Écrire à ce patient» from the portal: the patient found there (kept in the session by «Trouver un patient»).
  const foundPatient = async (req: Request, asked: unknown) => {
    const kept = req.session.journeys?.proPatient?.personId
    const personId = asked === 'dossier' ? kept : undefined
    const name = personId ? await messaging.patientName(personId) : undefined
    return personId && name ? { personId, name } : undefined
  }
  const startForm = async (
    req: Request,
    res: Response,
    status = 200,
    extra: { errors?: FormErrors; values?: Record<string, string> } = {},
  ) => {
    const found = await foundPatient(req, extra.values?.patient ?? req.query.patient)
    res.status(status).render('messaging/start.njk', {
      pageTitle: found ? `Écrire à ${found.name}` : 'Écrire à un patient',
      found,
      values: extra.values ?? {},
      errors: extra.errors,
      limits: LIMITS,
    })
  }
  router.get('/pro/messagerie/nouveau', requireProfessional, (req, res) => startForm(req, res))
  forProfessionals.post('/pro/messagerie/nouveau', async (req, res, actor) => {
    let patient = ''
    const { fields, outcome } = await messageForm(
      req,
      async (f, attachment) => {
        const errors = emptyErrors()
        const found = await foundPatient(req, f.patient)
        if (found) {
          const { subject, body } = subjectAndBody(f, errors)
          if (hasErrors(errors)) return { errors }
          const r = await messaging.startFor(actor, found.personId, { subject, body, attachment })
          if (!r.ok) return { errors: refusalErrors(r.reason) }
          patient = r.value.patient
          return { redirect: `/pro/messagerie/${r.value.conversationId}` }
        }
        const nir = validateNir(f.nir, 'le numéro de sécurité sociale du patient')
        if (!nir.ok) addError(errors, 'nir', nir.message)
        const birth = checkDate(dateParts(f, 'birthDate'), 'la date de naissance', { notFuture: true })
        if (!birth.ok) addError(errors, 'birthDate', birth.message, `birthDate-${birth.part}`)
        const lastName = (f.lastName ?? '').trim()
        if (!lastName) addError(errors, 'lastName', 'Saisissez le nom de famille du patient')
        const { subject, body } = subjectAndBody(f, errors)
        if (hasErrors(errors) || !nir.ok || !birth.ok) return { errors }
        const r = await messaging.start(actor, { nir: nir.nir, birthDate: birth.value, lastName, subject, body, attachment })
        if (!r.ok) return { errors: refusalErrors(r.reason) }
        patient = r.value.patient
        return { redirect: `/pro/messagerie/${r.value.conversationId}` }
      },
      (stream, name) => services.documents.checkFile(stream, name),
    )
    if (outcome.errors) return startForm(req, res, 400, { errors: compactSummary(outcome.errors), values: fields })
    req.session.flash = { type: 'success', text: `Votre message a été envoyé à ${patient}.` }
    res.redirect(303, outcome.redirect!)
  })

  const closeForm = async (
    req: Request,
    res: Response,
    actor: Actor,
    status = 200,
    extra: { errors?: FormErrors; values?: Record<string, string> } = {},
  ) => {
    const c = await messaging.read(actor, String(req.params.id))
    if (!c.canClose) return res.redirect(303, `/pro/messagerie/${c.id}`)
    res.status(status).render('messaging/close.njk', {
      pageTitle: 'Clore la conversation',
      c,
      values: extra.values ?? {},
      errors: extra.errors,
      limits: LIMITS,
    })
  }
  forProfessionals.get('/pro/messagerie/:id/clore', (req, res, actor) => closeForm(req, res, actor))
  forProfessionals.post('/pro/messagerie/:id/clore', async (req, res, actor) => {
    const form = formBody(req)
    const reason = normaliseMessage(form.reason)
    const error = closeReasonError(reason)
    if (error)
      return closeForm(req, res, actor, 400, {
        errors: addError(emptyErrors(), 'reason', error),
        values: { reason: typeof form.reason === 'string' ? form.reason : '' },
      })
    await messaging.close(actor, String(req.params.id), reason)
    req.session.flash = {
      type: 'success',
      text: 'La conversation est close. Le patient voit le motif ; un nouveau message de votre part la rouvrira.',
    }
    res.redirect(303, `/pro/messagerie/${req.params.id}`)
  })

  // Both sides: inbox, archive, conversation, reply, attachments (after the fixed paths above).
  for (const side of ['patient', 'professional'] as const) {
    const base = side === 'patient' ? '/messagerie' : '/pro/messagerie'
    const pages = side === 'patient' ? forPatients : forProfessionals

    const inbox = (archived: boolean) => async (_req: Request, res: Response, actor: Actor) => {
      const conversations = await messaging.inbox(actor, archived)
      const reachable = side === 'patient' && !archived ? await messaging.reachable(actor) : []
      res.render('messaging/inbox.njk', {
        pageTitle: archived ? 'Messages archivés' : 'Messagerie',
        base,
        side,
        archived,
        conversations,
        canWrite: reachable.length > 0,
      })
    }
    pages.get(base, inbox(false))
    pages.get(`${base}/archives`, inbox(true))

    const showConversation = async (
      req: Request,
      res: Response,
      actor: Actor,
      status = 200,
      extra: { errors?: FormErrors; values?: Record<string, string> } = {},
    ) => {
      const c = await messaging.read(actor, String(req.params.id))
      // Reading marked messages as read: the count in the navigation follows at once.
      await applyBadge(services, req, res, true)
      res.status(status).render('messaging/conversation.njk', {
        pageTitle: c.subject,
        base,
        side,
        c,
        values: extra.values ?? {},
        errors: extra.errors,
        limits: LIMITS,
      })
    }

    pages.get(`${base}/pieces-jointes/:id`, async (req, res, actor) => {
      const content = await messaging.attachment(actor, String(req.params.id))
      await sendContent(res, content, 'attachment')
    })

    pages.get(`${base}/:id`, (req, res, actor) => showConversation(req, res, actor))

    pages.post(`${base}/:id/repondre`, async (req, res, actor) => {
      const id = String(req.params.id)
      const { fields, outcome } = await messageForm(
        req,
        async (f, attachment) => {
          const body = normaliseMessage(f.body)
          const error = messageError(body)
          if (error) return { errors: addError(emptyErrors(), 'body', error) }
          const r = await messaging.reply(actor, id, { body, attachment })
          if (!r.ok) return { errors: refusalErrors(r.reason) }
          return { redirect: `${base}/${id}#dernier-message` }
        },
        (stream, name) => services.documents.checkFile(stream, name),
      )
      if (outcome.errors) return showConversation(req, res, actor, 400, { errors: outcome.errors, values: { body: fields.body ?? '' } })
      req.session.flash = { type: 'success', text: 'Votre message a été envoyé.' }
      res.redirect(303, outcome.redirect!)
    })

    for (const [path, archived] of [
      ['archiver', true],
      ['desarchiver', false],
    ] as const) {
      pages.post(`${base}/:id/${path}`, async (req, res, actor) => {
        await messaging.setArchived(actor, String(req.params.id), archived)
        req.session.flash = {
          type: 'success',
          text: archived ? 'La conversation a été archivée.' : 'La conversation est de nouveau dans votre messagerie.',
        }
        res.redirect(303, archived ? base : `${base}/${req.params.id}`)
      })
    }
  }

  return router
}
