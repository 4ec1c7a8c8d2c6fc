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
    title: 'Mon profil',
    links: [
      { href: '/activer-mon-profil', text: 'Activer mon profil' },
      { href: '/opposition', text: "M'opposer à la création de mon profil" },
      { href: '/nouveau-code', text: 'Recevoir un nouveau code' },
      { href: '/connexion', text: 'Me connecter' },
      { href: '/connexion/identifiant-oublie', text: 'Identifiant oublié' },
      { href: '/connexion/mot-de-passe-oublie', text: 'Mot de passe oublié' },
      { href: '/mon-espace', text: 'Accueil de mon espace (connexion requise)' },
      { href: '/mon-compte', text: 'Mon compte (connexion requise)' },
      { href: '/agenda', text: 'Agenda (connexion requise)' },
      { href: '/agenda/recommandations', text: 'Examens et vaccins recommandés (connexion requise)' },
      { href: '/profil-medical/vaccinations', text: 'Vaccinations (connexion requise)' },
      { href: '/conditions-generales-d-utilisation', text: "Conditions générales d'utilisation" },
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
