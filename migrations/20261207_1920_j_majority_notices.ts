import type { Knex } from 'knex'

/**
 * The 18th birthday (issue 19 §4): the notice sent three months before, once per person (its
 * primary key makes the daily job idempotent), with the birthday it announced.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('majority_notices', (t) => {
    t.uuid('person_id').primary().references('insured_persons.id').onDelete('CASCADE')
    t.date('majority_on').notNullable()
    t.integer('recipients').notNullable().defaultTo(0)
    t.timestamp('sent_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('majority_notices')
}
