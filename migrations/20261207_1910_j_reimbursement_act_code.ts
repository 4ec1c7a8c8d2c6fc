import type { Knex } from 'knex'

/**
 * The code of a reimbursed act in its nomenclature (CCAM, NGAP…), when the caisse sends it
 * (column `code_acte` of the import, optional): the prevention rules recognise a screening by it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('reimbursements', (t) => {
    t.string('act_code', 13)
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('reimbursements', (t) => t.dropColumn('act_code'))
}
