import type { Knex } from 'knex'

type Db = Knex | Knex.Transaction

/** A professional as the authorisations page lists them. */
export interface ProfessionalIdentity {
  id: string
  title: string | null
  first_name: string
  last_name: string
  specialty: string | null
  establishment: string | null
  profession: string
}

/** The authorisations page (SPEC §3): SQL only. */
export const authorisationsRepository = {
  /** The professionals holding an emergency access to the person that has not expired at `now`. */
  emergencyProfessionals(db: Db, personId: string, now: Date): Promise<ProfessionalIdentity[]> {
    return db('emergency_accesses as e')
      .join('professionals as p', 'p.id', 'e.professional_id')
      .where('e.person_id', personId)
      .where('e.expires_at', '>', now)
      .distinct('p.id', 'p.title', 'p.first_name', 'p.last_name', 'p.specialty', 'p.establishment', 'p.profession')
  },

  person(db: Db, personId: string): Promise<{ first_names: string; last_name: string; birth_date: string } | undefined> {
    return db('insured_persons').where({ id: personId }).first('first_names', 'last_name', 'birth_date')
  },

  /** The active legal representatives of a child, oldest first. */
  representativesOf(db: Db, childId: string): Promise<{ name: string; since: Date }[]> {
    return db('representatives as r')
      .join('insured_persons as p', 'p.id', 'r.representative_person_id')
      .where('r.child_person_id', childId)
      .whereNull('r.ended_at')
      .orderBy('r.since')
      .select(db.raw("p.first_names || ' ' || p.last_name as name"), 'r.since')
  },
}
