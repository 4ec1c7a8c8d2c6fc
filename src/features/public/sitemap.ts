import { NAVIGATION, type NavItem } from '../../navigation'
import { LIST_SECTIONS } from '../../domain/profileSections'
import type { AccountKind } from '../../domain/actor'

/**
 * The site map (issue 16 §5): the public pages, then every section a signed-in person can reach, per
 * role (each main menu comes from src/navigation.ts, so a new entry shows here too), with the door
 * each role signs in by. Pages behind a sign-in say so.
 */
export interface SitemapSection {
  title: string
  /** One sentence under the title (who the section is for). */
  intro?: string
  /** The role whose pages (behind a sign-in) the section lists. */
  role?: AccountKind
  /** `href` absent: a page listed for another role than the visitor's, named without a link (it would answer 403). */
  links: { href?: string; text: string }[]
}

const SIGNED_IN = ' (connexion requise)'
const signedIn = (items: { href: string; text: string }[]) => items.map((l) => ({ href: l.href, text: `${l.text}${SIGNED_IN}` }))
const menu = (items: NavItem[]) => items.map((i) => ({ href: i.href, text: i.text }))

export const SITEMAP: SitemapSection[] = [
  {
    title: 'Mon espace santé',
    links: [
      { href: '/', text: 'Accueil' },
      { href: '/aide', text: 'Aide' },
      { href: '/ce-qui-change-a-18-ans', text: 'Ce qui change à 18 ans' },
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
      { href: '/conditions-generales-d-utilisation', text: "Conditions générales d'utilisation" },
    ],
  },
  {
    title: 'Mon espace',
    role: 'patient',
    intro: 'Pour la personne titulaire, ses représentants légaux et ses aidants, après la connexion.',
    links: signedIn([
      ...menu(NAVIGATION.patient),
      { href: '/documents/ajouter', text: 'Ajouter un document' },
      { href: '/messagerie/ecrire', text: 'Écrire à un professionnel de santé' },
      { href: '/profil-medical/mesures', text: 'Mesures' },
      { href: '/profil-medical/vaccinations', text: 'Vaccinations' },
      ...LIST_SECTIONS.map((s) => ({ href: `/profil-medical/${s.slug}`, text: s.title })),
      { href: '/profil-medical/entourage', text: 'Entourage et volontés' },
      { href: '/profil-medical/synthese', text: 'Synthèse du profil médical' },
      { href: '/agenda/nouveau', text: 'Ajouter un rendez-vous' },
      { href: '/agenda/recommandations', text: 'Examens et vaccins recommandés' },
      { href: '/changer-de-profil', text: 'Changer de profil (enfants, personnes aidées)' },
      { href: '/enfants/ajouter', text: 'Ajouter un enfant' },
      { href: '/aidants/inviter', text: 'Inviter un aidant' },
      { href: '/mon-compte', text: 'Mon compte' },
      { href: '/mon-compte/coordonnees', text: 'Mes coordonnées' },
      { href: '/mon-compte/mot-de-passe', text: 'Changer mon mot de passe' },
      { href: '/mon-compte/notifications', text: 'Mes notifications' },
      { href: '/mon-compte/appareils', text: 'Appareils connectés' },
      { href: '/mon-compte/telecharger-mes-donnees', text: 'Télécharger mes données' },
      { href: '/mon-compte/fermer', text: 'Fermer mon profil' },
    ]),
  },
  {
    title: 'Professionnels de santé',
    role: 'professional',
    intro: 'Pour les professionnels de santé, avec leur numéro RPPS.',
    links: [{ href: '/pro/connexion', text: 'Connexion des professionnels de santé' }, ...signedIn(menu(NAVIGATION.professional))],
  },
  {
    title: 'Conseillers France Services',
    role: 'agent',
    intro: 'Pour les conseillers qui accompagnent les personnes au guichet.',
    links: [{ href: '/france-services/connexion', text: 'Connexion des conseillers France Services' }, ...signedIn(menu(NAVIGATION.agent))],
  },
  {
    title: "Agents de l'Assurance Maladie",
    role: 'operator',
    intro: "Pour les agents des caisses d'Assurance Maladie (back-office).",
    links: [{ href: '/back-office/connexion', text: "Connexion des agents de l'Assurance Maladie" }, ...signedIn(menu(NAVIGATION.operator))],
  },
  {
    title: 'Informations',
    links: [
      { href: '/accessibilite', text: "Déclaration d'accessibilité" },
      { href: '/accessibilite/schema-pluriannuel', text: 'Schéma pluriannuel de mise en accessibilité' },
      { href: '/mentions-legales', text: 'Mentions légales' },
      { href: '/donnees-personnelles', text: 'Données personnelles' },
      { href: '/plan-du-site', text: 'Plan du site' },
    ],
  },
]

/**
 * The site map as `visitor` sees it. Signed out: every link (a page behind a sign-in leads to its sign-in
 * page). Signed in: the pages of the other roles are still named, but without a link, since they would
 * answer «Accès refusé»; their sign-in doors stay links.
 */
export function sitemapFor(visitor: AccountKind | undefined): SitemapSection[] {
  if (!visitor) return SITEMAP
  return SITEMAP.map((section) =>
    !section.role || section.role === visitor
      ? section
      : { ...section, links: section.links.map((l) => (l.text.endsWith(SIGNED_IN) ? { text: l.text.slice(0, -SIGNED_IN.length) } : l)) },
  )
}
