import type { Knex } from 'knex'
import { isUuid } from '../../domain/uuid'

export interface VaccinationFields {
  vaccine: string
  other_name: string | null
  date: string
  dose: string
  professional: string
  lot: string | null
}

export interface VaccinationRow extends VaccinationFields {
  id: string
  person_id: string
}

/** All SQL of «Vaccinations». Every function takes the connection or the transaction it runs in. */
export const vaccinationsRepository = {
  /** A person's vaccinations, the latest first. */
  listForPerson: (db: Knex, personId: string): Promise<VaccinationRow[]> =>
    db('vaccinations')
      .where({ person_id: personId })
      .orderBy([
        { column: 'date', order: 'desc' },
        { column: 'created_at', order: 'desc' },
      ]),

  /** One vaccination of this person (undefined for another person's, or an id that is not a UUID). */
  findForPerson: (db: Knex, personId: string, id: string): Promise<VaccinationRow | undefined> =>
    isUuid(id) ? db('vaccinations').where({ id, person_id: personId }).first() : Promise.resolve(undefined),

  /** The person's birth date (undefined when the person does not exist). */
  async birthDateOf(db: Knex, personId: string): Promise<string | undefined> {
    const p = await db('insured_persons').where({ id: personId }).first<{ birth_date: string } | undefined>('birth_date')
    return p?.birth_date
  },

  async insert(trx: Knex, personId: string, accountId: string | null, f: VaccinationFields): Promise<string> {
    const [row] = await trx('vaccinations')
      .insert({ ...f, person_id: personId, created_by_account_id: accountId })
      .returning<{ id: string }[]>('id')
    return row.id
  },

  /** Updates one vaccination of this person; false when there is none. */
  async updateForPerson(trx: Knex, personId: string, id: string, f: VaccinationFields): Promise<boolean> {
    if (!isUuid(id)) return false
    const n = await trx('vaccinations')
      .where({ id, person_id: personId })
      .update({ ...f, updated_at: trx.fn.now() })
    return n > 0
  },

  async delete(trx: Knex, id: string): Promise<void> {
    await trx('vaccinations').where({ id }).del()
  },
}
