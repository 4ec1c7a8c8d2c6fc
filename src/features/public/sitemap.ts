/**
 * The site map: every feature adds its entry points here (public ones, and the main pages of
 * each signed-in space, which ask to sign in first).
 */
export interface SitemapSection {
  title: string
  links: { href: string; text: string }[]
}

export const SITEMAP: SitemapSection[] = [
  {
    title: 'Mon espace santé',
    links: [
      { href: '/', text: 'Accueil' },
      { href: '/aide', text: 'Aide' },
    ],
  },
  {
    title: 'Informations',
    links: [
      { href: '/accessibilite', text: "Déclaration d'accessibilité" },
      { href: '/mentions-legales', text: 'Mentions légales' },
      { href: '/donnees-personnelles', text: 'Données personnelles' },
      { href: '/plan-du-site', text: 'Plan du site' },
    ],
  },
]
