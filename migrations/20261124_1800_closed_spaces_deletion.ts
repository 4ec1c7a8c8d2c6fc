import type { Knex } from 'knex'

/**
 * Deletion of a closed space's data (SPEC §2): 10 years after the closure, or 3 months after the
 * person asked for it. The space row stays (state `closed`) with the moment its data were deleted;
 * the registry row (insured_persons) and the activity log (append-only, SPEC §6) stay too.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('spaces', (t) => {
    t.timestamp('data_deleted_at', { useTz: true })
  })
  // The daily job reads only the closed spaces whose data are still there.
  await knex.raw("CREATE INDEX spaces_closed_pending_deletion ON spaces (person_id) WHERE state = 'closed' AND data_deleted_at IS NULL")
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX spaces_closed_pending_deletion')
  await knex.schema.alterTable('spaces', (t) => {
    t.dropColumn('data_deleted_at')
  })
}
