import type { Knex } from 'knex'

/**
 * Issue 8 (FHIR figures): the guard of a search in ONE round trip. The access policy decided in
 * Node on the facts a previous call read; the round trip starts by reading them again and comparing
 * their digest with the one that was decided on. A difference (consent withdrawn, space closed,
 * settings changed…) raises SQLSTATE MS001: the transaction is rolled back before anything is read
 * or recorded, and the caller decides again on fresh facts.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION facts_unchanged(p_actual text, p_expected text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      IF p_actual IS DISTINCT FROM p_expected THEN
        RAISE EXCEPTION 'les faits de la décision ont changé' USING ERRCODE = 'MS001';
      END IF;
      RETURN true;
    END $$;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION IF EXISTS facts_unchanged(text, text)')
}
