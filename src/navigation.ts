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
    { href: '/mes-professionnels', text: 'Mes professionnels de santé', match: '/mes-professionnels' },
    { href: '/remboursements', text: 'Mes remboursements', match: '/remboursements' },
    { href: '/catalogue', text: 'Catalogue de services', match: '/catalogue' },
    { href: '/mes-autorisations', text: 'Mes autorisations', match: '/mes-autorisations' },
    { href: '/historique', text: "Historique d'activité", match: '/historique' },
  ],
  professional: [{ href: '/pro/patient', text: 'Trouver un patient', match: '/pro/patient' }],
  agent: [],
  operator: [
    { href: '/back-office/remboursements', text: 'Import des remboursements', match: '/back-office/remboursements' },
    { href: '/back-office/signalements', text: 'Signalements sur les services', match: '/back-office/signalements' },
  ],
}

export const ACCOUNT_LINKS: Record<AccountKind, { home: string; account?: { href: string; text: string }; signOut: string }> = {
  patient: { home: '/mon-espace', account: { href: '/mon-compte', text: 'Mon compte' }, signOut: '/deconnexion' },
  professional: { home: '/pro', signOut: '/pro/deconnexion' },
  agent: { home: '/france-services', signOut: '/france-services/deconnexion' },
  operator: { home: '/back-office', signOut: '/back-office/deconnexion' },
}
