import type { Knex } from 'knex'

/**
 * Carers («aidants», SPEC §3): a person delegates to up to 3 carers (each helps at most 5 people),
 * by invitation that expires, with start and end dates; a PDF attestation at acceptance and at the end.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('carers', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE') // the person helped
    t.uuid('carer_person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('status', 12).notNullable() // invited | active | declined | revoked | cancelled
    t.timestamp('invited_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('invitation_expires_at', { useTz: true }).notNullable()
    t.date('starts_on').notNullable()
    t.date('ends_on')
    t.timestamp('accepted_at', { useTz: true })
    t.timestamp('declined_at', { useTz: true })
    t.timestamp('revoked_at', { useTz: true })
    t.string('revoked_by', 10) // person | carer
    t.index(['carer_person_id', 'status'])
    t.index(['person_id', 'status'])
  })
  await knex.raw(
    "ALTER TABLE carers ADD CONSTRAINT carers_status_check CHECK (status IN ('invited', 'active', 'declined', 'revoked', 'cancelled'))",
  )
  await knex.raw('ALTER TABLE carers ADD CONSTRAINT carers_not_self CHECK (person_id <> carer_person_id)')
  await knex.raw("CREATE UNIQUE INDEX carers_one_open ON carers (person_id, carer_person_id) WHERE status IN ('invited', 'active')")

  await knex.schema.createTable('carer_attestations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('carer_id').notNullable().references('carers.id').onDelete('CASCADE')
    t.string('kind', 12).notNullable() // acceptance | revocation
    t.binary('pdf').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['carer_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('carer_attestations')
  await knex.schema.dropTable('carers')
}
