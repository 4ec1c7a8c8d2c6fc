import { Router } from 'express'
import { noStore } from '../../middleware/security'
import type { Db } from '../../infrastructure/database'
import { devRepository } from './repository'

/**
 * «Courriels et SMS envoyés»: the development outbox, where a newcomer reads the codes and letters
 * the system sent. This router is only mounted outside production (see createApp).
 */
export function devRoutes(db: Db): Router {
  const router = Router()
  router.get('/dev/outbox', noStore, async (req, res) => {
    const to = typeof req.query.destinataire === 'string' ? req.query.destinataire.trim() : ''
    const messages = await devRepository.latestOutbox(db, to || undefined)
    res.render('dev/outbox.njk', { pageTitle: 'Courriels et SMS envoyés', messages, to })
  })
  return router
}
