import type { Knex } from 'knex'

/**
 * The operators' back office (SPEC §12): imports of insured persons and their bad lines (line
 * number, column, message: never the line's content), notification campaigns, batches of letters
 * for the print house, and the figures summary refreshed by a job (the figures page never scans
 * the spaces table).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('person_imports', (t) => {
    t.bigIncrements('id')
    t.uuid('operator_account_id').references('accounts.id')
    t.string('source', 20).notNullable() // upload | cli
    t.string('filename', 200)
    t.string('status', 20).notNullable() // running | done | failed
    t.integer('rows_total').notNullable().defaultTo(0)
    t.integer('rows_ok').notNullable().defaultTo(0)
    t.integer('rows_bad').notNullable().defaultTo(0)
    t.integer('inserted').notNullable().defaultTo(0)
    t.integer('updated').notNullable().defaultTo(0)
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('finished_at', { useTz: true })
  })
  await knex.schema.createTable('person_import_errors', (t) => {
    t.bigInteger('import_id').notNullable().references('person_imports.id').onDelete('CASCADE')
    t.integer('line').notNullable()
    t.string('column', 40).notNullable()
    t.string('message', 300).notNullable()
    t.index(['import_id', 'line'])
  })

  await knex.schema.createTable('notification_campaigns', (t) => {
    t.bigIncrements('id')
    t.uuid('operator_account_id').references('accounts.id')
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('finished_at', { useTz: true })
    t.integer('persons').notNullable().defaultTo(0)
    t.integer('emails').notNullable().defaultTo(0)
    t.integer('letters').notNullable().defaultTo(0)
  })

  await knex.schema.createTable('letter_batches', (t) => {
    t.bigIncrements('id')
    t.uuid('operator_account_id').references('accounts.id')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.integer('letters').notNullable()
    t.timestamp('downloaded_at', { useTz: true })
    t.timestamp('sent_at', { useTz: true })
  })
  await knex.raw('CREATE INDEX letters_batch ON letters (batch_id) WHERE batch_id IS NOT NULL')

  // The figures page reads these two small tables only.
  await knex.schema.createTable('figures_states', (t) => {
    t.string('state', 20).primary()
    t.bigInteger('count').notNullable()
  })
  await knex.schema.createTable('figures_daily', (t) => {
    t.date('day').primary()
    t.integer('activations').notNullable().defaultTo(0)
    t.integer('oppositions').notNullable().defaultTo(0)
    t.integer('auto_created').notNullable().defaultTo(0)
    t.integer('codes_email').notNullable().defaultTo(0)
    t.integer('codes_post').notNullable().defaultTo(0)
  })
  await knex.schema.createTable('figures_refreshes', (t) => {
    t.increments('id')
    t.timestamp('refreshed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.integer('duration_ms').notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('figures_refreshes')
  await knex.schema.dropTable('figures_daily')
  await knex.schema.dropTable('figures_states')
  await knex.raw('DROP INDEX letters_batch')
  await knex.schema.dropTable('letter_batches')
  await knex.schema.dropTable('notification_campaigns')
  await knex.schema.dropTable('person_import_errors')
  await knex.schema.dropTable('person_imports')
}
