import type { Knex } from 'knex'

/**
 * Catalogue of services (SPEC §10): the services referenced by the State, each with versions of
 * the data categories it asks to read or write; the consents given by patients (a consent covers
 * one service, one version of its requests and the categories ticked); reports «Signaler un
 * problème» for operators; the 90-day reminder of connected services.
 * Reimbursements («Mon histoire de santé»): reimbursed care imported by operators (amounts in
 * cents) and the imports' reports.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('catalogue_services', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('slug', 60).notNullable().unique()
    t.string('name', 120).notNullable()
    t.string('category', 40).notNullable()
    t.string('publisher', 120).notNullable()
    t.text('description').notNullable()
    t.string('website', 200)
    t.integer('current_version').notNullable().defaultTo(1)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })

  // Each version of a service's requests: [{ category, access: 'read' | 'write' }].
  await knex.schema.createTable('catalogue_service_versions', (t) => {
    t.uuid('service_id').notNullable().references('catalogue_services.id').onDelete('CASCADE')
    t.integer('version').notNullable()
    t.jsonb('requests').notNullable()
    t.timestamp('published_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.primary(['service_id', 'version'])
  })

  // One row per consent: the version it answered, what was asked then and what was ticked.
  await knex.schema.createTable('service_connections', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.uuid('service_id').notNullable().references('catalogue_services.id').onDelete('CASCADE')
    t.integer('version').notNullable()
    t.specificType('asked', 'text[]').notNullable()
    t.specificType('granted', 'text[]').notNullable()
    t.uuid('consented_by_account_id').references('accounts.id').onDelete('SET NULL')
    t.timestamp('consented_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('ended_at', { useTz: true })
  })
  await knex.raw('CREATE UNIQUE INDEX service_connections_active ON service_connections (person_id, service_id) WHERE ended_at IS NULL')
  await knex.raw('CREATE INDEX service_connections_person ON service_connections (person_id) WHERE ended_at IS NULL')

  await knex.schema.createTable('service_reports', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('service_id').notNullable().references('catalogue_services.id').onDelete('CASCADE')
    t.uuid('person_id').references('insured_persons.id').onDelete('SET NULL')
    t.string('reason', 30).notNullable()
    t.text('message').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['created_at'])
  })

  await knex.schema.createTable('service_reminders', (t) => {
    t.uuid('person_id').primary().references('insured_persons.id').onDelete('CASCADE')
    t.timestamp('sent_at', { useTz: true }).notNullable()
  })

  await knex.schema.createTable('reimbursements', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('reference', 40).notNullable().unique()
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.date('care_date').notNullable()
    t.string('act', 200).notNullable()
    t.string('care_type', 30).notNullable()
    t.string('professional', 200).notNullable()
    t.integer('amount_paid_cents').notNullable()
    t.integer('amount_reimbursed_cents').notNullable()
    t.uuid('import_id')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['person_id', 'care_date'])
  })
  await knex.raw(
    'ALTER TABLE reimbursements ADD CONSTRAINT reimbursements_amounts CHECK (amount_paid_cents >= 0 AND amount_reimbursed_cents >= 0 AND amount_reimbursed_cents <= amount_paid_cents)',
  )

  await knex.schema.createTable('reimbursement_imports', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('operator_account_id').references('accounts.id').onDelete('SET NULL')
    t.string('filename', 200).notNullable()
    t.string('status', 20).notNullable().defaultTo('running') // running | done | failed
    t.integer('rows_read').notNullable().defaultTo(0)
    t.integer('rows_inserted').notNullable().defaultTo(0)
    t.integer('rows_already_present').notNullable().defaultTo(0)
    t.integer('rows_rejected').notNullable().defaultTo(0)
    // [{ line, message }], at most the first 200.
    t.jsonb('errors').notNullable().defaultTo('[]')
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('finished_at', { useTz: true })
  })
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'reimbursement_imports',
    'reimbursements',
    'service_reminders',
    'service_reports',
    'service_connections',
    'catalogue_service_versions',
    'catalogue_services',
  ]) {
    await knex.schema.dropTableIfExists(table)
  }
}
