/**
 * Who is acting. Every service receives an Actor and passes it to the access policy; routes never
 * decide access themselves.
 */
export type AccountKind = 'patient' | 'professional' | 'agent' | 'operator'

/** The role in which the actor reaches a person's space (the activity log records it). */
export type ActingRole =
  | 'patient' // the holder, on their own space
  | 'representative' // a legal representative on an attached child's space
  | 'carer' // an «aidant» within a delegation
  | 'professional'
  | 'agent'
  | 'operator'
  | 'service' // a connected service of the catalogue
  | 'system'

export interface Actor {
  accountId: string
  kind: AccountKind
  displayName: string
  /** The insured person behind a patient account. */
  personId?: string
  /** The professional's directory entry. */
  professionalId?: string
  /** Establishment, France Services structure or caisse. */
  organisation?: string
  /** Profession code for professionals (matrice d'habilitation). */
  profession?: string
  /** The space being acted on, when a patient switched to a child's or helped person's profile. */
  acting?: { personId: string; as: 'patient' | 'representative' | 'carer'; displayName: string }
  /** An assisted session at a France Services counter. */
  assistedBy?: { agentAccountId: string; organisation: string }
  sessionId?: string
  /** A connected service of the catalogue calling the FHIR API with a patient's consent (issue 8). */
  service?: { clientId: string; name: string; personId?: string; tokenScopes?: readonly string[] }
}

export const SYSTEM_ACTOR: Actor = { accountId: 'system', kind: 'operator', displayName: 'Mon espace santé' }

/** A person acting on their own space without being signed in (activation, opposition, a new code). */
export function personActor(personId: string, displayName: string): Actor {
  return { accountId: 'person', kind: 'patient', displayName, personId }
}

/** The person whose space the actor is currently looking at (themselves unless they switched). */
export function subjectPersonId(actor: Actor): string | undefined {
  return actor.acting?.personId ?? actor.personId
}

export function actingRole(actor: Actor): ActingRole {
  if (actor.service) return 'service'
  if (actor.accountId === 'system') return 'system'
  if (actor.kind === 'patient') return actor.acting?.as ?? 'patient'
  return actor.kind
}

/** A connected service acting on the space of the person who consented (it has no account of ours). */
export function serviceActor(clientId: string, name: string, personId?: string, tokenScopes: readonly string[] = []): Actor {
  return {
    accountId: 'service',
    kind: 'patient',
    displayName: name,
    organisation: name,
    service: { clientId, name, personId, tokenScopes },
  }
}
