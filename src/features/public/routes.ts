import { Router } from 'express'
import { SITEMAP } from './sitemap'

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
  page('/plan-du-site', 'public/plan-du-site.njk', 'Plan du site', { sections: SITEMAP })
  return router
}
