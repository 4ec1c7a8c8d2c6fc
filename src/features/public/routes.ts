import { Router } from 'express'
import { sitemapFor } from './sitemap'

/** Public pages: cacheable for a short while, no session needed. */
export function publicRoutes(): Router {
  const router = Router()
  const page = (path: string, view: string, pageTitle: string, extra: Record<string, unknown> = {}) =>
    router.get(path, (_req, res) => {
      if (!res.getHeader('Cache-Control')) res.setHeader('Cache-Control', 'public, max-age=300')
      res.render(view, { pageTitle, ...extra })
    })
  page('/', 'public/home.njk', 'Accueil')
  page('/accessibilite', 'public/accessibilite.njk', "Déclaration d'accessibilité")
  page('/accessibilite/schema-pluriannuel', 'public/schema-pluriannuel.njk', 'Schéma pluriannuel de mise en accessibilité')
  page('/mentions-legales', 'public/mentions-legales.njk', 'Mentions légales')
  page('/donnees-personnelles', 'public/donnees-personnelles.njk', 'Données personnelles')
  page('/aide', 'public/aide.njk', 'Aide')
  // The same address for everyone, its links by the visitor's role: a shared cache keeps the signed-out one only.
  router.get('/plan-du-site', (req, res) => {
    res.setHeader('Vary', 'Cookie')
    if (!res.getHeader('Cache-Control')) res.setHeader('Cache-Control', 'public, max-age=300')
    res.render('public/plan-du-site.njk', { pageTitle: 'Plan du site', sections: sitemapFor(req.actor?.kind) })
  })
  return router
}
