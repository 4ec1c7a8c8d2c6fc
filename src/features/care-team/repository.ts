import type { Knex } from 'knex'
import { isUuid } from '../../domain/uuid'

export interface ProfessionalEntry {
  id: string
  rpps: string
  title: string | null
  first_name: string
  last_name: string
  profession: string
  specialty: string | null
  establishment: string | null
  city: string | null
}

export interface CareTeamEntry extends ProfessionalEntry {
  listed: boolean
  consent_at: Date | null
  administrator: boolean
  blocked_at: Date | null
}

/** A patient's link to one professional (care team, consent, administrator, block). */
export interface PatientProfessionalLink {
  listed: boolean
  consent_at: Date | null
  administrator: boolean
  blocked_at: Date | null
}

const PRO_COLUMNS = ['p.id', 'p.rpps', 'p.title', 'p.first_name', 'p.last_name', 'p.profession', 'p.specialty', 'p.establishment', 'p.city']
const BY_NAME = [{ column: 'p.last_name' }, { column: 'p.first_name' }]

/** All SQL of «Mes professionnels de santé»: the directory, the patient's links and their settings. */
export const careTeamRepository = {
  /** A professional of the directory by id (undefined for an unknown or malformed id). */
  professionalById: (db: Knex, id: string): Promise<ProfessionalEntry | undefined> =>
    isUuid(id) ? db('professionals as p').where('p.id', id).first(PRO_COLUMNS) : Promise.resolve(undefined),

  professionalByRpps: (db: Knex, rpps: string): Promise<ProfessionalEntry | undefined> =>
    db('professionals as p').where('p.rpps', rpps).first(PRO_COLUMNS),

  /** The RPPS of the person's médecin traitant, as the registry has it. */
  async medecinTraitantRpps(db: Knex, personId: string): Promise<string | null> {
    const person = await db('insured_persons')
      .where({ id: personId })
      .first<{ medecin_traitant_rpps: string | null } | undefined>('medecin_traitant_rpps')
    return person?.medecin_traitant_rpps ?? null
  },

  /** Every professional linked to the person (team, administrators, blocked), by name. */
  linkedProfessionals: (db: Knex, personId: string): Promise<CareTeamEntry[]> =>
    db('patient_professionals as pp')
      .join('professionals as p', 'p.id', 'pp.professional_id')
      .where('pp.person_id', personId)
      .orderBy(BY_NAME)
      .select([...PRO_COLUMNS, 'pp.listed', 'pp.consent_at', 'pp.administrator', 'pp.blocked_at']),

  /** The directory by exact RPPS, by name. */
  searchByRpps: (db: Knex, rpps: string, limit: number): Promise<ProfessionalEntry[]> =>
    db('professionals as p').select(PRO_COLUMNS).where('p.rpps', rpps).orderBy(BY_NAME).limit(limit),

  /**
   * The directory by part of a first name, a last name or both («Marie Curie»), without case or accents
   * («lefevre» finds «Lefèvre», and «Lefèvre» finds «Lefevre»): both sides through `unaccent(lower(…))`.
   */
  searchByName(db: Knex, term: string, limit: number): Promise<ProfessionalEntry[]> {
    const like = `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    return db('professionals as p')
      .select(PRO_COLUMNS)
      .where(
        (w) =>
          void w
            .whereRaw('unaccent(lower(p.last_name)) LIKE unaccent(?)', [like])
            .orWhereRaw('unaccent(lower(p.first_name)) LIKE unaccent(?)', [like])
            .orWhereRaw("unaccent(lower(p.first_name || ' ' || p.last_name)) LIKE unaccent(?)", [like]),
      )
      .orderBy(BY_NAME)
      .limit(limit)
  },

  findLink: (db: Knex, personId: string, professionalId: string): Promise<PatientProfessionalLink | undefined> =>
    db('patient_professionals').where({ person_id: personId, professional_id: professionalId }).first(),

  /** Creates the link or changes only the fields given. */
  async upsertLink(
    trx: Knex.Transaction,
    personId: string,
    professionalId: string,
    patch: Partial<PatientProfessionalLink>,
  ): Promise<void> {
    await trx('patient_professionals')
      .insert({ person_id: personId, professional_id: professionalId, ...patch })
      .onConflict(['person_id', 'professional_id'])
      .merge(patch)
  },

  /** Changes an existing link only (no row is created). */
  async updateLink(
    trx: Knex.Transaction,
    personId: string,
    professionalId: string,
    patch: Partial<PatientProfessionalLink>,
  ): Promise<void> {
    await trx('patient_professionals').where({ person_id: personId, professional_id: professionalId }).update(patch)
  },

  /** Ends the professional's emergency accesses to the person still running at `at`. */
  async endEmergencyAccesses(trx: Knex.Transaction, personId: string, professionalId: string, at: Date): Promise<void> {
    await trx('emergency_accesses')
      .where({ person_id: personId, professional_id: professionalId })
      .where('expires_at', '>', at)
      .update({ expires_at: at })
  },

  /** Creates the person's settings row or changes only the fields given. */
  async upsertSettings(
    trx: Knex.Transaction,
    personId: string,
    patch: Partial<{ emergency_etreat: boolean; emergency_btg: boolean; emergency_masked: boolean; mask_new_documents: boolean }>,
  ): Promise<void> {
    const row = { ...patch, updated_at: new Date() }
    await trx('patient_settings')
      .insert({ person_id: personId, ...row })
      .onConflict('person_id')
      .merge(row)
  },
}
