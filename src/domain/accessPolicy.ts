import type { Actor } from './actor'
import { MAJORITY_AGE } from './age'

/**
 * THE access policy (SPEC §5, ARCHITECTURE rule 2). One pure function decides whether an actor may
 * do an action on a resource of a person's space, given the facts about the actor's relation to
 * that person (loaded once per use case by `loadFacts` in src/access/facts.ts).
 *
 * Every service that reads or changes someone's health data calls `can(...)` (or `decide(...)` to
 * know which HTTP answer a denial deserves). Routes never decide.
 *
 * Extending it (other features): add a member to `Resource` (e.g. `{ type: 'measure' }`), then a
 * `case` in `can` that states the rule for each relation; add the rows to the unit table in
 * tests/unit/accessPolicy.test.ts. Keep every rule here, not in the services.
 *
 * Fixed principles, whatever the resource:
 *  - agents and operators never pass for health data (they have their own non-health services);
 *  - nobody reaches a space that is not open (activated or auto-created) except its own holder for
 *    the lifecycle pages (not handled here);
 *  - a blocked professional gets nothing but 'create' (filing a document / starting a message, law);
 *  - a professional reads only with consent declared (care team), as médecin traitant, as
 *    «administrateur», or under an emergency access the patient's switches allow.
 */

export type Action =
  | 'list'
  | 'read'
  | 'create'
  | 'update'
  | 'delete'
  | 'mask'
  | 'release'
  | 'manage'
  /** Take a copy out of the space (a file to one's own device). Never a carer (SPEC §3). */
  | 'download'

export type SpaceState = 'not_notified' | 'notified' | 'activated' | 'opposed' | 'auto_created' | 'closed'

/** What the policy needs to know about a document (built from a row by `documentFacts`). */
export interface DocumentFacts {
  personId: string
  category: string
  authorKind: 'patient' | 'representative' | 'carer' | 'professional' | 'system'
  authorAccountId: string | null
  authorProfessionalId: string | null
  masked: boolean
  invisibleToRepresentatives: boolean
  /** Consultation d'annonce: hidden from the patient (and representatives, carers) until this time... */
  heldUntil: Date | null
  /** ...or until the author released it. */
  heldReleasedAt: Date | null
}

/**
 * The resources of a person's space. Other features add theirs (keep the `type` discriminant):
 * 'profile-section', 'measure', 'agenda', 'message', 'reimbursements', 'carer'...
 */
export type Resource =
  /** The space as a whole: 'read' = enter it (see its home, its lists); 'manage' = its settings, care team, blocks, emergency switches. */
  | { type: 'space' }
  /** A document; without `document` it is the collection ('list' the documents, 'create' one). */
  | { type: 'document'; document?: DocumentFacts }
  /** The activity history of the space. */
  | { type: 'history' }
  /**
   * Blocking other professionals ('manage'): the holder or a legal representative, and a
   * professional the patient named «administrateur» while they have access (SPEC §5).
   */
  | { type: 'blocks' }
  /**
   * Secure messaging (SPEC §9). Without `conversation`: the inbox ('list') or starting a new
   * conversation ('create', professionals only). With it: 'read' the conversation, 'create' a
   * message in it, 'update' it (archive it on one's side; close it, for its professional),
   * 'download' its attachments (never a carer: SPEC §3).
   */
  | { type: 'message'; conversation?: ConversationFacts }
  /** A section of the medical profile (SPEC §7); 'create' / 'update' / 'delete' change it. */
  | { type: 'profile-section'; section: ProfileSection }
  /** The agenda (events, reminders, private calendar link, recommendations): the patient side only, never a professional. */
  | { type: 'agenda' }
  /** The vaccinations of the medical profile; without `vaccination` it is the collection. */
  | { type: 'vaccination' }
  /** The carers of the space: 'list' them, 'manage' them (invite, revoke). Only the holder (SPEC §3). */
  | { type: 'carers' }
  /** The download of all the data (ZIP): 'create' a request, 'list' them, 'read' (download) the file. Never a carer (SPEC §3). */
  | { type: 'export' }
  /** The space's own account: 'update' = credentials, contacts, closure. Never a carer (SPEC §3). */
  | { type: 'account' }
  /** «Mon histoire de santé»: the reimbursed care ('read'/'list'); 'manage' = the switch hiding it from professionals. */
  | { type: 'reimbursements' }

