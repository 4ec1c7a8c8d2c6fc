import type { AccountKind } from './domain/actor'

/**
 * The main navigation of each kind of account. Features add their entry here when they land.
 * `match` is the path prefix that marks the item as the current one.
 */
export interface NavItem {
  href: string
  text: string
  match?: string
}

export const NAVIGATION: Record<AccountKind, NavItem[]> = {
  patient: [
    { href: '/mon-espace', text: 'Accueil' },
    { href: '/documents', text: 'Mes documents', match: '/documents' },
    { href: '/messagerie', text: 'Messagerie', match: '/messagerie' },
    { href: '/profil-medical', text: 'Profil médical', match: '/profil-medical' },
    { href: '/mes-professionnels', text: 'Mes professionnels de santé', match: '/mes-professionnels' },
    { href: '/agenda', text: 'Agenda', match: '/agenda' },
    { href: '/remboursements', text: 'Mes remboursements', match: '/remboursements' },
    { href: '/catalogue', text: 'Catalogue de services', match: '/catalogue' },
    { href: '/mes-autorisations', text: 'Mes autorisations', match: '/mes-autorisations' },
    { href: '/historique', text: "Historique d'activité", match: '/historique' },
    { href: '/aidants', text: 'Aidants', match: '/aidants' },
    { href: '/mon-espace/services-connectes', text: 'Services connectés', match: '/mon-espace/services-connectes' },
  ],
  professional: [
    { href: '/pro/patient', text: 'Trouver un patient', match: '/pro/patient' },
    { href: '/pro/messagerie', text: 'Messagerie', match: '/pro/messagerie' },
  ],
  agent: [
    { href: '/france-services', text: 'Accueil' },
    { href: '/france-services/accompagner', text: 'Accompagner une personne', match: '/france-services/personne' },
    { href: '/france-services/fiche-aide', text: "Fiche d'aide à imprimer" },
  ],
  operator: [
    { href: '/back-office', text: 'Accueil' },
    { href: '/back-office/import', text: 'Importer des assurés', match: '/back-office/import' },
    { href: '/back-office/campagne', text: "Campagne d'information", match: '/back-office/campagne' },
    { href: '/back-office/creation-automatique', text: 'Création automatique', match: '/back-office/creation-automatique' },
    { href: '/back-office/opposition-telephone', text: 'Opposition par téléphone', match: '/back-office/opposition-telephone' },
    { href: '/back-office/courriers', text: 'Courriers à imprimer', match: '/back-office/courriers' },
    { href: '/back-office/chiffres', text: 'Chiffres', match: '/back-office/chiffres' },
    { href: '/back-office/journal', text: "Vérifier le journal d'activité", match: '/back-office/journal' },
    { href: '/back-office/remboursements', text: 'Import des remboursements', match: '/back-office/remboursements' },
    { href: '/back-office/signalements', text: 'Signalements sur les services', match: '/back-office/signalements' },
    { href: '/back-office/clients', text: 'Services connectés', match: '/back-office/clients' },
    { href: '/back-office/matrice-acces', text: "Matrice d'accès", match: '/back-office/matrice-acces' },
    { href: '/back-office/catalogue', text: 'Catalogue de services', match: '/back-office/catalogue' },
  ],
}

export const ACCOUNT_LINKS: Record<AccountKind, { home: string; account?: { href: string; text: string }; signOut: string }> = {
  patient: { home: '/mon-espace', account: { href: '/mon-compte', text: 'Mon compte' }, signOut: '/deconnexion' },
  professional: { home: '/pro', signOut: '/pro/deconnexion' },
  agent: { home: '/france-services', signOut: '/france-services/deconnexion' },
  operator: { home: '/back-office', signOut: '/back-office/deconnexion' },
}
