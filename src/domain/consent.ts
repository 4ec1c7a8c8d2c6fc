/**
 * Consent to a connected service (SPEC §10). A service asks, in a numbered version of its
 * requests, to read or write some data categories. The patient ticks, per request, what they
 * allow; the consent covers (service, version, what was asked, what was ticked).
 * When the service publishes a new version that asks something new, the new requests are NOT
 * granted until the patient consents again; what was granted and is still asked stays granted.
 */
export const DATA_CATEGORIES = {
  documents: 'Documents de santé',
  mesures: 'Mesures (poids, tension, glycémie…)',
  traitements: 'Traitements',
  vaccinations: 'Vaccinations',
  profil: 'Profil médical (allergies, antécédents)',
  agenda: 'Agenda et rendez-vous',
  remboursements: 'Remboursements',
  identite: 'Identité et coordonnées',
} as const

export type DataCategory = keyof typeof DATA_CATEGORIES
export type Access = 'read' | 'write'

export interface ServiceRequest {
  category: DataCategory
  access: Access
}

/** A request as one string, the value of its checkbox: 'mesures:read'. */
export type RequestKey = `${DataCategory}:${Access}`

export const ACCESS_LABELS: Record<Access, string> = { read: 'consulter', write: 'ajouter ou modifier' }

export function requestKey(r: ServiceRequest): RequestKey {
  return `${r.category}:${r.access}`
}

export function isDataCategory(v: string): v is DataCategory {
  return Object.prototype.hasOwnProperty.call(DATA_CATEGORIES, v)
}

export function parseRequestKey(key: string): ServiceRequest | null {
  const [category, access, ...rest] = key.split(':')
  if (rest.length || !isDataCategory(category) || (access !== 'read' && access !== 'write')) return null
  return { category, access }
}

/** «Consulter vos mesures (poids, tension…)» style label for a checkbox. */
export function requestLabel(r: ServiceRequest): string {
  const verb = ACCESS_LABELS[r.access]
  return `${verb.charAt(0).toUpperCase()}${verb.slice(1)} : ${DATA_CATEGORIES[r.category]}`
}

export interface ServiceVersion {
  version: number
  requests: ServiceRequest[]
}

export interface Consent {
  version: number
  /** What the service asked when the patient answered. */
  asked: string[]
  /** What the patient ticked. */
  granted: string[]
}

export interface ConsentState {
  /** Requests the service may use now. */
  effective: RequestKey[]
  /** Requests of the current version the patient has never been asked. */
  newRequests: RequestKey[]
  /** True when the current version asks something new: «Ce service demande de nouvelles autorisations». */
  needsReconsent: boolean
}

export function consentState(current: ServiceVersion, consent: Consent | null | undefined): ConsentState {
  if (!consent) return { effective: [], newRequests: current.requests.map(requestKey), needsReconsent: false }
  const keys = current.requests.map(requestKey)
  const asked = new Set(consent.asked)
  const granted = new Set(consent.granted)
  const effective = keys.filter((k) => granted.has(k))
  const newRequests = consent.version >= current.version ? [] : keys.filter((k) => !asked.has(k))
  return { effective, newRequests, needsReconsent: newRequests.length > 0 }
}

export type ConsentChoice = { ok: true; granted: RequestKey[] } | { ok: false; message: string }

/**
 * Checks the boxes a patient ticked against what the current version asks: unknown values are
 * refused (a tampered form), at least one box must be ticked.
 */
export function checkChoice(current: ServiceVersion, ticked: string[]): ConsentChoice {
  const keys = new Set<string>(current.requests.map(requestKey))
  const unique = [...new Set(ticked)]
  if (unique.some((k) => !keys.has(k))) return { ok: false, message: 'Choisissez parmi les autorisations proposées' }
  if (!unique.length) return { ok: false, message: 'Cochez au moins une autorisation pour connecter ce service' }
  return { ok: true, granted: current.requests.map(requestKey).filter((k) => unique.includes(k)) }
}

/** The data categories a service may read or write now (the FHIR API asks this). */
export function grantedCategories(effective: string[]): { category: DataCategory; access: Access }[] {
  return effective.map(parseRequestKey).filter((r): r is ServiceRequest => r !== null)
}
