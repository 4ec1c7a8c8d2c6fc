import type { Knex } from 'knex'

/**
 * Back office, catalogue management (issue 7): a service of the catalogue is a draft (added by an
 * operator, not shown to patients yet), published, or withdrawn (gone from the catalogue; its
 * connections give it nothing any more). The services already there are published.
 * A partial index finds the last changes to the access matrix and the catalogue in the activity log.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('catalogue_services', (t) => {
    t.string('status', 12).notNullable().defaultTo('published')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw(
    "ALTER TABLE catalogue_services ADD CONSTRAINT catalogue_services_status_check CHECK (status IN ('draft', 'published', 'withdrawn'))",
  )
  await knex.raw(
    "CREATE INDEX activity_back_office_admin ON activity_log (id DESC) WHERE action IN ('access_matrix.updated', 'catalogue_service.created', 'catalogue_service.updated', 'catalogue_service.published', 'catalogue_service.withdrawn')",
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS activity_back_office_admin')
  await knex.schema.alterTable('catalogue_services', (t) => {
    t.dropColumn('updated_at')
    t.dropColumn('status')
  })
}
