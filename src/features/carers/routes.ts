import { de } from '../../domain/french'
import { Router, type RequestHandler } from 'express'
import type { Services } from '../../services'
import { requirePatient, signedInRoutes } from '../../middleware/auth'
import { CARER_RIGHT_CHOICES, INVITATION_SENT, INVITE_MESSAGES, MAX_CARERS_PER_PERSON, checkCarerRights } from '../../domain/carers'
import { addError, checkDate, dateParts, emptyErrors, hasErrors } from '../../validation'
import { isoDate } from '../../domain/parisTime'
import { regenerateSession } from '../account/sessionHelpers'
import { identityValues, readNirAndBirthDate } from '../spaces/forms'
import { formBody } from '../../middleware/forms'

const INVITE_TITLE = 'Inviter un aidant'

/** The rights checkboxes of the invitation, ticked as chosen. */
const rightItems = (chosen: readonly string[]) =>
  CARER_RIGHT_CHOICES.map((c) => ({ value: c.value, text: c.text, hint: { text: c.hint }, checked: chosen.includes(c.value) }))

/**
 * While acting as a carer, the account pages (credentials, contacts, closure, data download) are
 * refused: a carer may not do any of it for the person helped, and must not do it to their own
 * account by mistake. The access policy decides (resource 'account').
 */
export function carerAccountGuard(services: Services): RequestHandler {
  return async (req, _res, next) => {
    if (req.actor?.acting?.as === 'carer') await services.carers.assertAccountAllowed(req.actor)
    next()
  }
}

/** «Mes aidants» (the holder), the invitations and «Personnes que j'aide» (the carer). */
export function carersRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const { carers } = services
  router.use('/aidants', requirePatient)

  forPatients.get('/aidants', async (_req, res, actor) => {
    if (actor.acting) return res.render('carers/acting.njk', { pageTitle: 'Aidants', acting: actor.acting, selfPersonId: actor.personId })
    const [mine, helping] = await Promise.all([carers.list(actor), carers.helping(actor)])
    const open = mine.filter((d) => ['invited', 'upcoming', 'active'].includes(d.state)).length
    res.render('carers/index.njk', {
      pageTitle: 'Mes aidants',
      mine,
      helping,
      canInvite: open < MAX_CARERS_PER_PERSON,
      max: MAX_CARERS_PER_PERSON,
    })
  })

  forPatients.get('/aidants/inviter', async (_req, res, actor) => {
    await carers.list(actor)
    const [y, m, d] = isoDate().split('-')
    res.render('carers/invite.njk', {
      pageTitle: INVITE_TITLE,
      // SPEC §3: by default, all three rights.
      rightItems: rightItems(CARER_RIGHT_CHOICES.map((c) => c.value)),
      values: { startsOn: { day: String(Number(d)), month: String(Number(m)), year: y } },
    })
  })

  forPatients.post('/aidants/inviter', async (req, res, actor) => {
    const errors = emptyErrors()
    const { nir, birthDate } = readNirAndBirthDate(formBody(req), errors, 'le numéro de sécurité sociale de votre aidant')
    const start = checkDate(dateParts(formBody(req), 'startsOn'), 'la date de début')
    if (!start.ok) addError(errors, 'startsOn', start.message, `startsOn-${start.part}`)
    const endParts = dateParts(formBody(req), 'endsOn')
    const hasEnd = Boolean(endParts.day || endParts.month || endParts.year)
    const endCheck = hasEnd ? checkDate(endParts, 'la date de fin') : undefined
    if (endCheck && !endCheck.ok) addError(errors, 'endsOn', endCheck.message, `endsOn-${endCheck.part}`)
    // Checkboxes named `droits[]` (one name per group, as html-validate wants; the parser is not extended).
    const chosen = [formBody(req)['droits[]'] ?? formBody(req).droits ?? []].flat().filter((v) => typeof v === 'string')
    const rights = checkCarerRights(chosen)
    if (!rights.ok) addError(errors, 'droits', rights.message)
    const values = { ...identityValues(formBody(req)), startsOn: dateParts(formBody(req), 'startsOn'), endsOn: endParts }
    const again = () =>
      res.status(400).render('carers/invite.njk', { pageTitle: INVITE_TITLE, rightItems: rightItems(chosen), values, errors })
    if (hasErrors(errors) || !nir || !birthDate || !start.ok || !rights.ok) return again()
    const r = await carers.invite(actor, {
      nir,
      birthDate,
      startsOn: start.value,
      endsOn: endCheck?.ok ? endCheck.value : null,
      rights: rights.rights,
    })
    if (!r.ok) {
      if (r.reason === 'period') addError(errors, r.field, r.message!, `${r.field}-day`)
      else addError(errors, 'nir', INVITE_MESSAGES[r.reason])
      return again()
    }
    // The same answer whoever the NIR and date of birth belong to, or if they belong to nobody (SPEC §3).
    req.session.flash = { type: 'success', text: INVITATION_SENT }
    res.redirect(303, '/aidants')
  })

  forPatients.post('/aidants/:id/accepter', async (req, res, actor) => {
    await carers.accept(actor, req.params.id)
    req.session.flash = { type: 'success', text: "Vous êtes maintenant aidant. L'attestation est disponible sur cette page." }
    res.redirect(303, '/aidants')
  })

  forPatients.post('/aidants/:id/fin', async (req, res, actor) => {
    await carers.end(actor, req.params.id)
    req.session.flash = {
      type: 'success',
      text: 'C’est fait. Une attestation est disponible sur cette page quand une délégation prend fin.',
    }
    res.redirect(303, '/aidants')
  })

  // «Agir pour» a helped person: a new session id, the banner, every action logged as carer.
  forPatients.post('/aidants/agir', async (req, res, actor) => {
    const target = String(formBody(req).profil ?? '')
    const r = await carers.switchTarget(actor, target)
    const keep = {
      auth: req.session.auth!,
      lastSeenAt: req.session.lastSeenAt,
      idleLimitMs: req.session.idleLimitMs,
      assisted: req.session.assisted,
    }
    const oldSid = req.sessionID
    await regenerateSession(req)
    Object.assign(req.session, keep)
    req.session.auth = { ...keep.auth, actingPersonId: target }
    req.session.flash = { type: 'info', text: `Vous agissez maintenant en tant qu'aidant ${de(r.displayName)}.` }
    await services.devices.renameSession(oldSid, req.sessionID)
    res.redirect(303, '/mon-espace')
  })

  forPatients.get('/aidants/attestations/:id', async (req, res, actor) => {
    const a = await carers.attestation(actor, req.params.id)
    res.setHeader('Content-Type', 'application/pdf')
    res.setHeader('Content-Disposition', `attachment; filename="attestation-aidant-${a.kind === 'acceptance' ? 'acceptation' : 'fin'}.pdf"`)
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.send(a.pdf)
  })

  return router
}
