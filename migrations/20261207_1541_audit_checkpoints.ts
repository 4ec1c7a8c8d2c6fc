import type { Knex } from 'knex'

/**
 * Issue 15 §5: the chain heads of the activity log, kept where the log's writer cannot rewrite them.
 * A hash chain shows a row changed or removed in the middle, not rows removed at the END of a chain:
 * each checkpoint pins the head (seq, hash) of the chains that moved since, each head signed with an
 * HMAC whose key comes from the environment (AUDIT_CHECKPOINT_KEY), never from the database. Written
 * by a periodic job and at every verification (`npm run audit:verify`), which compares every chain to
 * its latest pinned head.
 *
 * Both tables are append-only: a trigger refuses UPDATE, DELETE and TRUNCATE, and the application's
 * database role is granted only SELECT and INSERT on them (see `grantAppRole`, src/infrastructure/database.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_checkpoints', (t) => {
    t.bigIncrements('id')
    t.timestamp('taken_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.string('reason', 20).notNullable() // periodic | verification
    // The highest activity_log id when it was taken: the next periodic checkpoint reads the rows after it.
    t.bigInteger('up_to_id').notNullable()
  })
  await knex.raw("ALTER TABLE audit_checkpoints ADD CONSTRAINT audit_checkpoints_reason CHECK (reason IN ('periodic', 'verification'))")
  await knex.schema.createTable('audit_checkpoint_heads', (t) => {
    t.bigInteger('checkpoint_id').notNullable().references('audit_checkpoints.id')
    t.string('chain_key', 60).notNullable()
    t.integer('seq').notNullable()
    t.string('hash', 64).notNullable()
    // HMAC-SHA256 of (chain_key, seq, hash) with AUDIT_CHECKPOINT_KEY, hex.
    t.string('mac', 64).notNullable()
  })
  await knex.raw('CREATE INDEX audit_checkpoint_heads_chain ON audit_checkpoint_heads (chain_key, seq DESC)')
  await knex.raw(`
    CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
  `)
  for (const table of ['audit_checkpoints', 'audit_checkpoint_heads']) {
    await knex.raw(
      `CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION audit_append_only()`,
    )
    await knex.raw(
      `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()`,
    )
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_checkpoint_heads')
  await knex.schema.dropTable('audit_checkpoints')
  await knex.raw('DROP FUNCTION audit_append_only')
}
