/**
 * Carers («aidants», SPEC §3): pure rules. Dates are 'YYYY-MM-DD' (Paris), instants are Date.
 */
export const MAX_CARERS_PER_PERSON = 3
export const MAX_HELPED_PER_CARER = 5
export const INVITATION_VALIDITY_DAYS = 14

export type DelegationStatus = 'invited' | 'active' | 'declined' | 'revoked' | 'cancelled'

export interface DelegationFacts {
  status: DelegationStatus
  invitation_expires_at: Date | string
  starts_on: string
  ends_on: string | null
}

/** What a delegation is today, for people to read. */
export type Effective = 'invited' | 'invitation_expired' | 'upcoming' | 'active' | 'ended' | 'declined' | 'revoked' | 'cancelled'

export function effective(d: DelegationFacts, now: Date, today: string): Effective {
  switch (d.status) {
    case 'invited':
      return new Date(d.invitation_expires_at).getTime() > now.getTime() ? 'invited' : 'invitation_expired'
    case 'active':
      if (d.ends_on && d.ends_on < today) return 'ended'
      return d.starts_on > today ? 'upcoming' : 'active'
    default:
      return d.status
  }
}

/** Whether a delegation takes one of the 3 places of the person (and one of the carer's 5). */
export function takesAPlace(d: DelegationFacts, now: Date, today: string): boolean {
  const e = effective(d, now, today)
  return e === 'invited' || e === 'upcoming' || e === 'active'
}

export const EFFECTIVE_LABELS: Record<Effective, string> = {
  invited: 'Invitation envoyée',
  invitation_expired: 'Invitation expirée',
  upcoming: 'Acceptée, commence plus tard',
  active: 'Active',
  ended: 'Terminée',
  declined: 'Refusée',
  revoked: 'Révoquée',
  cancelled: 'Annulée',
}

export type InviteRefusal = 'self' | 'not_found' | 'already' | 'too_many_carers' | 'carer_full'

export interface InviteFacts {
  personId: string
  /** The person found by NIR + date of birth, if any, with whether their space is activated. */
  candidate?: { personId: string; activated: boolean }
  /** Delegations of the person that take a place (any carer). */
  placesTaken: number
  /** Delegations of the candidate as a carer that take a place. */
  candidateHelping: number
  /** An open delegation between the two already exists. */
  alreadyLinked: boolean
}

export function checkInvite(f: InviteFacts): { ok: true } | { ok: false; reason: InviteRefusal } {
  if (!f.candidate || !f.candidate.activated) return { ok: false, reason: 'not_found' }
  if (f.candidate.personId === f.personId) return { ok: false, reason: 'self' }
  if (f.alreadyLinked) return { ok: false, reason: 'already' }
  if (f.placesTaken >= MAX_CARERS_PER_PERSON) return { ok: false, reason: 'too_many_carers' }
  if (f.candidateHelping >= MAX_HELPED_PER_CARER) return { ok: false, reason: 'carer_full' }
  return { ok: true }
}

export const INVITE_MESSAGES: Record<InviteRefusal, string> = {
  self: 'Vous ne pouvez pas être votre propre aidant',
  not_found:
    "Nous ne trouvons pas de profil activé pour ce numéro de sécurité sociale et cette date de naissance. La personne doit d'abord activer son profil Mon espace santé.",
  already: 'Cette personne est déjà votre aidant, ou une invitation lui a déjà été envoyée',
  too_many_carers: `Vous avez déjà ${MAX_CARERS_PER_PERSON} aidants (ou invitations en cours) : retirez-en un avant d'en inviter un autre`,
  carer_full: `Cette personne aide déjà ${MAX_HELPED_PER_CARER} personnes : elle ne peut pas en aider davantage`,
}

/** Start date: today or later; end date (optional): after the start. */
export function checkPeriod(
  startsOn: string,
  endsOn: string | null,
  today: string,
): { ok: true } | { ok: false; field: 'startsOn' | 'endsOn'; message: string } {
  if (startsOn < today) return { ok: false, field: 'startsOn', message: "La date de début doit être aujourd'hui ou plus tard" }
  if (endsOn && endsOn < startsOn) return { ok: false, field: 'endsOn', message: 'La date de fin doit être après la date de début' }
  return { ok: true }
}
