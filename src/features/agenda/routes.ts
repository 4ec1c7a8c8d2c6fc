import { Router, type Request } from 'express'
import { EVENT_STATUSES, MAX_REMINDERS } from '../../domain/agenda'
import { requirePatient } from '../../middleware/auth'
import type { Services } from '../../services'
import { addError, emptyErrors } from '../../validation'
import { isoDate } from '../../domain/parisTime'
import { dateValue, readEvent, readReminder, REMINDER_MESSAGES, typedValues } from './forms'

const NEW_TITLE = 'Ajouter un rendez-vous'
const EDIT_TITLE = 'Modifier le rendez-vous'

/**
 * The agenda (SPEC §8) for the profile being looked at: list, create, edit, cancel, reminders,
 * `.ics`, the private calendar link, «Examens et vaccins recommandés». The private feed itself
 * (`/calendrier/<token>.ics`) is served without sign-in, never cached.
 */
export function agendaRoutes(services: Services): Router {
  const router = Router()
  const { agenda } = services
  router.use('/agenda', requirePatient)

  const statuses = EVENT_STATUSES.map((s) => ({ value: s.value, text: s.label }))
  const profileName = (req: Request) => req.actor!.acting?.displayName

  router.get('/agenda', async (req, res) => {
    const { upcoming, past } = await agenda.list(req.actor!)
    res.render('agenda/index.njk', { pageTitle: 'Agenda', upcoming, past, profileName: profileName(req) })
  })

  router.get('/agenda/recommandations', async (req, res) => {
    const items = await agenda.recommendations(req.actor!)
    res.render('agenda/recommendations.njk', { pageTitle: 'Examens et vaccins recommandés', items, profileName: profileName(req) })
  })

  router.get('/agenda/nouveau', (req, res) => {
    const prefill = typeof req.query.recommandation === 'string' ? agenda.prefill(req.query.recommandation) : undefined
    res.render('agenda/form.njk', {
      pageTitle: NEW_TITLE,
      values: prefill ? { title: prefill.title, preventionRule: prefill.preventionRule } : {},
      action: '/agenda/nouveau',
    })
  })

  router.post('/agenda/nouveau', async (req, res) => {
    const { errors, fields } = readEvent(req.body, { edit: false })
    if (!fields)
      return res
        .status(400)
        .render('agenda/form.njk', { pageTitle: NEW_TITLE, values: typedValues(req.body), errors, action: '/agenda/nouveau' })
    const id = await agenda.create(req.actor!, fields)
    req.session.flash = { type: 'success', text: 'Le rendez-vous est ajouté à votre agenda.' }
    res.redirect(303, `/agenda/${id}`)
  })

  router.get('/agenda/calendrier-prive', async (req, res) => {
    const links = await agenda.links(req.actor!)
    const token = req.session.journeys?.calendarToken?.token as string | undefined
    if (token) {
      const j = { ...(req.session.journeys ?? {}) }
      delete j.calendarToken
      req.session.journeys = j
    }
    res.render('agenda/calendar-link.njk', {
      pageTitle: 'Lien privé vers mon agenda',
      links,
      newUrl: token ? `${services.config.publicUrl}/calendrier/${token}.ics` : undefined,
      values: {},
    })
  })

  router.post('/agenda/calendrier-prive', async (req, res) => {
    const detail = req.body.detail
    if (detail !== 'minimal' && detail !== 'titles') {
      const errors = addError(emptyErrors(), 'detail', 'Choisissez ce que le calendrier affiche', 'detail')
      const links = await agenda.links(req.actor!)
      return res.status(400).render('agenda/calendar-link.njk', { pageTitle: 'Lien privé vers mon agenda', links, errors, values: {} })
    }
    const token = await agenda.createLink(req.actor!, detail)
    req.session.journeys = { ...(req.session.journeys ?? {}), calendarToken: { token } }
    res.redirect(303, '/agenda/calendrier-prive')
  })

  router.post('/agenda/calendrier-prive/:id/revoquer', async (req, res) => {
    await agenda.revokeLink(req.actor!, req.params.id)
    req.session.flash = {
      type: 'success',
      text: 'Le lien est désactivé : les calendriers qui l’utilisaient ne reçoivent plus votre agenda.',
    }
    res.redirect(303, '/agenda/calendrier-prive')
  })

  const showEvent = async (req: Request, status = 200, extra: Record<string, unknown> = {}) => {
    const { event, reminders } = await agenda.get(req.actor!, req.params.id as string)
    return { status, locals: { pageTitle: event.title, event, reminders, max: MAX_REMINDERS, today: isoDate(), values: {}, ...extra } }
  }

  router.get('/agenda/:id', async (req, res) => {
    const v = await showEvent(req)
    res.render('agenda/event.njk', v.locals)
  })

  router.get('/agenda/:id/modifier', async (req, res) => {
    const { event } = await agenda.get(req.actor!, req.params.id)
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

  router.post('/agenda/:id/modifier', async (req, res) => {
    const { event } = await agenda.get(req.actor!, req.params.id)
    const { errors, fields } = readEvent(req.body, { edit: true })
    if (!fields)
      return res.status(400).render('agenda/form.njk', {
        pageTitle: EDIT_TITLE,
        values: typedValues(req.body),
        errors,
        action: `/agenda/${event.id}/modifier`,
        edit: true,
        statuses,
        event,
      })
    await agenda.update(req.actor!, event.id, fields)
    req.session.flash = { type: 'success', text: 'Le rendez-vous est modifié.' }
    res.redirect(303, `/agenda/${event.id}`)
  })

  router.post('/agenda/:id/annuler', async (req, res) => {
    await agenda.cancel(req.actor!, req.params.id)
    req.session.flash = { type: 'success', text: 'Le rendez-vous est annulé. Il reste dans votre agenda avec le statut « Annulé ».' }
    res.redirect(303, `/agenda/${req.params.id}`)
  })

  router.post('/agenda/:id/rappels', async (req, res) => {
    const { errors, input } = readReminder(req.body)
    if (input) {
      const r = await agenda.addReminder(req.actor!, req.params.id, input)
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
    const v = await showEvent(req, 400, { errors, values: typedValues(req.body, ['remindOn']) })
    res.status(400).render('agenda/event.njk', v.locals)
  })

  router.post('/agenda/:id/rappels/:reminder/supprimer', async (req, res) => {
    const rid = Number(req.params.reminder)
    await agenda.removeReminder(req.actor!, req.params.id, Number.isSafeInteger(rid) ? rid : -1)
    req.session.flash = { type: 'success', text: 'Le rappel est supprimé.' }
    res.redirect(303, `/agenda/${req.params.id}`)
  })

  router.get('/agenda/:id/rendez-vous.ics', async (req, res) => {
    const ics = await agenda.eventIcs(req.actor!, req.params.id)
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