/** What the policy needs to know about a conversation. */
export interface ConversationFacts {
  personId: string
  professionalId: string
  status: 'open' | 'closed'
}

/** The sections of the medical profile, as the policy knows them. */
export type ProfileSection =
  | 'home'
  | 'conditions'
  | 'treatments'
  | 'allergies'
  | 'family_history'
  | 'hospitalisations'
  | 'disabilities'
  | 'blood_group'
  | 'organ_donation'
  | 'contacts'
  | 'measures'
  | 'lifestyle'
  | 'bilan'
  | 'directives'
  | 'synthesis'

/**
 * The document category whose row of the matrice d'habilitation governs a professional's reading of
 * a profile section: the directives anticipées follow «Directives anticipées» (a dentist may not read
 * them), the questionnaires follow «Questionnaire santé», the rest follows «Synthèse médicale».
 */
export const PROFILE_SECTION_CATEGORY: Record<ProfileSection, string> = {
  home: 'SYNTH_PML',
  conditions: 'SYNTH_PML',
  treatments: 'SYNTH_PML',
  allergies: 'SYNTH_PML',
  family_history: 'SYNTH_PML',
  hospitalisations: 'SYNTH_PML',
  disabilities: 'SYNTH_PML',
  blood_group: 'SYNTH_PML',
  organ_donation: 'SYNTH_PML',
  contacts: 'SYNTH_PML',
  measures: 'SYNTH_PML',
  synthesis: 'SYNTH_PML',
  lifestyle: 'QUEST_SANTE',
  bilan: 'QUEST_SANTE',
  directives: 'DIR_ANT',
}

export interface PatientSettings {
  emergencyEtreat: boolean
  emergencyBtg: boolean
  emergencyMasked: boolean
  maskNewDocuments: boolean
  /** «Masquer mes remboursements aux professionnels». */
  reimbursementsHidden: boolean
}

export const DEFAULT_SETTINGS: PatientSettings = {
  emergencyEtreat: true,
  emergencyBtg: true,
  emergencyMasked: false,
  maskNewDocuments: false,
  reimbursementsHidden: false,
}

/**
 * The rights of one delegation, chosen by the patient at invitation (SPEC §3; all three by default):
 * `read` see the documents and the data (and the history); `write` add and edit documents and data
 * (never without `read`: one does not edit what one cannot see); `messages` read and answer the
 * secure messaging. At least one of them (`checkCarerRights`, src/domain/carers.ts).
 */
export interface CarerRights {
  read: boolean
  write: boolean
  messages: boolean
}

export interface ProfessionalRelation {
  kind: 'professional'
  professionalId: string
  profession: string
  /** Consent declared (member of the care team). */
  careTeam: boolean
  medecinTraitant: boolean
  /** Named «administrateur» by the patient: counts only with a declared consent (`isAdministrator`). */
  administrator: boolean
  blocked: boolean
  /** Whether the professional is a SAMU regulating doctor (may use ETREAT). */
  samuRegulator: boolean
  /** An emergency access in progress, if any. */
  emergency: null | { kind: 'ETREAT' | 'BTG' }
  /** Categories the matrice d'habilitation lets this profession read. */
  readableCategories: readonly string[]
}

/** The relation of the actor to the person whose space is concerned. */
export type Relation =
  | { kind: 'self' }
  /** A legal representative of a child; `childAge` in whole years on the day (Paris): nothing from 18 on. */
  | { kind: 'representative'; childAge: number }
  | { kind: 'carer'; rights: CarerRights }
  | ProfessionalRelation
  | { kind: 'agent' }
  | { kind: 'operator' }
  | { kind: 'system' }
  | ServiceRelation
  | { kind: 'none' }

/**
 * A connected service of the catalogue, acting for the person who consented (issue 8): what the
 * access token carries and what the person consents to NOW (a withdrawal applies at once).
 */
export interface ServiceRelation {
  kind: 'service'
  clientId: string
  /** Scopes carried by the access token (what the person consented to when it was issued). */
  tokenScopes: readonly string[]
  /** Scopes the person consents to now (catalogue consent for a catalogue service). */
  consentedScopes: readonly string[]
}

export interface PolicyFacts {
  personId: string
  spaceState: SpaceState
  relation: Relation
  settings: PatientSettings
  now: Date
}

const OPEN_STATES: SpaceState[] = ['activated', 'auto_created']

