import type { Knex } from 'knex'

/**
 * Secure messaging (SPEC §9): conversations between a professional and a patient's space, their
 * messages (bodies sealed with AES-256-GCM under the conversation's data key, wrapped by the master
 * key) and attachments (same rules and same chunked encrypted storage as documents).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('conversations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.uuid('professional_id').notNullable().references('professionals.id').onDelete('CASCADE')
    t.binary('subject_sealed').notNullable()
    t.binary('wrapped_key').notNullable()
    // open | closed (closed by the professional, with a reason; a new professional message reopens it)
    t.string('status', 10).notNullable().defaultTo('open')
    t.timestamp('closed_at', { useTz: true })
    t.string('close_reason', 300)
    // Each side archives on its own; a new message from the other side brings it back to the inbox.
    t.timestamp('patient_archived_at', { useTz: true })
    t.timestamp('professional_archived_at', { useTz: true })
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('last_message_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw("ALTER TABLE conversations ADD CONSTRAINT conversations_status_check CHECK (status IN ('open', 'closed'))")
  await knex.raw('CREATE INDEX conversations_person ON conversations (person_id, last_message_at DESC)')
  await knex.raw('CREATE INDEX conversations_professional ON conversations (professional_id, last_message_at DESC)')

  await knex.schema.createTable('messages', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE')
    // professional | patient | representative | carer
    t.string('author_side', 20).notNullable()
    t.uuid('author_account_id').references('accounts.id').onDelete('SET NULL')
    t.string('author_name', 200).notNullable()
    t.binary('body_sealed').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    // Read by the other side (the recipient).
    t.timestamp('read_at', { useTz: true })
  })
  await knex.raw(
    "ALTER TABLE messages ADD CONSTRAINT messages_author_side_check CHECK (author_side IN ('professional', 'patient', 'representative', 'carer'))",
  )
  await knex.raw('CREATE INDEX messages_conversation ON messages (conversation_id, created_at)')
  await knex.raw('CREATE INDEX messages_unread ON messages (conversation_id) WHERE read_at IS NULL')

  await knex.schema.createTable('message_attachments', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('message_id').notNullable().references('messages.id').onDelete('CASCADE')
    t.string('title', 200).notNullable()
    t.string('mime', 60).notNullable()
    t.bigInteger('size_bytes').notNullable().defaultTo(0)
    t.string('file_name', 120).notNullable()
    t.binary('wrapped_key').notNullable()
    t.integer('chunk_size').notNullable().defaultTo(0)
    t.integer('chunk_count').notNullable().defaultTo(0)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw('CREATE INDEX message_attachments_message ON message_attachments (message_id)')

  await knex.schema.createTable('message_attachment_chunks', (t) => {
    t.uuid('attachment_id').notNullable().references('message_attachments.id').onDelete('CASCADE')
    t.integer('seq').notNullable()
    t.binary('data').notNullable()
    t.primary(['attachment_id', 'seq'])
  })
  await knex.raw('ALTER TABLE message_attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL')

  // «Enregistrer dans mes documents»: which attachment became which document (once per space).
  await knex.schema.createTable('message_attachment_saves', (t) => {
    t.uuid('attachment_id').notNullable().references('message_attachments.id').onDelete('CASCADE')
    t.uuid('person_id').notNullable().references('insured_persons.id').onDelete('CASCADE')
    t.uuid('document_id').references('documents.id').onDelete('SET NULL')
    t.timestamp('saved_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.primary(['attachment_id', 'person_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('message_attachment_saves')
  await knex.schema.dropTable('message_attachment_chunks')
  await knex.schema.dropTable('message_attachments')
  await knex.schema.dropTable('messages')
  await knex.schema.dropTable('conversations')
}
