import type { Knex } from 'knex'

/**
 * Connected services (SPEC §10, issue 8): the OAuth 2.0 / OpenID Connect clients registered by
 * operators, the authorisation server's own records (grants, codes, tokens, interactions) and the
 * patient's consent per client and per data category.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oauth_clients', (t) => {
    t.string('id', 64).primary() // the OAuth client_id
    t.string('name', 200).notNullable()
    t.specificType('redirect_uris', 'text[]').notNullable()
    t.specificType('allowed_scopes', 'text[]').notNullable()
    t.string('catalogue_service_id', 64) // the catalogue entry, once the catalogue exists
    t.binary('secret_sealed').notNullable() // AES-256-GCM with the master key (the provider compares it in clear)
    t.timestamp('secret_rotated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('disabled_at', { useTz: true })
  })
  // oidc-provider's models (Grant, AuthorizationCode, AccessToken, RefreshToken, Interaction, Session...).
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('model', 40).notNullable()
    t.string('id', 200).notNullable()
    t.jsonb('payload').notNullable()
    t.string('grant_id', 200)
    t.string('uid', 200)
    t.string('user_code', 200)
    t.timestamp('expires_at', { useTz: true })
    t.timestamp('consumed_at', { useTz: true })
    t.primary(['model', 'id'])
  })
  await knex.raw('CREATE INDEX oidc_payloads_grant ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL')
  await knex.raw('CREATE INDEX oidc_payloads_uid ON oidc_payloads (uid) WHERE uid IS NOT NULL')
  await knex.raw('CREATE INDEX oidc_payloads_expires ON oidc_payloads (expires_at)')
  // What the person allowed each service to do, category by category (revoked by «Désynchroniser»).
  await knex.schema.createTable('service_consents', (t) => {
    t.bigIncrements('id')
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('client_id', 64).notNullable().references('oauth_clients.id').onDelete('CASCADE')
    t.specificType('scopes', 'text[]').notNullable()
    t.timestamp('granted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('revoked_at', { useTz: true })
  })
  await knex.raw('CREATE UNIQUE INDEX service_consents_active ON service_consents (person_id, client_id) WHERE revoked_at IS NULL')
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('service_consents')
  await knex.schema.dropTable('oidc_payloads')
  await knex.schema.dropTable('oauth_clients')
}
