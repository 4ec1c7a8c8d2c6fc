import type { Knex } from 'knex'

/**
 * Issue 17 §5: the session settings every connection needs (30 s per statement, Paris time) held by
 * the database itself, so that they hold behind a transaction pooler too (PgBouncer passes no
 * start-up `options` on, and a `SET` would stay on whichever server connection ran it). Direct
 * connections still send them at start-up (createDb). Needs a role that owns the database: without
 * it, a warning, and a process configured for PgBouncer refuses to start until they are set.
 * (A database copied from a template does not inherit these: set them again on the copy.)
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'Europe/Paris');
      EXECUTE format('ALTER DATABASE %I SET statement_timeout TO %L', current_database(), '30s');
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE WARNING 'réglages de session non posés sur la base (il faut en être propriétaire) : voir docs/scale-out.md';
    END $$;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$
    BEGIN
      EXECUTE format('ALTER DATABASE %I RESET timezone', current_database());
      EXECUTE format('ALTER DATABASE %I RESET statement_timeout', current_database());
    EXCEPTION WHEN insufficient_privilege THEN
      NULL;
    END $$;
  `)
}
