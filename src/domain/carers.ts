import type { CarerRights } from './accessPolicy'

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

/**
 * What the person who invited sees of a delegation: never whether the invitation reached someone,
 * nor that the invitee declined it (SPEC §3: an invitation never reveals the invitee). A declined
 * invitation reads, and counts among the 3 places, as a pending one until it expires, exactly as an
 * invitation whose NIR and date of birth matched nobody.
 */
export function effectiveForHolder(d: DelegationFacts, now: Date, today: string): Effective {
  return effective(d.status === 'declined' ? { ...d, status: 'invited' } : d, now, today)
}

/** The invitee's name, for the person who invited: only once they have accepted. */
export function nameForHolder(d: {
  accepted_at: Date | string | null
  first_names: string | null
  last_name: string | null
}): string | null {
  return d.accepted_at && d.first_names !== null && d.last_name !== null ? `${d.first_names} ${d.last_name}` : null
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

/** What refuses an invitation outright: only what the person who invites knows already (their own NIR, their own 3 places). */
export type InviteRefusal = 'self' | 'too_many_carers'

export interface InviteFacts {
  personId: string
  /** The person found by NIR + date of birth, if any, with whether their space is activated. */
  candidate?: { personId: string; activated: boolean }
  /** Delegations of the person that take a place (any carer, pending invitations included). */
  placesTaken: number
  /** Delegations of the candidate as a carer that take a place. */
  candidateHelping: number
  /** An open delegation between the two already exists. */
  alreadyLinked: boolean
}

/**
 * An invitation is refused only for what the person who invites knows already; otherwise it is
 * recorded and the answer is the same whether the NIR and date of birth matched someone or not
 * (`deliver`: whether it reaches an invitee: an activated space, not already linked, helping fewer
 * than 5 people; if not, it is kept without an invitee and expires).
 */
export function checkInvite(f: InviteFacts): { ok: true; deliver: boolean } | { ok: false; reason: InviteRefusal } {
  if (f.candidate?.personId === f.personId) return { ok: false, reason: 'self' }
  if (f.placesTaken >= MAX_CARERS_PER_PERSON) return { ok: false, reason: 'too_many_carers' }
  const deliver = !!f.candidate && f.candidate.activated && !f.alreadyLinked && f.candidateHelping < MAX_HELPED_PER_CARER
  return { ok: true, deliver }
}

export const INVITE_MESSAGES: Record<InviteRefusal, string> = {
  self: 'Vous ne pouvez pas être votre propre aidant',
  too_many_carers: `Vous avez déjà ${MAX_CARERS_PER_PERSON} aidants (ou invitations en cours) : retirez-en un avant d'en inviter un autre`,
}

/** The answer to every invitation that is not refused: the same whoever the NIR and date of birth belong to. */
export const INVITATION_SENT =
  "Invitation enregistrée. Si ce numéro de sécurité sociale et cette date de naissance correspondent à une personne qui a activé son profil Mon espace santé, elle la trouvera dans son profil et pourra l'accepter dans les 14 jours. Son nom s'affichera ici quand elle l'aura acceptée."

/** The rights of a delegation (SPEC §3): all three unless the patient chooses otherwise. */
export const DEFAULT_CARER_RIGHTS: CarerRights = { read: true, write: true, messages: true }

/** The checkboxes of the invitation (value → label), in this order. */
export const CARER_RIGHT_CHOICES: { value: keyof CarerRights; text: string; hint: string }[] = [
  {
    value: 'read',
    text: 'Consulter',
    hint: 'Voir vos documents, votre profil médical, votre agenda, vos remboursements et votre historique',
  },
  { value: 'write', text: 'Ajouter et modifier', hint: 'Ajouter des documents et des données, les modifier (jamais les supprimer)' },
  { value: 'messages', text: 'Messagerie', hint: 'Lire vos messages et répondre aux professionnels de santé' },
]

/** Plain words for the rights of a delegation (lists, attestation). */
export function carerRightsText(r: CarerRights): string {
  const parts = [r.read ? 'consulter' : '', r.write ? 'ajouter et modifier' : '', r.messages ? 'messagerie' : ''].filter(Boolean)
  return parts.join(', ')
}

/** The rights chosen on the form (checkbox values), or the error to show next to them. */
export function checkCarerRights(values: readonly string[]): { ok: true; rights: CarerRights } | { ok: false; message: string } {
  const rights: CarerRights = { read: values.includes('read'), write: values.includes('write'), messages: values.includes('messages') }
  if (!rights.read && !rights.write && !rights.messages) return { ok: false, message: 'Choisissez ce que votre aidant pourra faire' }
  if (rights.write && !rights.read)
    return { ok: false, message: 'Pour ajouter et modifier vos documents et vos données, votre aidant doit aussi pouvoir les consulter' }
  return { ok: true, rights }
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