export function spaceOpen(facts: Pick<PolicyFacts, 'spaceState'>): boolean {
  return OPEN_STATES.includes(facts.spaceState)
}

/** Whether an emergency access of this kind is allowed by the patient's switches (and the professional's role). */
export function emergencyAllowed(facts: PolicyFacts, kind: 'ETREAT' | 'BTG'): boolean {
  const r = facts.relation
  if (r.kind !== 'professional' || r.blocked || !spaceOpen(facts)) return false
  if (kind === 'ETREAT') return facts.settings.emergencyEtreat && r.samuRegulator
  return facts.settings.emergencyBtg
}

/**
 * Whether a professional currently has access to the space: consent declared (care team), médecin
 * traitant, or an emergency access the patient's switches allow. Being named «administrateur» gives
 * nothing by itself: an administrator reaches the space through a declared consent, like anyone.
 */
export function professionalHasAccess(facts: PolicyFacts): boolean {
  const r = facts.relation
  if (r.kind !== 'professional' || r.blocked || !spaceOpen(facts)) return false
  if (r.careTeam || r.medecinTraitant) return true
  return r.emergency !== null && emergencyAllowed(facts, r.emergency.kind)
}

/**
 * Whether the professional acts as the patient's «administrateur» now (sees masked documents, may
 * block others): named by the patient AND consent declared, not blocked, in an open space (SPEC §5).
 */
export function isAdministrator(facts: PolicyFacts): boolean {
  const r = facts.relation
  return r.kind === 'professional' && r.administrator && r.careTeam && !r.blocked && spaceOpen(facts)
}

/**
 * Whether a professional with access may be shown masked documents they did not file: the médecin
 * traitant, an administrator, or an emergency access when the patient included masked documents.
 */
export function professionalSeesMasked(facts: PolicyFacts): boolean {
  const r = facts.relation
  if (r.kind !== 'professional' || !professionalHasAccess(facts)) return false
  const emergencyMasked = r.emergency !== null && facts.settings.emergencyMasked && emergencyAllowed(facts, r.emergency.kind)
  return r.medecinTraitant || isAdministrator(facts) || emergencyMasked
}

/** Why a professional may not reach a patient (for a clear refusal message), or null when they may. */
export type ProfessionalRefusal = 'closed' | 'opposed' | 'not_created' | 'blocked' | 'emergency_not_allowed'
export function professionalRefusal(facts: PolicyFacts, want: 'consent' | 'ETREAT' | 'BTG'): ProfessionalRefusal | null {
  const r = facts.relation
  if (facts.spaceState === 'closed') return 'closed'
  if (facts.spaceState === 'opposed') return 'opposed'
  if (!spaceOpen(facts)) return 'not_created'
  if (r.kind !== 'professional' || r.blocked) return 'blocked'
  if (want !== 'consent' && !emergencyAllowed(facts, want)) return 'emergency_not_allowed'
  return null
}

/** A document held for a consultation d'annonce and not yet visible to the patient. */
export function heldFromPatient(d: DocumentFacts, now: Date): boolean {
  return d.heldUntil !== null && d.heldReleasedAt === null && d.heldUntil.getTime() > now.getTime()
}

function patientSide(
  relation: Relation,
): relation is { kind: 'self' } | { kind: 'representative'; childAge: number } | { kind: 'carer'; rights: CarerRights } {
  return relation.kind === 'self' || relation.kind === 'representative' || relation.kind === 'carer'
}

/** Documents the patient side filed (may be edited and deleted by the patient side). */
function filedByPatientSide(d: DocumentFacts): boolean {
  return d.authorKind === 'patient' || d.authorKind === 'representative' || d.authorKind === 'carer' || d.authorKind === 'system'
}

/**
 * Messaging: only a professional starts a conversation (any professional, without consent, even
 * blocked: law), never into a space that is not open; the patient side (holder, representative,
 * carer with the right) reads and replies, and writes again only while the professional has not
 * closed the exchange; a professional sees only the conversations they are part of. Whoever reads
 * a conversation may download its attachments, except a carer (SPEC §3: a carer may not download
 * data; they may still save an attachment into «Mes documents» with the write right).
 */
