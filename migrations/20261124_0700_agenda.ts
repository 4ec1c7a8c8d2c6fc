import type { Knex } from 'knex'

/**
 * Agenda and prevention (SPEC §8) and the vaccinations of the medical profile (SPEC §7):
 * vaccinations, agenda events with their reminders (each sent once), private iCalendar links
 * (only a hash of the secret is kept), and the due-prevention notices already sent (once per window).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('vaccinations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('vaccine', 20).notNullable()
    t.string('other_name', 100)
    t.date('date').notNullable()
    t.string('dose', 2).notNullable()
    t.string('professional', 150).notNullable()
    t.string('lot', 40)
    t.uuid('created_by_account_id').references('accounts.id').onDelete('SET NULL')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['person_id', 'date'])
  })

  await knex.schema.createTable('agenda_events', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('title', 150).notNullable()
    t.date('date').notNullable()
    t.string('time', 5) // HH:MM, Paris time; null for a whole day
    t.string('place', 200)
    t.string('professional', 150)
    t.text('notes')
    t.string('status', 12).notNullable().defaultTo('confirme')
    t.string('prevention_rule', 60) // set when added from «Examens et vaccins recommandés»
    t.uuid('created_by_account_id').references('accounts.id').onDelete('SET NULL')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['person_id', 'date'])
  })
  await knex.raw(
    "ALTER TABLE agenda_events ADD CONSTRAINT agenda_events_status_check CHECK (status IN ('confirme', 'honore', 'annule', 'non_honore'))",
  )
  await knex.raw(
    "ALTER TABLE agenda_events ADD CONSTRAINT agenda_events_time_check CHECK (time IS NULL OR time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$')",
  )

  await knex.schema.createTable('agenda_reminders', (t) => {
    t.bigIncrements('id')
    t.uuid('event_id').notNullable().references('agenda_events.id').onDelete('CASCADE')
    // Who receives the e-mail: the account that asked for it (a representative for a child's event).
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE')
    t.date('remind_on').notNullable()
    t.string('kind', 6).notNullable() // veille | date
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('sent_at', { useTz: true })
    t.unique(['event_id', 'account_id', 'remind_on'])
  })
  await knex.raw("ALTER TABLE agenda_reminders ADD CONSTRAINT agenda_reminders_kind_check CHECK (kind IN ('veille', 'date'))")
  await knex.raw('CREATE INDEX agenda_reminders_due ON agenda_reminders (remind_on, id) WHERE sent_at IS NULL')

  await knex.schema.createTable('calendar_links', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE')
    t.string('token_hash', 64).notNullable().unique()
    t.string('detail', 8).notNullable() // minimal | titles
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('revoked_at', { useTz: true })
    t.index(['person_id', 'account_id'])
  })
  await knex.raw("ALTER TABLE calendar_links ADD CONSTRAINT calendar_links_detail_check CHECK (detail IN ('minimal', 'titles'))")

  await knex.schema.createTable('prevention_notices', (t) => {
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('rule_id', 60).notNullable()
    t.date('window_from').notNullable()
    t.timestamp('sent_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.primary(['person_id', 'rule_id', 'window_from'])
  })
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['prevention_notices', 'calendar_links', 'agenda_reminders', 'agenda_events', 'vaccinations'])
    await knex.schema.dropTableIfExists(table)
}
