import type { Knex } from 'knex'

/**
 * Connected services are real OAuth clients (issue 19 §1): the address where a catalogue service's
 * application starts its own pairing (OpenID Connect «initiate_login_uri»), so that «Connecter ce
 * service» in the catalogue opens the application, which then asks for the person's consent.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth_clients', (t) => {
    t.string('initiate_login_uri', 500)
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth_clients', (t) => t.dropColumn('initiate_login_uri'))
}