function messageRule(action: Action, c: ConversationFacts | undefined, facts: PolicyFacts): boolean {
  const r = facts.relation
  if (!spaceOpen(facts)) return false
  if (c && c.personId !== facts.personId) return false
  if (patientSide(r)) {
    // A carer reads and answers the messages only with the delegation's «messages» right.
    if (r.kind === 'carer' && !r.rights.messages) return false
    switch (action) {
      case 'list':
        return !c
      case 'read':
        return !!c
      case 'create':
        return !!c && c.status === 'open'
      case 'update':
        return !!c
      case 'download':
        return !!c && r.kind !== 'carer'
      default:
        return false
    }
  }
  if (r.kind === 'professional') {
    if (!c) return action === 'create'
    if (c.professionalId !== r.professionalId) return false
    return action === 'read' || action === 'create' || action === 'update' || action === 'download'
  }
  return r.kind === 'system'
}

function documentRule(action: Action, d: DocumentFacts | undefined, facts: PolicyFacts): boolean {
  const r = facts.relation
  if (d && d.personId !== facts.personId) return false
  if (patientSide(r)) {
    if (!spaceOpen(facts)) return false
    if (r.kind === 'carer' && !r.rights.read) return false
    if (d) {
      if (heldFromPatient(d, facts.now)) return false
      if (r.kind === 'representative' && d.invisibleToRepresentatives) return false
    }
    switch (action) {
      case 'list':
      case 'read':
        return true
      case 'create':
        return r.kind !== 'carer' || r.rights.write
      case 'mask':
        return !!d && (r.kind !== 'carer' || r.rights.write)
      case 'update':
        return !!d && filedByPatientSide(d) && (r.kind !== 'carer' || r.rights.write)
      case 'delete':
        // Carers may not delete data (SPEC §3).
        return !!d && filedByPatientSide(d) && r.kind !== 'carer'
      default:
        return false
    }
  }
  if (r.kind === 'professional') {
    if (!spaceOpen(facts)) return false
    // Any professional may file a document, even without consent, even blocked (law).
    if (action === 'create') return !d
    if (r.blocked) return false
    const author = !!d && d.authorProfessionalId !== null && d.authorProfessionalId === r.professionalId
    if (action === 'release') return author && !!d && d.heldUntil !== null && d.heldReleasedAt === null
    if (action === 'list') return professionalHasAccess(facts)
    if (action !== 'read' || !d) return false
    if (!author && !professionalHasAccess(facts)) return false
    if (!author && !r.readableCategories.includes(d.category)) return false
    if (d.masked && !author && !professionalSeesMasked(facts)) return false
    return true
  }
  if (r.kind === 'system') return true
  return false
}

/**
 * The medical profile: the patient side reads and changes it (a carer within their rights, never
 * deleting; directives anticipées are written only by the adult themselves, never by a
 * representative); a professional with access reads the sections their profession's row of the
 * matrice d'habilitation allows, and changes nothing.
 */
function profileRule(action: Action, section: ProfileSection, facts: PolicyFacts): boolean {
  const r = facts.relation
  if (!spaceOpen(facts)) return false
  if (patientSide(r)) {
    if (r.kind === 'carer' && !r.rights.read) return false
    switch (action) {
      case 'list':
      case 'read':
        return true
      case 'create':
      case 'update':
      case 'delete':
        if (section === 'directives' && r.kind !== 'self') return false
        if (r.kind === 'carer') return r.rights.write && action !== 'delete'
        return true
      default:
        return false
    }
  }
  if (r.kind === 'professional') {
    if (action !== 'read' && action !== 'list') return false
    return professionalHasAccess(facts) && r.readableCategories.includes(PROFILE_SECTION_CATEGORY[section])
  }
  return r.kind === 'system'
}

/**
 * The agenda and the vaccinations: the holder and a legal representative do everything; a carer
 * reads with the read right, adds and edits with the write right, never deletes nor creates a
 * private calendar link ('manage'); a professional with access reads the vaccinations (never the
 * agenda); the system (daily job) reads both.
 */
function personalDataRule(action: Action, type: 'agenda' | 'vaccination', facts: PolicyFacts): boolean {
  const r = facts.relation
  if (r.kind === 'system') return true
  if (!spaceOpen(facts)) return false
  if (patientSide(r)) {
    if (r.kind !== 'carer')
      return (
        action === 'list' || action === 'read' || action === 'create' || action === 'update' || action === 'delete' || action === 'manage'
      )
    if (action === 'list' || action === 'read') return r.rights.read
    if (action === 'create' || action === 'update') return r.rights.write
    return false
  }
  if (r.kind === 'professional' && type === 'vaccination') return (action === 'list' || action === 'read') && professionalHasAccess(facts)
  return false
}

