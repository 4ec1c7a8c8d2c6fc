import type { Knex } from 'knex'

/**
 * «Télécharger mes données» (SPEC §2, issue 8): one row per request, built by the `data-export`
 * job into a ZIP kept encrypted at rest as ordered sealed chunks (the document store's format),
 * downloadable once, by the account that asked, for 7 days.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('data_exports', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    // The space exported (the holder's own, or an attached child's).
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    // Who asked (the holder, or the legal representative for a child): the only one who may download.
    t.uuid('requested_by_account_id').notNullable().references('accounts.id').onDelete('CASCADE')
    t.uuid('requested_by_person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('requested_as', 20).notNullable()
    t.string('state', 12).notNullable().defaultTo('requested')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('started_at', { useTz: true })
    t.timestamp('ready_at', { useTz: true })
    t.timestamp('expires_at', { useTz: true })
    t.timestamp('downloaded_at', { useTz: true })
    t.timestamp('purged_at', { useTz: true })
    t.binary('wrapped_key')
    t.bigInteger('size_bytes')
    t.integer('chunk_count')
    t.integer('chunk_size')
    t.integer('document_count')
    t.index(['person_id', 'requested_by_account_id', 'created_at'])
  })
  await knex.raw(
    "ALTER TABLE data_exports ADD CONSTRAINT data_exports_state_check CHECK (state IN ('requested', 'running', 'ready', 'downloaded', 'expired', 'failed'))",
  )
  await knex.raw(
    "ALTER TABLE data_exports ADD CONSTRAINT data_exports_requested_as_check CHECK (requested_as IN ('patient', 'representative'))",
  )
  await knex.raw("CREATE INDEX data_exports_pending ON data_exports (created_at) WHERE state IN ('requested', 'running')")

  await knex.schema.createTable('data_export_chunks', (t) => {
    t.uuid('export_id').notNullable().references('data_exports.id').onDelete('CASCADE')
    t.integer('seq').notNullable()
    t.binary('data').notNullable()
    t.primary(['export_id', 'seq'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('data_export_chunks')
  await knex.schema.dropTableIfExists('data_exports')
}
