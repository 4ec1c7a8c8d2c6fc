import { Router } from 'express'
import { requirePatient, signedInRoutes } from '../../middleware/auth'
import type { Services } from '../../services'
import { contentDisposition } from '../documents/routes'

const PAGE = '/mon-compte/telecharger-mes-donnees'
const TITLE = 'Télécharger mes données'

/**
 * «Télécharger mes données» (SPEC §2, in «Mon compte»): ask for the file, see the requests and
 * their state, download a ready file once. The access policy (through the service) decides who.
 */
export function exportRoutes(services: Services): Router {
  const router = Router()
  const forPatients = signedInRoutes(router, 'patient')
  const { dataExport } = services
  router.use(PAGE, requirePatient)

  forPatients.get(PAGE, async (_req, res, actor) => {
    const { items, pending } = await dataExport.list(actor)
    res.render('export/index.njk', {
      pageTitle: TITLE,
      items,
      pending,
      profileName: actor.acting?.displayName,
    })
  })

  forPatients.post(PAGE, async (req, res, actor) => {
    const r = await dataExport.request(actor)
    req.session.flash = r.ok
      ? {
          type: 'success',
          text: 'Votre demande est enregistrée. Le fichier est en préparation : vous recevrez un courriel quand il sera prêt.',
        }
      : { type: 'info', text: 'Une demande est déjà en préparation. Vous recevrez un courriel quand le fichier sera prêt.' }
    res.redirect(303, PAGE)
  })

  forPatients.post(`${PAGE}/:id/telecharger`, async (req, res, actor) => {
    const id = String(req.params.id)
    const r = await dataExport.download(actor, id)
    if (!r.ok) return res.status(410).render('export/unavailable.njk', { pageTitle: 'Ce fichier n’est plus disponible', reason: r.reason })
    res.setHeader('Content-Type', 'application/zip')
    res.setHeader('Content-Length', String(r.size))
    res.setHeader('Content-Disposition', contentDisposition('attachment', r.fileName))
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Cache-Control', 'no-store')
    let complete = false
    try {
      for await (const chunk of r.chunks) {
        if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', resolve))
        if (res.destroyed) break
      }
      complete = !res.destroyed
      res.end()
    } catch (err) {
      // Headers are gone: cut the connection so the client sees an incomplete file, never a wrong one.
      res.destroy(err instanceof Error ? err : undefined)
    }
    if (complete) await dataExport.discard(id)
  })

  // A bookmarked or shared download address: the page says what to do.
  router.get(`${PAGE}/:id/telecharger`, (_req, res) => res.redirect(303, PAGE))
  return router
}
