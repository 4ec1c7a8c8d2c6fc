import crypto from 'node:crypto'
import { CODE_ALPHABET } from './provisionalCode'
import { anniversary } from './age'
import { dateOnly } from './parisTime'

/**
 * The space lifecycle (SPEC §2): notified → activated | opposed | auto_created; auto_created →
 * activated; activated/auto_created → closed → activated (reopened). Pure rules, dates in Paris time
 * handled by the caller (dates are 'YYYY-MM-DD' strings, instants are Date).
 */
export type SpaceState = 'not_notified' | 'notified' | 'activated' | 'opposed' | 'auto_created' | 'closed'

/** One person's space state, as a France Services agent or an Assurance Maladie operator reads it. */
export const SPACE_STATE_LABELS: Record<SpaceState, string> = {
  not_notified: "Information pas encore envoyée par l'Assurance Maladie",
  notified: 'Information envoyée, profil pas encore activé',
  activated: 'Profil activé',
  opposed: 'Opposition enregistrée : profil non créé',
  auto_created: 'Profil créé automatiquement, jamais activé',
  closed: 'Profil fermé',
}

export const DAY_MS = 24 * 60 * 60 * 1000
/** Without opposition, the space is created 6 weeks after the notice was sent. */
export const OPPOSITION_PERIOD_DAYS = 42
export const ARCHIVE_YEARS = 10
export const DELETION_MONTHS = 3

export interface SpaceFacts {
  state: SpaceState
  notified_at?: Date | string | null
  closed_at?: Date | string | null
  archive_until?: Date | string | null
  deletion_requested_at?: Date | string | null
}

/** The last instant an opposition is accepted: the notice date + 6 weeks. */
export function oppositionDeadline(notifiedAt: Date | string): Date {
  return new Date(new Date(notifiedAt).getTime() + OPPOSITION_PERIOD_DAYS * DAY_MS)
}

export type OppositionDecision =
  { ok: true; deadline: Date } | { ok: false; reason: 'already_opposed' | 'created' | 'deadline_passed' | 'closed' | 'not_notified' }

/** Opposition is possible while the space is `notified` and its 6 weeks have not passed. */
export function canOppose(space: SpaceFacts, now: Date = new Date()): OppositionDecision {
  switch (space.state) {
    case 'opposed':
      return { ok: false, reason: 'already_opposed' }
    case 'activated':
    case 'auto_created':
      return { ok: false, reason: 'created' }
    case 'closed':
      return { ok: false, reason: 'closed' }
    case 'not_notified':
      return { ok: false, reason: 'not_notified' }
    case 'notified': {
      if (!space.notified_at) return { ok: false, reason: 'not_notified' }
      const deadline = oppositionDeadline(space.notified_at)
      return now.getTime() < deadline.getTime() ? { ok: true, deadline } : { ok: false, reason: 'deadline_passed' }
    }
  }
}

export type ActivationDecision = { ok: true } | { ok: false; reason: 'already_activated' | 'closed' | 'minor' | 'not_notified' }

/**
 * Activation is possible from `notified`, `auto_created` and `opposed` (after a new code), and for a
 * space that a legal representative activated when the person was a minor, once they are adult.
 */
export function canActivate(space: SpaceFacts, opts: { hasAccount: boolean; minor: boolean }): ActivationDecision {
  if (opts.hasAccount) return space.state === 'closed' ? { ok: false, reason: 'closed' } : { ok: false, reason: 'already_activated' }
  switch (space.state) {
    case 'notified':
    case 'auto_created':
    case 'opposed':
    case 'activated':
      return opts.minor ? { ok: false, reason: 'minor' } : { ok: true }
    case 'closed':
      return { ok: false, reason: 'closed' }
    case 'not_notified':
      return { ok: false, reason: 'not_notified' }
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')
const parse = (d: string) => d.split('-').map(Number)

/** Closure: the data are archived 10 years (then deleted), or deleted within 3 months on request. */
export function archiveUntil(closedOn: string): string {
  return anniversary(closedOn, ARCHIVE_YEARS)
}

export function deletionDueDate(requestedOn: string): string {
  const [y, m, d] = parse(requestedOn)
  const month = m - 1 + DELETION_MONTHS
  const year = y + Math.floor(month / 12)
  const mm = (month % 12) + 1
  const last = new Date(Date.UTC(year, mm, 0)).getUTCDate()
  return `${pad(year, 4)}-${pad(mm)}-${pad(Math.min(d, last))}`
}

export type ReopenDecision = { ok: true; until: string } | { ok: false; reason: 'not_closed' | 'archive_over' | 'deleted' }

/** A closed space can be reopened until its data are deleted: the archive's end, or the deletion asked for. */
export function canReopen(space: SpaceFacts, today: string): ReopenDecision {
  if (space.state !== 'closed') return { ok: false, reason: 'not_closed' }
  if (space.deletion_requested_at) {
    const due = deletionDueDate(dateOnly(space.deletion_requested_at))
    return today < due ? { ok: true, until: due } : { ok: false, reason: 'deleted' }
  }
  const until = space.archive_until ? dateOnly(space.archive_until) : space.closed_at ? archiveUntil(dateOnly(space.closed_at)) : undefined
  if (!until) return { ok: false, reason: 'archive_over' }
  return today <= until ? { ok: true, until } : { ok: false, reason: 'archive_over' }
}

/** A reference a person can read out on the phone: «OPP-7Q2K-9D4M». */
export function newReference(prefix: string): string {
  const bytes = crypto.randomBytes(16)
  let s = ''
  for (const b of bytes) {
    if (b >= 256 - (256 % CODE_ALPHABET.length)) continue
    s += CODE_ALPHABET[b % CODE_ALPHABET.length]
    if (s.length === 8) break
  }
  while (s.length < 8) s += CODE_ALPHABET[crypto.randomInt(CODE_ALPHABET.length)]
  return `${prefix}-${s.slice(0, 4)}-${s.slice(4)}`
}
