import { Router } from 'express'
import { EVENT_STATUSES, MAX_REMINDERS } from '../../domain/agenda'
import type { Actor } from '../../domain/actor'
import { requirePatient, signedInRoutes } from '../../middleware/auth'
import type { Services } from '../../services'
import { addError, emptyErrors } from '../../validation'
import { isoDate } from '../../domain/parisTime'
import { dateValue, readEvent, readReminder, REMINDER_MESSAGES, typedValues } from './forms'
import { formBody } from '../../middleware/forms'
import { setJourney } from '../../middleware/journeys'

declare module 'express-session' {
  interface Journeys {
    /** A private calendar link just created: its address is shown once, on the next page. */
    calendarToken?: { token: string }
  }
}

const NEW_TITLE = 'Ajouter un rendez-vous'
const EDIT_TITLE = 'Modifier le rendez-vous'

/**
 * The agenda (SPEC §8) for the profile being looked at: list, create, edit, cancel, reminders,
 * `.ics`, the private calendar link, «Examens et vaccins recommandés». The private feed itself
 * (`/calendrier/<token>.ics`) is served without sign-in, never cached.
 */
export function agendaRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const { agenda } = services
  router.use('/agenda', requirePatient)

  const statuses = EVENT_STATUSES.map((s) => ({ value: s.value, text: s.label }))
  const profileName = (actor: Actor) => actor.acting?.displayName

  forPatients.get('/agenda', async (_req, res, actor) => {
    const { upcoming, past } = await agenda.list(actor)
    res.render('agenda/index.njk', { pageTitle: 'Agenda', upcoming, past, profileName: profileName(actor) })
  })

  forPatients.get('/agenda/recommandations', async (_req, res, actor) => {
    const items = await agenda.recommendations(actor)
    res.render('agenda/recommendations.njk', { pageTitle: 'Examens et vaccins recommandés', items, profileName: profileName(actor) })
  })

  router.get('/agenda/nouveau', (req, res) => {
    const prefill = typeof req.query.recommandation === 'string' ? agenda.prefill(req.query.recommandation) : undefined
    res.render('agenda/form.njk', {
      pageTitle: NEW_TITLE,
      values: prefill ? { title: prefill.title, preventionRule: prefill.preventionRule } : {},
      action: '/agenda/nouveau',
    })
  })

  forPatients.post('/agenda/nouveau', async (req, res, actor) => {
    const { errors, fields } = readEvent(formBody(req), { edit: false })
    if (!fields)
      return res
        .status(400)
        .render('agenda/form.njk', { pageTitle: NEW_TITLE, values: typedValues(formBody(req)), errors, action: '/agenda/nouveau' })
    const id = await agenda.create(actor, fields)
    req.session.flash = { type: 'success', text: 'Le rendez-vous est ajouté à votre agenda.' }
    res.redirect(303, `/agenda/${id}`)
  })

  forPatients.get('/agenda/calendrier-prive', async (req, res, actor) => {
    const links = await agenda.links(actor)
    const token = req.session.journeys?.calendarToken?.token
    if (token) setJourney(req, 'calendarToken', undefined)
    res.render('agenda/calendar-link.njk', {
      pageTitle: 'Lien privé vers mon agenda',
      links,
      newUrl: token ? `${services.config.publicUrl}/calendrier/${token}.ics` : undefined,
      values: {},
    })
  })

  forPatients.post('/agenda/calendrier-prive', async (req, res, actor) => {
    const detail = formBody(req).detail
    if (detail !== 'minimal' && detail !== 'titles') {
      const errors = addError(emptyErrors(), 'detail', 'Choisissez ce que le calendrier affiche', 'detail')
      const links = await agenda.links(actor)
      return res.status(400).render('agenda/calendar-link.njk', { pageTitle: 'Lien privé vers mon agenda', links, errors, values: {} })
    }
    const token = await agenda.createLink(actor, detail)
    setJourney(req, 'calendarToken', { token })
    res.redirect(303, '/agenda/calendrier-prive')
  })

  forPatients.post('/agenda/calendrier-prive/:id/revoquer', async (req, res, actor) => {
    await agenda.revokeLink(actor, req.params.id)
    req.session.flash = {
      type: 'success',
      text: 'Le lien est désactivé : les calendriers qui l’utilisaient ne reçoivent plus votre agenda.',
    }
    res.redirect(303, '/agenda/calendrier-prive')
  })

  const showEvent = async (actor: Actor, id: string, status = 200, extra: Record<string, unknown> = {}) => {
    const { event, reminders } = await agenda.get(actor, id)
    return { status, locals: { pageTitle: event.title, event, reminders, max: MAX_REMINDERS, today: isoDate(), values: {}, ...extra } }
  }

  forPatients.get('/agenda/:id', async (req, res, actor) => {
    const v = await showEvent(actor, req.params.id)
    res.render('agenda/event.njk', v.locals)
  })

  forPatients.get('/agenda/:id/modifier', async (req, res, actor) => {
    const { event } = await agenda.get(actor, req.params.id)
    const values = {
      title: event.title,
      date: dateValue(event.date),
      time: event.time ?? '',
      place: event.place ?? '',
      professional: event.professional ?? '',
      notes: event.notes ?? '',
      status: event.status,
    }
    res.render('agenda/form.njk', { pageTitle: EDIT_TITLE, values, action: `/agenda/${event.id}/modifier`, edit: true, statuses, event })
  })

  forPatients.post('/agenda/:id/modifier', async (req, res, actor) => {
    const { event } = await agenda.get(actor, req.params.id)
    const { errors, fields } = readEvent(formBody(req), { edit: true })
    if (!fields)
      return res.status(400).render('agenda/form.njk', {
        pageTitle: EDIT_TITLE,
        values: typedValues(formBody(req)),
        errors,
        action: `/agenda/${event.id}/modifier`,
        edit: true,
        statuses,
        event,
      })
    await agenda.update(actor, event.id, fields)
    req.session.flash = { type: 'success', text: 'Le rendez-vous est modifié.' }
    res.redirect(303, `/agenda/${event.id}`)
  })

  forPatients.post('/agenda/:id/annuler', async (req, res, actor) => {
    await agenda.cancel(actor, req.params.id)
    req.session.flash = { type: 'success', text: 'Le rendez-vous est annulé. Il reste dans votre agenda avec le statut « Annulé ».' }
    res.redirect(303, `/agenda/${req.params.id}`)
  })

  forPatients.post('/agenda/:id/rappels', async (req, res, actor) => {
    const { errors, input } = readReminder(formBody(req))
    if (input) {
      const r = await agenda.addReminder(actor, req.params.id, input)
      if (r.ok) {
        req.session.flash = { type: 'success', text: 'Le rappel est enregistré : vous recevrez un courriel ce jour-là.' }
        return res.redirect(303, `/agenda/${req.params.id}`)
      }
      if (r.reason === 'limit' || r.reason === 'cancelled') addError(errors, 'reminders', REMINDER_MESSAGES[r.reason], 'rappels')
      else
        addError(
          errors,
          input.kind === 'date' ? 'remindOn' : 'when',
          REMINDER_MESSAGES[r.reason],
          input.kind === 'date' ? 'remindOn-day' : 'when',
        )
    }
    const v = await showEvent(actor, req.params.id, 400, { errors, values: typedValues(formBody(req), ['remindOn']) })
    res.status(400).render('agenda/event.njk', v.locals)
  })

  forPatients.post('/agenda/:id/rappels/:reminder/supprimer', async (req, res, actor) => {
    const rid = Number(req.params.reminder)
    await agenda.removeReminder(actor, req.params.id, Number.isSafeInteger(rid) ? rid : -1)
    req.session.flash = { type: 'success', text: 'Le rappel est supprimé.' }
    res.redirect(303, `/agenda/${req.params.id}`)
  })

  forPatients.get('/agenda/:id/rendez-vous.ics', async (req, res, actor) => {
    const ics = await agenda.eventIcs(actor, req.params.id)
    res.type('text/calendar; charset=utf-8').attachment('rendez-vous.ics').send(ics)
  })

  // The private feed: no sign-in, the secret is the link; never cached, not indexed.
  router.get('/calendrier/:file', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('X-Robots-Tag', 'noindex')
    const m = /^(.+)\.ics$/.exec(req.params.file)
    const ics = m ? await agenda.feed(m[1]) : null
    if (!ics) {
      res.status(404).type('text/plain; charset=utf-8').send("Ce lien d'agenda n'existe pas ou a été désactivé.")
      return
    }
    res.type('text/calendar; charset=utf-8').send(ics)
  })

  return router
}
