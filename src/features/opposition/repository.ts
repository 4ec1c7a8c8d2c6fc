import type { Knex } from 'knex'

/** The SQL of the opposition that is not the space's own row (spaces/repository.ts holds that). */
export const oppositionRepository = {
  /** True when an opposition already carries this reference (references are drawn at random). */
  async referenceTaken(trx: Knex, reference: string): Promise<boolean> {
    return Boolean(await trx('spaces').where({ opposition_reference: reference }).first('person_id'))
  },
}
