import type { Knex } from 'knex'

/**
 * The medical profile (SPEC §7): list sections (maladies, traitements, allergies, antécédents
 * familiaux, hospitalisations, handicaps), single facts (groupe sanguin, don d'organes), the
 * entourage (personne de confiance, contacts d'urgence), directives anticipées, measures and the
 * answers to questionnaires (habitudes de vie, bilan prévention).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('profile_entries', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('section', 30).notNullable()
    t.string('label', 200).notNullable()
    t.text('detail')
    t.date('start_date')
    t.date('end_date')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['person_id', 'section'])
  })
  await knex.raw(
    "ALTER TABLE profile_entries ADD CONSTRAINT profile_entries_section_check CHECK (section IN ('conditions', 'treatments', 'allergies', 'family_history', 'hospitalisations', 'disabilities'))",
  )

  await knex.schema.createTable('profile_facts', (t) => {
    t.uuid('person_id').primary().references('insured_persons.id').onDelete('CASCADE')
    t.string('blood_group', 3)
    t.string('organ_donation', 20)
    t.text('organ_donation_note')
    t.timestamp('organ_donation_at', { useTz: true })
    t.jsonb('lifestyle') // «Habitudes de vie»: the current answers (questionnaire habitudes-de-vie)
    t.string('lifestyle_version', 20)
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw(
    "ALTER TABLE profile_facts ADD CONSTRAINT profile_facts_blood_group_check CHECK (blood_group IN ('A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'))",
  )
  await knex.raw(
    "ALTER TABLE profile_facts ADD CONSTRAINT profile_facts_organ_donation_check CHECK (organ_donation IN ('accept', 'refuse', 'undecided'))",
  )

  await knex.schema.createTable('profile_contacts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('role', 10).notNullable() // trusted | emergency
    t.string('name', 150).notNullable()
    t.string('relationship', 100)
    t.string('phone', 20)
    t.string('email', 254)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['person_id'])
  })
  await knex.raw("ALTER TABLE profile_contacts ADD CONSTRAINT profile_contacts_role_check CHECK (role IN ('trusted', 'emergency'))")
  // One personne de confiance per person (the limit of 3 emergency contacts is checked under a lock).
  await knex.raw("CREATE UNIQUE INDEX profile_contacts_one_trusted ON profile_contacts (person_id) WHERE role = 'trusted'")

  await knex.schema.createTable('advance_directives', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.jsonb('answers').notNullable()
    t.uuid('document_id')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('replaced_at', { useTz: true })
  })
  await knex.raw('CREATE UNIQUE INDEX advance_directives_current ON advance_directives (person_id) WHERE replaced_at IS NULL')

  await knex.schema.createTable('measures', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('type', 20).notNullable()
    t.decimal('value', 8, 2).notNullable()
    t.decimal('value2', 8, 2) // diastolic pressure
    t.date('measured_on').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw('CREATE INDEX measures_person_type_date ON measures (person_id, type, measured_on)')

  await knex.schema.createTable('questionnaire_responses', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('questionnaire', 40).notNullable() // e.g. bilan-prevention, habitudes-de-vie
    t.string('version', 20).notNullable()
    t.jsonb('answers').notNullable().defaultTo('{}')
    t.string('status', 10).notNullable() // draft | final
    t.uuid('document_id')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('finalised_at', { useTz: true })
  })
  await knex.raw(
    "ALTER TABLE questionnaire_responses ADD CONSTRAINT questionnaire_responses_status_check CHECK (status IN ('draft', 'final'))",
  )
  // At most one draft of a questionnaire per person (habitudes de vie: one current answer set).
  await knex.raw(
    "CREATE UNIQUE INDEX questionnaire_responses_one_draft ON questionnaire_responses (person_id, questionnaire) WHERE status = 'draft'",
  )
  await knex.raw('CREATE INDEX questionnaire_responses_person ON questionnaire_responses (person_id, questionnaire, created_at DESC)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('questionnaire_responses')
  await knex.schema.dropTable('measures')
  await knex.schema.dropTable('advance_directives')
  await knex.schema.dropTable('profile_contacts')
  await knex.schema.dropTable('profile_facts')
  await knex.schema.dropTable('profile_entries')
}
