import type { Knex } from 'knex'

/**
 * Legal representatives of minors (SPEC §3): who manages a child's space from their own account.
 * Shared by the lifecycle (attach, invite the second representative, end at 18) and by the access
 * policy (a representative sees the child's data except what is «invisible aux représentants légaux»).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('representatives', (t) => {
    t.bigIncrements('id')
    t.uuid('child_person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.uuid('representative_person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.timestamp('since', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('ended_at', { useTz: true })
    t.string('ended_reason', 30) // majority | removed | closed
  })
  await knex.raw(
    'CREATE UNIQUE INDEX representatives_active ON representatives (child_person_id, representative_person_id) WHERE ended_at IS NULL',
  )
  await knex.raw('CREATE INDEX representatives_by_representative ON representatives (representative_person_id) WHERE ended_at IS NULL')
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('representatives')
}
