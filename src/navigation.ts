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
    { href: '/mon-espace/services-connectes', text: 'Services connectés', match: '/mon-espace/services-connectes' },
  ],
  professional: [],
  agent: [],
  operator: [{ href: '/back-office/clients', text: 'Services connectés', match: '/back-office/clients' }],
}

export const ACCOUNT_LINKS: Record<AccountKind, { home: string; account?: { href: string; text: string }; signOut: string }> = {
  patient: { home: '/mon-espace', account: { href: '/mon-compte', text: 'Mon compte' }, signOut: '/deconnexion' },
  professional: { home: '/pro', signOut: '/pro/deconnexion' },
  agent: { home: '/france-services', signOut: '/france-services/deconnexion' },
  operator: { home: '/back-office', signOut: '/back-office/deconnexion' },
}
