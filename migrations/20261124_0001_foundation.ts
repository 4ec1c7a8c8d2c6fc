import type { Knex } from 'knex'

/**
 * The foundation: people and their spaces, accounts of every kind, the professionals' directory,
 * provisional codes, sessions (when Redis is not used), the outbox, and the append-only,
 * hash-chained activity log.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pgcrypto')

  // The registry of insured persons, imported by the Assurance Maladie.
  await knex.schema.createTable('insured_persons', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('nir', 15).notNullable().unique()
    t.string('last_name', 100).notNullable()
    t.string('first_names', 150).notNullable()
    t.string('sex', 1).notNullable()
    t.date('birth_date').notNullable()
    t.string('birth_place', 100)
    t.string('address_line1', 150)
    t.string('address_line2', 150)
    t.string('postcode', 10)
    t.string('city', 100)
    t.string('email', 254)
    t.string('mobile', 20)
    t.string('medecin_traitant_rpps', 11)
    t.timestamp('imported_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw("ALTER TABLE insured_persons ADD CONSTRAINT insured_persons_sex_check CHECK (sex IN ('F', 'M'))")

  // One space per person, with its lifecycle state (SPEC §2).
  await knex.schema.createTable('spaces', (t) => {
    t.uuid('person_id').primary().references('insured_persons.id').onDelete('CASCADE')
    t.string('state', 20).notNullable()
    t.timestamp('notified_at', { useTz: true })
    t.string('notice_channel', 10)
    t.timestamp('auto_created_at', { useTz: true })
    t.timestamp('activated_at', { useTz: true })
    t.timestamp('opposed_at', { useTz: true })
    t.string('opposition_reference', 20)
    t.timestamp('closed_at', { useTz: true })
    t.date('archive_until')
    t.timestamp('deletion_requested_at', { useTz: true })
    t.timestamp('state_changed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw(
    "ALTER TABLE spaces ADD CONSTRAINT spaces_state_check CHECK (state IN ('not_notified', 'notified', 'activated', 'opposed', 'auto_created', 'closed'))",
  )
  await knex.raw('CREATE INDEX spaces_state_notified_at ON spaces (state, notified_at)')

  await knex.schema.createTable('provisional_codes', (t) => {
    t.bigIncrements('id')
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('code_hash', 64).notNullable()
    t.string('channel', 10).notNullable() // email | post | counter
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.timestamp('used_at', { useTz: true })
    t.timestamp('voided_at', { useTz: true })
    t.index(['person_id', 'created_at'])
  })

  // The directory of health professionals (RPPS), with or without an account.
  await knex.schema.createTable('professionals', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('rpps', 11).notNullable().unique()
    t.string('title', 10) // «Dr» or empty
    t.string('first_name', 100).notNullable()
    t.string('last_name', 100).notNullable()
    t.string('profession', 40).notNullable() // code, e.g. MEDECIN, PHARMACIEN, INFIRMIER
    t.string('specialty', 100) // label, e.g. «Médecine générale», «Cardiologie»
    t.string('establishment', 150)
    t.string('city', 100)
  })
  await knex.raw('CREATE INDEX professionals_name ON professionals (lower(last_name), lower(first_name))')

  // Every account: patients (identifiant), professionals (RPPS), France Services agents, operators.
  await knex.schema.createTable('accounts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('kind', 20).notNullable()
    t.string('login', 100).notNullable()
    t.text('password_hash').notNullable()
    t.uuid('person_id').unique().references('insured_persons.id')
    t.uuid('professional_id').unique().references('professionals.id')
    t.string('display_name', 200).notNullable()
    t.string('organisation', 200)
    t.string('email', 254)
    t.timestamp('email_verified_at', { useTz: true })
    t.string('mobile', 20)
    t.boolean('notify_new_signin').notNullable().defaultTo(true)
    t.jsonb('notification_prefs').notNullable().defaultTo('{}')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('last_signin_at', { useTz: true })
    t.timestamp('password_changed_at', { useTz: true })
    t.timestamp('disabled_at', { useTz: true })
    t.unique(['kind', 'login'])
  })
  await knex.raw("ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check CHECK (kind IN ('patient', 'professional', 'agent', 'operator'))")

  // Sessions when REDIS_URL is unset (connect-pg-simple's shape).
  await knex.schema.createTable('sessions', (t) => {
    t.string('sid').primary()
    t.json('sess').notNullable()
    t.timestamp('expire', { precision: 6 }).notNullable()
    t.index(['expire'])
  })

  // Transactional outbox for e-mails and SMS (see src/infrastructure/notifier.ts).
  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id')
    t.string('channel', 10).notNullable()
    t.string('kind', 50).notNullable()
    t.string('recipient', 254).notNullable()
    t.string('subject', 200)
    t.text('body')
    t.string('status', 10).notNullable() // pending | sent | kept | failed
    t.integer('attempts').notNullable().defaultTo(0)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('sent_at', { useTz: true })
  })
  await knex.raw("CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending'")
  await knex.raw('CREATE INDEX outbox_recipient ON outbox (recipient, id DESC)')

  // The activity log: append-only, hash-chained per person (chain_key).
  await knex.schema.createTable('activity_log', (t) => {
    t.bigIncrements('id')
    t.string('chain_key', 60).notNullable()
    t.integer('seq').notNullable()
    t.timestamp('occurred_at', { useTz: true }).notNullable()
    t.uuid('actor_account_id')
    t.string('actor_role', 20).notNullable()
    t.string('actor_name', 200).notNullable()
    t.string('actor_organisation', 200)
    t.string('action', 60).notNullable()
    t.string('object_type', 40)
    t.string('object_id', 100)
    t.uuid('subject_person_id')
    t.boolean('emergency').notNullable().defaultTo(false)
    t.jsonb('details')
    t.string('prev_hash', 64).notNullable()
    t.string('hash', 64).notNullable()
    t.unique(['chain_key', 'seq'])
  })
  await knex.raw(
    'CREATE INDEX activity_subject_time ON activity_log (subject_person_id, occurred_at DESC) WHERE subject_person_id IS NOT NULL',
  )
  await knex.raw('CREATE INDEX activity_actor_time ON activity_log (actor_account_id, occurred_at DESC)')
  await knex.raw(`
    CREATE FUNCTION activity_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- The only exception: the legal purge of a deleted space (10 years after closure, or on request).
      IF TG_OP = 'DELETE' AND current_setting('mes.purge_activity', true) = 'on' THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'activity_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
  `)
  await knex.raw(`
    CREATE TRIGGER activity_log_no_update_delete BEFORE UPDATE OR DELETE ON activity_log
    FOR EACH ROW EXECUTE FUNCTION activity_log_append_only()
  `)
  await knex.raw(`
    CREATE TRIGGER activity_log_no_truncate BEFORE TRUNCATE ON activity_log
    FOR EACH STATEMENT EXECUTE FUNCTION activity_log_append_only()
  `)

  // rate-limiter-flexible's table, used when REDIS_URL is unset.
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 255).primary()
    t.integer('points').notNullable().defaultTo(0)
    t.bigInteger('expire')
  })

  await knex.schema.createTable('audit_verifications', (t) => {
    t.increments('id')
    t.timestamp('verified_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.boolean('ok').notNullable()
    t.bigInteger('rows_checked').notNullable()
    t.integer('chains_checked').notNullable()
    t.jsonb('first_break')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_verifications')
  await knex.schema.dropTable('rate_limits')
  await knex.raw('DROP TABLE activity_log')
  await knex.raw('DROP FUNCTION activity_log_append_only')
  await knex.schema.dropTable('outbox')
  await knex.schema.dropTable('sessions')
  await knex.schema.dropTable('accounts')
  await knex.schema.dropTable('professionals')
  await knex.schema.dropTable('provisional_codes')
  await knex.schema.dropTable('spaces')
  await knex.schema.dropTable('insured_persons')
}
