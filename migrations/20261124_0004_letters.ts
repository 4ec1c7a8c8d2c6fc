import type { Knex } from 'knex'

/**
 * Letters for the print house (SPEC §2, §12): a provisional code sent by post, an opposition receipt...
 * What the letter must say in clear (a code) is sealed with the master key until the letter is printed,
 * then wiped. Operators download the queue as PDF batches.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('letters', (t) => {
    t.bigIncrements('id')
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('kind', 40).notNullable() // provisional_code | opposition_receipt | closure_receipt | ...
    t.jsonb('address').notNullable() // the address at the time of sending
    t.binary('sealed_payload') // AES-256-GCM (master key), wiped once printed
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.bigInteger('batch_id')
    t.timestamp('printed_at', { useTz: true })
  })
  await knex.raw('CREATE INDEX letters_unprinted ON letters (id) WHERE printed_at IS NULL')
  await knex.raw('CREATE INDEX provisional_codes_active ON provisional_codes (person_id) WHERE used_at IS NULL AND voided_at IS NULL')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX provisional_codes_active')
  await knex.schema.dropTable('letters')
}
