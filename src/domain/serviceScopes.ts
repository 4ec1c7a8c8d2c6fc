/**
 * The scopes a connected service may ask for: one per data category and action (issue 8). The
 * consent page shows each one with its French label; the FHIR API demands the one that matches the
 * resource type and the action.
 */
export type DataCategory = 'patient' | 'observation' | 'document' | 'immunization' | 'appointment'
export type ScopeAction = 'read' | 'write'
export type ServiceScope = `${DataCategory}.${ScopeAction}`

export const SERVICE_SCOPES: Record<string, { category: DataCategory; action: ScopeAction; label: string }> = {
  'patient.read': { category: 'patient', action: 'read', label: 'Lire votre identité (nom, prénoms, date de naissance)' },
  'observation.read': { category: 'observation', action: 'read', label: 'Lire vos mesures (poids, taille, tension, glycémie…)' },
  'observation.write': { category: 'observation', action: 'write', label: 'Ajouter des mesures à votre profil médical' },
  'document.read': { category: 'document', action: 'read', label: 'Lire vos documents (jamais ceux que vous avez masqués)' },
  'document.write': { category: 'document', action: 'write', label: 'Ajouter des documents à votre espace' },
  'immunization.read': { category: 'immunization', action: 'read', label: 'Lire vos vaccinations' },
  'appointment.read': { category: 'appointment', action: 'read', label: 'Lire vos rendez-vous' },
}

// Object.keys() is typed string[]: the keys of SERVICE_SCOPES above are all ServiceScopes.
export const ALL_SERVICE_SCOPES = Object.keys(SERVICE_SCOPES) as ServiceScope[]

/** The scopes of a space-separated scope string that are data scopes, in the catalogue's order. */
export function serviceScopesOf(scope: string | string[] | undefined | null): ServiceScope[] {
  const set = new Set(Array.isArray(scope) ? scope : String(scope ?? '').split(/\s+/))
  return ALL_SERVICE_SCOPES.filter((s) => set.has(s))
}

/** The FHIR resource types and the data category each belongs to. */
export const RESOURCE_CATEGORY: Record<string, DataCategory> = {
  Patient: 'patient',
  Observation: 'observation',
  DocumentReference: 'document',
  Immunization: 'immunization',
  Appointment: 'appointment',
}

export function scopeFor(resourceType: string, action: ScopeAction): ServiceScope | undefined {
  const category = RESOURCE_CATEGORY[resourceType]
  return category ? `${category}.${action}` : undefined
}

/**
 * The catalogue's requests (category:access, src/domain/consent.ts) and the OAuth scopes: one truth,
 * the catalogue consent, read through this table for a client linked to a catalogue service.
 */
export const REQUEST_SCOPE: Record<string, ServiceScope> = {
  'identite:read': 'patient.read',
  'mesures:read': 'observation.read',
  'mesures:write': 'observation.write',
  'documents:read': 'document.read',
  'documents:write': 'document.write',
  'vaccinations:read': 'immunization.read',
  'agenda:read': 'appointment.read',
}

export const SCOPE_REQUEST: Record<string, string> = Object.fromEntries(Object.entries(REQUEST_SCOPE).map(([k, v]) => [v, k]))

/** The scopes a set of catalogue request keys grants (requests without a FHIR scope give none). */
export function scopesOfRequests(keys: readonly string[]): ServiceScope[] {
  const set = new Set(keys.map((k) => REQUEST_SCOPE[k]).filter(Boolean))
  return ALL_SERVICE_SCOPES.filter((s) => set.has(s))
}
