import { Router, type Request } from 'express'
import { counterIdentity } from '../france-services/assisted'
import type { Services } from '../../services'
import { addError, emptyErrors } from '../../validation'
import { clientAddress } from '../account/sessionHelpers'
import { MISMATCH_MESSAGE } from '../spaces/holder'
import { identityValues, readCode, readNirAndBirthDate } from '../spaces/forms'
import type { OppositionReceipt } from './service'
import { formBody } from '../../middleware/forms'
import { setJourney } from '../../middleware/journeys'

declare module 'express-session' {
  interface Journeys {
    /** The person whose code, NIR and date of birth matched, until the confirmation (deadline: ISO string). */
    opposition?: { personId: string; codeId: number; deadline: string }
    oppositionReceipt?: OppositionReceipt
  }
}

const TITLE = "M'opposer à la création de mon profil"

/** «M'opposer à la création de mon profil»: code + NIR + date of birth → confirmation → receipt. */
export function oppositionRoutes(services: Services): Router {
  const router = Router()
  const { opposition } = services
  const pending = (req: Request) => req.session.journeys?.opposition

  router.get('/opposition', async (req, res) => {
    res.render('opposition/start.njk', { pageTitle: TITLE, values: await counterIdentity(req, services) })
  })

  router.post('/opposition', async (req, res) => {
    const errors = emptyErrors()
    const code = readCode(formBody(req), errors)
    const { nir, birthDate } = readNirAndBirthDate(formBody(req), errors)
    const again = () =>
      res.status(400).render('opposition/start.njk', { pageTitle: TITLE, values: identityValues(formBody(req), true), errors })
    if (!code || !nir || !birthDate) return again()
    const r = await opposition.check({ code, nir, birthDate }, clientAddress(req))
    if (r.kind === 'mismatch') {
      addError(errors, 'code', MISMATCH_MESSAGE)
      return again()
    }
    if (r.kind === 'refused')
      return res
        .status(400)
        .render('opposition/refused.njk', { pageTitle: TITLE, reason: r.reason, opposedAt: r.opposedAt, reference: r.reference })
    if (r.kind !== 'ok') return res.status(400).render('activation/code-invalid.njk', { pageTitle: TITLE, reason: r.kind })
    setJourney(req, 'opposition', { personId: r.personId, codeId: r.codeId, deadline: r.deadline.toISOString() })
    res.redirect(303, '/opposition/confirmation')
  })

  router.get('/opposition/confirmation', (req, res) => {
    const p = pending(req)
    if (!p) return res.redirect(303, '/opposition')
    res.render('opposition/confirm.njk', { pageTitle: 'Confirmer mon opposition', deadline: p.deadline })
  })

  router.post('/opposition/confirmation', async (req, res) => {
    const p = pending(req)
    if (!p) return res.redirect(303, '/opposition')
    if (formBody(req).confirm !== 'yes') {
      const errors = addError(
        emptyErrors(),
        'confirm',
        "Cochez la case pour confirmer votre opposition, ou revenez à l'accueil si vous ne souhaitez pas vous opposer",
      )
      return res.status(400).render('opposition/confirm.njk', { pageTitle: 'Confirmer mon opposition', deadline: p.deadline, errors })
    }
    const r = await opposition.oppose(p.personId, p.codeId)
    setJourney(req, 'opposition', undefined)
    if (!r.ok) {
      return r.reason === 'code_gone'
        ? res.status(400).render('activation/code-invalid.njk', { pageTitle: TITLE, reason: 'code_expired' })
        : res.status(400).render('opposition/refused.njk', { pageTitle: TITLE, reason: 'created' })
    }
    setJourney(req, 'oppositionReceipt', r.receipt)
    res.redirect(303, '/opposition/accuse-de-reception')
  })

  router.get('/opposition/accuse-de-reception', (req, res) => {
    const receipt = req.session.journeys?.oppositionReceipt
    if (!receipt) return res.redirect(303, '/opposition')
    res.setHeader('Cache-Control', 'no-store')
    res.render('opposition/receipt.njk', { pageTitle: 'Accusé de réception de votre opposition', receipt })
  })

  return router
}
