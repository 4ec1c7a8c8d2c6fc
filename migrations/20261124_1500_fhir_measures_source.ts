import type { Knex } from 'knex'

/**
 * Issue 8: a measure written by a connected service keeps its source (the OAuth client and its name
 * at the time), shown as «Ajoutée par <service>» in the profile. The FHIR search by code and date
 * reads (person_id, type, measured_on) — the existing index.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('measures', (t) => {
    t.string('source_client_id', 64).references('oauth_clients.id').onDelete('SET NULL')
    t.string('source_name', 200)
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('measures', (t) => {
    t.dropColumn('source_client_id')
    t.dropColumn('source_name')
  })
}
