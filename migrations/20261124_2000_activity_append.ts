import type { Knex } from 'knex'

/**
 * Issue 8 (FHIR figures): one activity row in ONE round trip instead of three. The function does
 * exactly what `activity.record` did from Node, in the caller's transaction: take the chain's
 * advisory lock (the same key, so old and new writers serialise together), read the chain head
 * (a new snapshot per statement in a VOLATILE function, so the head read after the lock is the
 * committed one), compute the next hash and insert. The hash is the same SHA-256 as
 * `entryHash` (src/domain/hashChain.ts): Node sends the canonical JSON of the entry split around
 * `seq` (the only part that depends on the chain head), so `ChainVerifier` checks these rows
 * unchanged.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION activity_append(
      p_chain_key text, p_body_before text, p_body_after text, p_occurred_at timestamptz,
      p_actor_account_id uuid, p_actor_role text, p_actor_name text, p_actor_organisation text,
      p_action text, p_object_type text, p_object_id text, p_subject_person_id uuid,
      p_emergency boolean, p_details jsonb
    ) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
      v_seq integer;
      v_prev text;
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtextextended(p_chain_key, 42));
      SELECT seq, hash INTO v_seq, v_prev FROM activity_log WHERE chain_key = p_chain_key ORDER BY seq DESC LIMIT 1;
      v_seq := coalesce(v_seq, 0) + 1;
      v_prev := coalesce(v_prev, repeat('0', 64));
      INSERT INTO activity_log (chain_key, seq, occurred_at, actor_account_id, actor_role, actor_name, actor_organisation,
                                action, object_type, object_id, subject_person_id, emergency, details, prev_hash, hash)
      VALUES (p_chain_key, v_seq, p_occurred_at, p_actor_account_id, p_actor_role, p_actor_name, p_actor_organisation,
              p_action, p_object_type, p_object_id, p_subject_person_id, p_emergency, p_details, v_prev,
              encode(sha256(convert_to(v_prev || E'\\n' || p_body_before || v_seq::text || p_body_after, 'UTF8')), 'hex'));
      RETURN v_seq;
    END $$;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'DROP FUNCTION IF EXISTS activity_append(text, text, text, timestamptz, uuid, text, text, text, text, text, text, uuid, boolean, jsonb)',
  )
}
