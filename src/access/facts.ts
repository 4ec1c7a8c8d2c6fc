import type { Knex } from 'knex'
import type { Actor } from '../domain/actor'
import { DEFAULT_SETTINGS, type PatientSettings, type PolicyFacts, type Relation, type SpaceState } from '../domain/accessPolicy'
import { isUuid } from '../domain/uuid'
import { ageAt } from '../domain/age'
import { activeRelation } from './relations'
import { createAuthorize } from './authorize'

/**
 * Loads the facts the access policy needs about (actor, person), inside the caller's transaction,
 * on every use case (never cached in the session): a professional blocked a second ago, an ended
 * representation or an expired emergency access are refused at the very next request.
 *
 * Services do not call the loader and the policy themselves: `await access.authorize(trx, actor,
 * 'read', { type: 'history' }, personId)` loads the facts, asks src/domain/accessPolicy.ts and answers
 * 404 or 403 (./authorize.ts); the facts it returns serve the decisions row by row that follow
 * (`can(actor, 'read', { type: 'document', document }, facts)`). A representative's relation carries
 * the child's age, a carer's the rights of the delegation (both read at every use case).
 */
/** `prefetched`: the row of `ConsentRowQuery` when the facts read it in the person's query (undefined otherwise). */
type ConsentReader = (trx: Knex | Knex.Transaction, personId: string, clientId: string, prefetched?: unknown) => Promise<readonly string[]>
/** The consent row of a connected service, as a sub-query folded into the person's query (one round trip). */
type ConsentRowQuery = (trx: Knex | Knex.Transaction, personId: string, clientId: string) => Knex.QueryBuilder

