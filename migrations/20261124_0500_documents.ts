import type { Knex } from 'knex'

/**
 * Documents (SPEC §4) and the facts of the access policy (SPEC §5):
 *  - `documents` (metadata) + `document_chunks` (the ciphertext as ordered AES-256-GCM chunks, so
 *    that neither upload nor download holds a whole file in memory; transactional with the metadata);
 *  - `patient_professionals`: one row per (patient, professional) the patient has a relation with:
 *    listed in «Mes professionnels de santé», consent declared (care team), «administrateur»,
 *    blocked. The médecin traitant stays `insured_persons.medecin_traitant_rpps` (imported);
 *  - `patient_settings`: the three emergency switches and «Masquer par défaut les nouveaux documents»;
 *  - `emergency_accesses`: each «bris de glace» / SAMU access, with its reason and end;
 *  - `access_matrix`: the matrice d'habilitation (profession × category), seeded here, editable by operators.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('documents', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.string('category', 20).notNullable()
    t.string('title', 200).notNullable()
    t.date('document_date').notNullable()
    t.string('mime', 60).notNullable()
    t.bigInteger('size_bytes').notNullable().defaultTo(0)
    t.string('file_name', 120).notNullable() // safe name, used for Content-Disposition
    // Who filed it: patient | representative | carer | professional | system
    t.string('author_kind', 20).notNullable()
    t.uuid('author_account_id').references('accounts.id').onDelete('SET NULL')
    t.uuid('author_professional_id').references('professionals.id').onDelete('SET NULL')
    t.string('author_name', 200).notNullable()
    t.string('author_profession', 100)
    t.string('author_organisation', 200)
    // Confidentiality (SPEC §4): masked to professionals; invisible to legal representatives.
    t.boolean('masked').notNullable().defaultTo(false)
    t.boolean('invisible_to_representatives').notNullable().defaultTo(false)
    // Consultation d'annonce: hidden from the patient until released by the author or held_until passed.
    t.timestamp('held_until', { useTz: true })
    t.timestamp('held_released_at', { useTz: true })
    t.timestamp('held_reminder_sent_at', { useTz: true })
    // Encryption: the document's data key wrapped by the master key; plaintext chunk size.
    t.binary('wrapped_key').notNullable()
    t.integer('chunk_size').notNullable()
    t.integer('chunk_count').notNullable().defaultTo(0)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw(
    "ALTER TABLE documents ADD CONSTRAINT documents_author_kind_check CHECK (author_kind IN ('patient', 'representative', 'carer', 'professional', 'system'))",
  )
  await knex.raw('CREATE INDEX documents_person_date ON documents (person_id, document_date DESC, created_at DESC)')
  await knex.raw('CREATE INDEX documents_person_category_date ON documents (person_id, category, document_date DESC)')
  await knex.raw('CREATE INDEX documents_held ON documents (held_until) WHERE held_until IS NOT NULL AND held_released_at IS NULL')

  await knex.schema.createTable('document_chunks', (t) => {
    t.uuid('document_id').notNullable().references('documents.id').onDelete('CASCADE')
    t.integer('seq').notNullable()
    t.binary('data').notNullable()
    t.primary(['document_id', 'seq'])
  })
  // Ciphertext does not compress: keep it out of TOAST compression attempts.
  await knex.raw('ALTER TABLE document_chunks ALTER COLUMN data SET STORAGE EXTERNAL')

  await knex.schema.createTable('patient_professionals', (t) => {
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.uuid('professional_id').notNullable().references('professionals.id').onDelete('CASCADE')
    t.timestamp('added_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    // Listed by the patient in «Mes professionnels de santé» (grants nothing by itself).
    t.boolean('listed').notNullable().defaultTo(false)
    // Consent declared by the professional: member of the care team (cleared by blocking).
    t.timestamp('consent_at', { useTz: true })
    t.boolean('administrator').notNullable().defaultTo(false)
    t.timestamp('blocked_at', { useTz: true })
    t.primary(['person_id', 'professional_id'])
  })
  await knex.raw('CREATE INDEX patient_professionals_by_professional ON patient_professionals (professional_id)')

  await knex.schema.createTable('patient_settings', (t) => {
    t.uuid('person_id').primary().references('insured_persons.id').onDelete('CASCADE')
    t.boolean('emergency_etreat').notNullable().defaultTo(true)
    t.boolean('emergency_btg').notNullable().defaultTo(true)
    t.boolean('emergency_masked').notNullable().defaultTo(false)
    t.boolean('mask_new_documents').notNullable().defaultTo(false)
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })

  await knex.schema.alterTable('professionals', (t) => {
    // A SAMU regulating doctor (centre 15): may use the ETREAT emergency access.
    t.boolean('samu_regulator').notNullable().defaultTo(false)
  })

  await knex.schema.createTable('emergency_accesses', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.uuid('professional_id').notNullable().references('professionals.id').onDelete('CASCADE')
    t.string('kind', 10).notNullable() // ETREAT | BTG
    t.string('reason', 500).notNullable()
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.index(['person_id', 'professional_id', 'expires_at'])
  })

  await knex.schema.createTable('access_matrix', (t) => {
    t.string('profession', 40).notNullable()
    t.string('category', 20).notNullable()
    t.boolean('can_read').notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.primary(['profession', 'category'])
  })
  const categories = [
    'SYNTHESE',
    'ORD_SOIN',
    'RADIO_SC',
    'BIOLOGIE',
    'CPT_REND',
    'DEPISTAG',
    'CERT_MED',
    'DOC_ADM',
    'AUTR_DOC',
    'SYNTH_PML',
    'DIR_ANT',
    'QUEST_SANTE',
    'CAR_VAC',
    'REMB',
  ]
  // What each profession may NOT read; everything else is readable. Doctors read everything.
  const denied: Record<string, string[]> = {
    MEDECIN: [],
    SAGE_FEMME: ['REMB'],
    PHARMACIEN: ['DIR_ANT', 'QUEST_SANTE', 'CERT_MED', 'DOC_ADM', 'REMB'],
    INFIRMIER: ['QUEST_SANTE', 'DOC_ADM', 'REMB'],
    CHIRURGIEN_DENTISTE: ['DIR_ANT', 'QUEST_SANTE', 'CERT_MED', 'DOC_ADM', 'REMB'],
    MASSEUR_KINESITHERAPEUTE: ['DIR_ANT', 'QUEST_SANTE', 'BIOLOGIE', 'CERT_MED', 'DOC_ADM', 'REMB'],
  }
  const rows = []
  for (const [profession, no] of Object.entries(denied)) {
    for (const category of categories) rows.push({ profession, category, can_read: !no.includes(category) })
  }
  await knex('access_matrix').insert(rows)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('access_matrix')
  await knex.schema.dropTable('emergency_accesses')
  await knex.schema.alterTable('professionals', (t) => t.dropColumn('samu_regulator'))
  await knex.schema.dropTable('patient_settings')
  await knex.schema.dropTable('patient_professionals')
  await knex.schema.dropTable('document_chunks')
  await knex.schema.dropTable('documents')
}
