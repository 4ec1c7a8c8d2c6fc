import type { Knex } from 'knex'

/** One-time codes of the second factor, and the signed-in devices of each account. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('otp_challenges', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE')
    t.string('purpose', 30).notNullable() // signin | password_reset | email_verification
    t.string('code_hash', 64).notNullable()
    t.string('channel', 10).notNullable() // email | sms
    t.integer('attempts').notNullable().defaultTo(0)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.timestamp('used_at', { useTz: true })
    t.index(['account_id', 'created_at'])
  })

  // The sessions of each account, to list the signed-in devices and end them for real.
  await knex.schema.createTable('account_sessions', (t) => {
    t.string('sid', 128).primary()
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.string('user_agent', 300)
    t.string('ip', 64)
    t.index(['account_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('account_sessions')
  await knex.schema.dropTable('otp_challenges')
}