/**
 * Reimbursements: the patient side reads them (a carer with the read right); the holder or a
 * representative sets the switch; a professional with access reads them unless the patient hid them.
 */
function reimbursementsRule(action: Action, facts: PolicyFacts): boolean {
  const r = facts.relation
  if (!spaceOpen(facts)) return false
  if (patientSide(r)) {
    if (action === 'read' || action === 'list') return r.kind !== 'carer' || r.rights.read
    if (action === 'manage') return r.kind !== 'carer'
    return false
  }
  if (r.kind === 'professional')
    return (action === 'read' || action === 'list') && !facts.settings.reimbursementsHidden && professionalHasAccess(facts)
  return r.kind === 'system' && (action === 'read' || action === 'list')
}

/** The data scope a service needs for `action` on `resource` (undefined: never for a service). */
export function serviceScopeNeeded(action: Action, resource: Resource): string | undefined {
  // Downloading a document's content is reading it, for a service (the FHIR Binary / attachment).
  const rw = action === 'read' || action === 'list' || action === 'download' ? 'read' : action === 'create' ? 'write' : undefined
  if (!rw) return undefined
  switch (resource.type) {
    case 'space':
      return rw === 'read' ? 'patient.read' : undefined
    case 'profile-section':
      return resource.section === 'measures' ? `observation.${rw}` : undefined
    case 'document':
      return `document.${rw}`
    case 'vaccination':
      return rw === 'read' ? 'immunization.read' : undefined
    case 'agenda':
      return rw === 'read' ? 'appointment.read' : undefined
    default:
      return undefined
  }
}

/**
 * A connected service is decided like a person (issue 8): the space must be open (never a closed,
 * opposed or not yet created one); the scope must be in its access token AND still consented; it
 * only lists, reads and creates; a masked document, a document held for a consultation d'annonce,
 * one invisible to representatives or another person's document does not exist for it.
 */
function serviceRule(action: Action, resource: Resource, r: ServiceRelation, facts: PolicyFacts): boolean {
  if (!spaceOpen(facts)) return false
  const scope = serviceScopeNeeded(action, resource)
  if (!scope || !r.tokenScopes.includes(scope) || !r.consentedScopes.includes(scope)) return false
  if (resource.type === 'document' && resource.document) {
    const d = resource.document
    if (action === 'create') return false
    if (d.personId !== facts.personId || d.masked || d.invisibleToRepresentatives || heldFromPatient(d, facts.now)) return false
  }
  return true
}

/**
 * May `actor` do `action` on `resource` of the space `facts.personId`? Pure and total: anything not
 * explicitly allowed is refused.
 */
