import type { Knex } from 'knex'

/**
 * Issue 17 §4: documents' bytes in an object store (S3-compatible, or a folder on disk).
 *  - `documents.object_key`: where the sealed chunks live in the object store; NULL while they are
 *    still in `document_chunks` (documents filed before this change, until `npm run documents:migrate`).
 *  - `object_removals`: objects to remove once `remove_after` has passed. An upload writes its row
 *    (an hour ahead) in a committed step of its own BEFORE sending any byte, and the transaction that
 *    files the document's metadata deletes it: if that transaction rolls back, or the process dies at
 *    any point, the row stays and the `object-removals` job removes the object. A deleted document
 *    (any way: the service, the deletion of closed spaces, by hand) writes its row through the
 *    trigger below, in the deleting transaction: removed only if that transaction commits.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('documents', (t) => {
    t.text('object_key')
  })
  await knex.schema.createTable('object_removals', (t) => {
    t.text('object_key').primary()
    t.timestamp('remove_after', { useTz: true }).notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw('CREATE INDEX object_removals_due ON object_removals (remove_after)')
  await knex.raw(`
    CREATE FUNCTION documents_object_removal() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO object_removals (object_key, remove_after)
      SELECT DISTINCT object_key, now() FROM old_documents WHERE object_key IS NOT NULL
      ON CONFLICT (object_key) DO UPDATE SET remove_after = LEAST(object_removals.remove_after, EXCLUDED.remove_after);
      RETURN NULL;
    END $$;
  `)
  await knex.raw(`
    CREATE TRIGGER documents_object_removal AFTER DELETE ON documents
    REFERENCING OLD TABLE AS old_documents FOR EACH STATEMENT EXECUTE FUNCTION documents_object_removal()
  `)
  // An object replaced by another (not done today): the old one goes too.
  await knex.raw(`
    CREATE FUNCTION documents_object_replaced() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO object_removals (object_key, remove_after) VALUES (OLD.object_key, now())
      ON CONFLICT (object_key) DO UPDATE SET remove_after = LEAST(object_removals.remove_after, EXCLUDED.remove_after);
      RETURN NULL;
    END $$;
  `)
  await knex.raw(`
    CREATE TRIGGER documents_object_replaced AFTER UPDATE OF object_key ON documents
    FOR EACH ROW WHEN (OLD.object_key IS NOT NULL AND OLD.object_key IS DISTINCT FROM NEW.object_key)
    EXECUTE FUNCTION documents_object_replaced()
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS documents_object_replaced ON documents')
  await knex.raw('DROP FUNCTION IF EXISTS documents_object_replaced()')
  await knex.raw('DROP TRIGGER IF EXISTS documents_object_removal ON documents')
  await knex.raw('DROP FUNCTION IF EXISTS documents_object_removal()')
  await knex.schema.dropTableIfExists('object_removals')
  await knex.schema.alterTable('documents', (t) => {
    t.dropColumn('object_key')
  })
}