export function createAccessFacts(deps: { consentedScopes?: ConsentReader } = {}) {
  // Set later by the services registry (the connected services' consent is read through it).
  let consentedScopes = deps.consentedScopes
  let consentRowQuery: ConsentRowQuery | undefined
  function settingsFrom(row: SettingsRow | undefined): PatientSettings {
    if (!row) return { ...DEFAULT_SETTINGS }
    // NOT NULL columns with these defaults: null only through the LEFT JOIN of a person without settings.
    return {
      emergencyEtreat: row.emergency_etreat ?? DEFAULT_SETTINGS.emergencyEtreat,
      emergencyBtg: row.emergency_btg ?? DEFAULT_SETTINGS.emergencyBtg,
      emergencyMasked: row.emergency_masked ?? DEFAULT_SETTINGS.emergencyMasked,
      maskNewDocuments: row.mask_new_documents ?? DEFAULT_SETTINGS.maskNewDocuments,
      reimbursementsHidden: Boolean(row.reimbursements_hidden),
    }
  }

  async function settingsOf(trx: Knex | Knex.Transaction, personId: string): Promise<PatientSettings> {
    return settingsFrom(await trx('patient_settings').where({ person_id: personId }).first<SettingsRow | undefined>())
  }

  async function relationOf(
    trx: Knex | Knex.Transaction,
    actor: Actor,
    person: { id: string; birth_date: Date | string; medecin_traitant_rpps: string | null; service_consent?: unknown },
    now: Date,
  ): Promise<Relation> {
    if (actor.accountId === 'system') return { kind: 'system' }
    if (actor.service) {
      // A connected service reaches only the space of the person its token was issued for.
      if (actor.service.personId !== person.id) return { kind: 'none' }
      return {
        kind: 'service',
        clientId: actor.service.clientId,
        tokenScopes: actor.service.tokenScopes ?? [],
        consentedScopes: consentedScopes
          ? await consentedScopes(trx, person.id, actor.service.clientId, 'service_consent' in person ? person.service_consent : undefined)
          : [],
      }
    }
    if (actor.kind === 'agent') return { kind: 'agent' }
    if (actor.kind === 'operator') return { kind: 'operator' }
    if (actor.kind === 'patient') {
      if (!actor.personId) return { kind: 'none' }
      if (actor.personId === person.id && (!actor.acting || actor.acting.personId === person.id)) return { kind: 'self' }
      const as = actor.acting?.personId === person.id ? actor.acting.as : undefined
      if (as === 'representative' || as === 'carer') {
        // The same relation as the request's actor (`activeRelation`), checked at every use case: a
        // representative's carries the child's age (the policy refuses one from the 18th birthday on),
        // a carer's the rights the patient chose for the delegation (start and end dates included).
        const relation = await activeRelation(trx, person.id, actor.personId, { now, only: as })
        if (relation?.as === 'representative') return { kind: 'representative', childAge: ageAt(person.birth_date, now) }
        if (relation?.as === 'carer') return { kind: 'carer', rights: relation.rights }
      }
      return { kind: 'none' }
    }
    if (actor.kind === 'professional' && actor.professionalId) {
      const pro = await trx('professionals')
        .where({ id: actor.professionalId })
        .first<{ id: string; rpps: string; profession: string; samu_regulator: boolean } | undefined>(
          'id',
          'rpps',
          'profession',
          'samu_regulator',
        )
      if (!pro) return { kind: 'none' }
      const link = await trx('patient_professionals')
        .where({ person_id: person.id, professional_id: pro.id })
        .first<{ consent_at: Date | null; blocked_at: Date | null; administrator: boolean } | undefined>()
      const emergency = await trx('emergency_accesses')
        .where({ person_id: person.id, professional_id: pro.id })
        .where('expires_at', '>', now)
        .orderBy('started_at', 'desc')
        .first<{ kind: 'ETREAT' | 'BTG' } | undefined>('kind')
      const matrix = await trx('access_matrix').where({ profession: pro.profession, can_read: true }).pluck<string[]>('category')
      return {
        kind: 'professional',
        professionalId: pro.id,
        profession: pro.profession,
        careTeam: Boolean(link?.consent_at) && !link?.blocked_at,
        medecinTraitant: person.medecin_traitant_rpps === pro.rpps,
        administrator: Boolean(link?.administrator),
        blocked: Boolean(link?.blocked_at),
        samuRegulator: Boolean(pro.samu_regulator),
        emergency: emergency ? { kind: emergency.kind } : null,
        readableCategories: matrix,
      }
    }
    return { kind: 'none' }
  }

  async function loadFacts(
    trx: Knex | Knex.Transaction,
    actor: Actor,
    personId: string,
    now = new Date(),
  ): Promise<PolicyFacts | undefined> {
    const query = factsQuery(trx, actor, personId)
    // knex types this builder's result as any: its columns (PERSON_FACTS_COLUMNS) make a PersonFactsRow.
    const person = query ? ((await query) as PersonFactsRow | undefined) : undefined
    if (!person) return undefined
    return factsFrom(trx, actor, person, now, personId)
  }

  return {
    settingsOf,
    /** `authorize`, `authorizeSubject`, `factsOf`, `allows`: the step every service takes (./authorize.ts). */
    ...createAuthorize(loadFacts),
    /** Where the consent of a person to a connected service is read (set once by the registry). */
    useConsentedScopes(fn: ConsentReader, rowQuery?: ConsentRowQuery) {
      consentedScopes = fn
      consentRowQuery = rowQuery
    },
    /** The facts about `actor` and the space of `personId`; undefined when the person does not exist. */
    loadFacts,
    /**
     * The statement `loadFacts` runs (one row, `PersonFactsRow` and for a connected service its
     * `service_consent`), for a caller that sends it itself (the FHIR API folds it with BEGIN);
     * undefined when `personId` cannot be a person's id.
     */
    factsQuery,
    /**
     * `factsQuery` with, in column `facts_digest`, the digest of its row (md5 of its JSON): a caller
     * that keeps the row to decide again later sends `factsGuard` with that digest in the same
     * transaction as what it reads, so the decision is still made on the facts as they are then.
     */
    factsWithDigestQuery(trx: Knex | Knex.Transaction, actor: Actor, personId: string): Knex.Raw | undefined {
      const query = factsQuery(trx, actor, personId)
      return query && trx.raw('SELECT f.*, md5(row_to_json(f)::text) AS facts_digest FROM (?) AS f', [query])
    },
    /**
     * The statement that reads the facts again and raises SQLSTATE MS001 (`GUARD_FAILED`) unless their
     * digest is still `digest` (`facts_unchanged`, migration 20261124_2100); undefined as `factsQuery`.
     */
    factsGuard(trx: Knex | Knex.Transaction, actor: Actor, personId: string, digest: string): Knex.Raw | undefined {
      const query = factsQuery(trx, actor, personId)
      return query && trx.raw('SELECT facts_unchanged((SELECT md5(row_to_json(f)::text) FROM (?) AS f), ?)', [query, digest])
    },
    /**
     * The same facts from the person row a page's own statement already read (columns
     * `PERSON_FACTS_COLUMNS`, same joins); the relation is still checked here (its own queries, if any).
     */
    factsFrom,
  }

  function factsQuery(trx: Knex | Knex.Transaction, actor: Actor, personId: string): Knex.QueryBuilder | undefined {
    if (!isUuid(personId)) return undefined
    // The person, the space's state and the person's settings in one round trip (every use case runs this);
    // for a connected service of this person, its consent row too (read fresh, in this transaction).
    const query = trx('insured_persons as p')
      .leftJoin('spaces as s', 's.person_id', 'p.id')
      .leftJoin('patient_settings as ps', 'ps.person_id', 'p.id')
      .where('p.id', personId)
      .first(PERSON_FACTS_COLUMNS)
    if (actor.service && actor.service.personId === personId && consentRowQuery) {
      query.select(
        trx.raw('(SELECT row_to_json(sc) FROM (?) AS sc) AS service_consent', [consentRowQuery(trx, personId, actor.service.clientId)]),
      )
    }
    return query
  }

  async function factsFrom(
    trx: Knex | Knex.Transaction,
    actor: Actor,
    person: PersonFactsRow,
    now = new Date(),
    personId = person.id,
  ): Promise<PolicyFacts> {
    const settings = settingsFrom(person.settings_person_id ? person : undefined)
    const relation = await relationOf(trx, actor, person, now)
    return { personId, spaceState: person.state ?? 'not_notified', relation, settings, now }
  }
}

/** The person row the policy facts are built from: insured_persons p LEFT JOIN spaces s, patient_settings ps. */
export const PERSON_FACTS_COLUMNS = [
  'p.id',
  'p.birth_date',
  'p.medecin_traitant_rpps',
  's.state',
  'ps.person_id as settings_person_id',
  'ps.emergency_etreat',
  'ps.emergency_btg',
  'ps.emergency_masked',
  'ps.mask_new_documents',
  'ps.reimbursements_hidden',
]

export interface PersonFactsRow {
  id: string
  birth_date: Date | string
  medecin_traitant_rpps: string | null
  /** spaces.state (its CHECK constraint lists the states); null without a space. */
  state: SpaceState | null
  settings_person_id: string | null
  emergency_etreat?: boolean | null
  emergency_btg?: boolean | null
  emergency_masked?: boolean | null
  mask_new_documents?: boolean | null
  reimbursements_hidden?: boolean | null
}

/** The columns of patient_settings the policy reads. */
type SettingsRow = Pick<
  PersonFactsRow,
  'emergency_etreat' | 'emergency_btg' | 'emergency_masked' | 'mask_new_documents' | 'reimbursements_hidden'
>

export type AccessFacts = ReturnType<typeof createAccessFacts>