export function can(actor: Actor, action: Action, resource: Resource, facts: PolicyFacts): boolean {
  // Agents and operators never pass for health data (SPEC §1), whatever the facts say.
  if (actor.kind === 'agent' || actor.kind === 'operator') return facts.relation.kind === 'system' && actor.accountId === 'system'
  const r = facts.relation
  // A connected service: only through its own relation, never as the person it acts for.
  if (actor.service || r.kind === 'service')
    return !!actor.service && r.kind === 'service' && r.clientId === actor.service.clientId && serviceRule(action, resource, r, facts)
  if (r.kind === 'agent' || r.kind === 'operator' || r.kind === 'none') return false
  // A legal representation ends on the child's 18th birthday itself, whatever the nightly job did yet.
  if (r.kind === 'representative' && !(r.childAge < MAJORITY_AGE)) return false
  if (actor.kind === 'professional' && r.kind !== 'professional') return false
  if (actor.kind === 'patient' && !patientSide(r)) return false
  switch (resource.type) {
    case 'space':
      if (patientSide(r)) {
        if (!spaceOpen(facts)) return false
        // A carer enters the space with any right of the delegation (messages only: the messaging).
        if (action === 'read') return r.kind !== 'carer' || r.rights.read || r.rights.messages
        // Care team, blocks, emergency switches: the holder or a legal representative, never a carer.
        if (action === 'manage') return r.kind !== 'carer'
        return false
      }
      if (r.kind === 'professional') return action === 'read' && professionalHasAccess(facts)
      return r.kind === 'system'
    case 'history':
      // The holder, a representative, and a carer with the «see» right (each row is then decided by
      // `historyRowView`: a carer sees the rows about what the delegation lets them see).
      if (patientSide(r)) return spaceOpen(facts) && (action === 'read' || action === 'list') && (r.kind !== 'carer' || r.rights.read)
      return false
    case 'blocks':
      if (action !== 'manage') return false
      if (patientSide(r)) return spaceOpen(facts) && r.kind !== 'carer'
      return isAdministrator(facts)
    case 'document':
      // Downloading a document: whoever may read it, except a carer (SPEC §3: a carer views, never downloads).
      if (action === 'download') return r.kind !== 'carer' && documentRule('read', resource.document, facts)
      return documentRule(action, resource.document, facts)
    case 'message':
      return messageRule(action, resource.conversation, facts)
    case 'profile-section':
      return profileRule(action, resource.section, facts)
    case 'agenda':
    case 'vaccination':
      return personalDataRule(action, resource.type, facts)
    case 'carers':
      // Only the holder invites and revokes carers; a carer never manages carers.
      return r.kind === 'self' && spaceOpen(facts) && (action === 'list' || action === 'manage')
    case 'export':
      // «Télécharger mes données»: the holder, or a legal representative for the child; never a carer,
      // a professional, a connected service, nor at a France Services counter (nothing stays on that computer).
      if (actor.service || actor.assistedBy || !spaceOpen(facts)) return false
      return (r.kind === 'self' || r.kind === 'representative') && (action === 'read' || action === 'create' || action === 'list')
    case 'account':
      return r.kind === 'self' && action === 'update'
    case 'reimbursements':
      return reimbursementsRule(action, facts)
    default: {
      const never: never = resource
      return never
    }
  }
}

/** The sections of the medical profile a professional may be shown, in page order. */
export const PROFESSIONAL_PROFILE_SECTIONS: readonly ProfileSection[] = [
  'conditions',
  'treatments',
  'allergies',
  'family_history',
  'hospitalisations',
  'disabilities',
  'blood_group',
  'measures',
  'contacts',
  'organ_donation',
  'lifestyle',
  'bilan',
  'directives',
]

/** The sections of the medical profile this actor may read (the professional portal's view), each decided by `can`. */
export function readableProfileSections(actor: Actor, facts: PolicyFacts): ProfileSection[] {
  return PROFESSIONAL_PROFILE_SECTIONS.filter((section) => can(actor, 'read', { type: 'profile-section', section }, facts))
}

/**
 * `can`, plus the answer a denial deserves: 404 when the actor may not know the object exists (a
 * document they cannot see), 403 otherwise (the actor knows the thing exists but may not do this).
 */
export function decide(
  actor: Actor,
  action: Action,
  resource: Resource,
  facts: PolicyFacts,
): { allowed: true } | { allowed: false; status: 403 | 404 } {
  if (can(actor, action, resource, facts)) return { allowed: true }
  if (facts.relation.kind === 'service' && resource.type === 'document' && resource.document && !can(actor, 'read', resource, facts)) {
    // A masked document or another person's does not exist for a service, but a missing scope is a 403.
    const scoped = { ...facts.relation, tokenScopes: ['document.read'], consentedScopes: ['document.read'] }
    return can(actor, 'read', resource, { ...facts, relation: scoped }) ? { allowed: false, status: 403 } : { allowed: false, status: 404 }
  }
  if (resource.type === 'document' && resource.document && !can(actor, 'read', resource, facts)) return { allowed: false, status: 404 }
  if (resource.type === 'message' && resource.conversation && !can(actor, 'read', resource, facts)) return { allowed: false, status: 404 }
  return { allowed: false, status: 403 }
}

/** The FHIR resource types a connected service may reach, as resources of the policy. */
const FHIR_RESOURCES: Record<string, Resource> = {
  Patient: { type: 'space' },
  Observation: { type: 'profile-section', section: 'measures' },
  DocumentReference: { type: 'document' },
  Immunization: { type: 'vaccination' },
  Appointment: { type: 'agenda' },
}

export type ServiceDecision =
  { allow: true } | { allow: false; status: 403 | 404; code: 'forbidden' | 'not-found' | 'closed'; reason: string }

/**
 * `decide` for a connected service calling the FHIR API (issue 8), with the reason it deserves:
 * an unknown type or another person's / a masked resource → 404 (it may not know it exists); a
 * space that is not open → 403 'closed'; a scope not in the token or no longer consented → 403.
 */
