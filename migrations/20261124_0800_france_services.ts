import type { Knex } from 'knex'

/**
 * France Services assisted mode (SPEC §11): every action a counter agent takes for a citizen
 * (opposition, closure request, new code) leaves a receipt the citizen can take home, with a
 * reference they can read out on the phone. No health data here, ever.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('france_services_actions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('reference', 20).notNullable().unique()
    t.string('kind', 20).notNullable() // opposition | closure | new_code
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.uuid('agent_account_id').notNullable().references('accounts.id')
    t.string('agent_name', 200).notNullable()
    t.string('organisation', 200).notNullable()
    t.jsonb('details').notNullable().defaultTo('{}')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['person_id', 'created_at'])
  })
  await knex.raw(
    "ALTER TABLE france_services_actions ADD CONSTRAINT france_services_actions_kind_check CHECK (kind IN ('opposition', 'closure', 'new_code'))",
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('france_services_actions')
}
