import type { Knex } from 'knex'

/** «Masquer mes remboursements aux professionnels»: a patient setting, read by the access policy. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('patient_settings', (t) => {
    t.boolean('reimbursements_hidden').notNullable().defaultTo(false)
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('patient_settings', (t) => t.dropColumn('reimbursements_hidden'))
}