export function decideService(
  actor: Actor,
  resourceType: string,
  access: 'read' | 'write',
  facts: PolicyFacts,
  target?: { ownerPersonId: string; document?: DocumentFacts },
): ServiceDecision {
  const notFound = { allow: false, status: 404, code: 'not-found', reason: "Cette ressource n'existe pas" } as const
  const base = FHIR_RESOURCES[resourceType]
  const r = facts.relation
  if (!base || !actor.service || r.kind !== 'service') return notFound
  if (!spaceOpen(facts)) return { allow: false, status: 403, code: 'closed', reason: "L'espace santé de cette personne n'est pas ouvert" }
  const action: Action = access === 'write' ? 'create' : target ? 'read' : 'list'
  const scope = serviceScopeNeeded(action, base)
  if (!scope || !r.tokenScopes.includes(scope) || !r.consentedScopes.includes(scope)) {
    return {
      allow: false,
      status: 403,
      code: 'forbidden',
      reason: `Le consentement de la personne ne couvre pas cette action (portée ${scope ?? resourceType})`,
    }
  }
  if (target && target.ownerPersonId !== facts.personId) return notFound
  const resource: Resource = target?.document ? { type: 'document', document: target.document } : base
  return can(actor, action, resource, facts) ? { allow: true } : notFound
}

/** Whether the access of a professional is an emergency one (to highlight it in the history). */
export function isEmergencyAccess(facts: PolicyFacts): boolean {
  const r = facts.relation
  return r.kind === 'professional' && r.emergency !== null && !r.careTeam && !r.medecinTraitant
}

/**
 * Who can still see a masked document, in plain words (shown on the document page).
 */
export const MASKED_VISIBLE_TO =
  'vous, le professionnel de santé qui l’a ajouté, votre médecin traitant et les professionnels que vous avez nommés administrateurs'

/**
 * Back-office rights (SPEC §12): tools that touch no one's space, so no `PolicyFacts`. Only a
 * signed-in operator account (never the system actor, never an agent, a professional or a patient)
 * manages the access matrix (matrice d'habilitation: 'list', 'read', 'update') and the catalogue
 * of services ('list', 'read', 'create', 'update', 'manage' = publish or withdraw). Nothing is
 * ever deleted: a service is withdrawn, a matrix cell is set to «non».
 */
export type BackOfficeResource = { type: 'access-matrix' } | { type: 'catalogue-service' }

const BACK_OFFICE_ACTIONS: Record<BackOfficeResource['type'], readonly Action[]> = {
  'access-matrix': ['list', 'read', 'update'],
  'catalogue-service': ['list', 'read', 'create', 'update', 'manage'],
}

export function canBackOffice(actor: Actor, action: Action, resource: BackOfficeResource): boolean {
  if (actor.kind !== 'operator' || actor.accountId === 'system' || actor.service || actor.acting || actor.assistedBy) return false
  return BACK_OFFICE_ACTIONS[resource.type].includes(action)
}

/** What a row of the activity history is about, as the history reads it (its document's facts: null when the document is gone). */
export type HistoryRowSubject = { about: 'document'; document: DocumentFacts | null } | { about: 'message' } | { about: 'other' }

/**
 * How a row of the activity history may be shown to its viewer (SPEC §6), decided row by row:
 * 'named': the row names its document (title and category), the viewer may see that document;
 * 'anonymous': «un document» (the document no longer exists);
 * 'hidden': no row at all: a document the viewer may not know exists (a result held for a
 * consultation d'annonce until its release, a document invisible to representatives in their view),
 * or what a carer's delegation does not cover (the messages without the «messages» right);
 * 'shown': any other row of a history the viewer may read.
 */
export type HistoryRowView = 'shown' | 'named' | 'anonymous' | 'hidden'

export function historyRowView(actor: Actor, facts: PolicyFacts, row: HistoryRowSubject): HistoryRowView {
  if (!can(actor, 'read', { type: 'history' }, facts)) return 'hidden'
  switch (row.about) {
    case 'document':
      if (!row.document) return 'anonymous'
      return can(actor, 'read', { type: 'document', document: row.document }, facts) ? 'named' : 'hidden'
    case 'message':
      return facts.relation.kind !== 'carer' || can(actor, 'list', { type: 'message' }, facts) ? 'shown' : 'hidden'
    default:
      return 'shown'
  }
}
