import type { Knex } from 'knex'

/**
 * The citizen side of the space lifecycle (SPEC §2, §3): e-mail verification codes (activation and
 * change of contact e-mail), password-reset links, accepted terms, a public id for each signed-in
 * device (the session id never reaches a page), invitations of the second legal representative.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('email_verifications', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.uuid('account_id').references('accounts.id').onDelete('CASCADE')
    t.string('purpose', 30).notNullable() // activation | contact_change
    t.string('email', 254).notNullable()
    t.string('code_hash', 64).notNullable()
    t.integer('attempts').notNullable().defaultTo(0)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.timestamp('verified_at', { useTz: true })
    t.timestamp('used_at', { useTz: true })
    t.index(['person_id', 'created_at'])
  })

  // Links sent by e-mail (password reset): only a keyed hash of the token is kept.
  await knex.schema.createTable('account_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE')
    t.string('purpose', 30).notNullable() // password_reset
    t.string('token_hash', 64).notNullable().unique()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.timestamp('used_at', { useTz: true })
    t.index(['account_id', 'created_at'])
  })

  await knex.schema.alterTable('accounts', (t) => {
    t.timestamp('terms_accepted_at', { useTz: true })
    t.string('terms_version', 20)
  })

  await knex.raw('ALTER TABLE account_sessions ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid()')
  await knex.raw('CREATE UNIQUE INDEX account_sessions_public_id ON account_sessions (public_id)')

  await knex.raw('CREATE UNIQUE INDEX spaces_opposition_reference ON spaces (opposition_reference) WHERE opposition_reference IS NOT NULL')

  await knex.schema.createTable('representative_invitations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('child_person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.uuid('invited_by_person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.uuid('invitee_person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.timestamp('accepted_at', { useTz: true })
    t.timestamp('declined_at', { useTz: true })
    t.timestamp('cancelled_at', { useTz: true })
  })
  await knex.raw(
    'CREATE UNIQUE INDEX representative_invitations_pending ON representative_invitations (child_person_id, invitee_person_id) WHERE accepted_at IS NULL AND declined_at IS NULL AND cancelled_at IS NULL',
  )
  await knex.raw(
    'CREATE INDEX representative_invitations_invitee ON representative_invitations (invitee_person_id) WHERE accepted_at IS NULL AND declined_at IS NULL AND cancelled_at IS NULL',
  )
  // The daily majority job looks for the active representations of people born before a date.
  await knex.raw('CREATE INDEX insured_persons_birth_date ON insured_persons (birth_date)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX insured_persons_birth_date')
  await knex.schema.dropTable('representative_invitations')
  await knex.raw('DROP INDEX spaces_opposition_reference')
  await knex.raw('DROP INDEX account_sessions_public_id')
  await knex.raw('ALTER TABLE account_sessions DROP COLUMN public_id')
  await knex.schema.alterTable('accounts', (t) => {
    t.dropColumn('terms_accepted_at')
    t.dropColumn('terms_version')
  })
  await knex.schema.dropTable('account_tokens')
  await knex.schema.dropTable('email_verifications')
}
