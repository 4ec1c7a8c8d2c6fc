import type { Knex } from 'knex'

/**
 * Issue 15 §2, carers («aidants», SPEC §3):
 * - the rights of each delegation are data the patient chooses at invitation: see the documents and
 *   data (`can_see`), add and edit them (`can_write`, never without `can_see`), the secure messaging
 *   (`can_message`); all three by default, at least one;
 * - an invitation never reveals whether the NIR and date of birth matched someone: when nobody can
 *   receive it (no activated space, already linked, carer already helping 5 people) it is kept all
 *   the same, without an invitee (`carer_person_id` NULL), and simply expires;
 * - `revoked_by` may be 'closure': a space closed ends its delegations, on both sides.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('carers', (t) => {
    t.boolean('can_see').notNullable().defaultTo(true)
    t.boolean('can_write').notNullable().defaultTo(true)
    t.boolean('can_message').notNullable().defaultTo(true)
  })
  await knex.raw('ALTER TABLE carers ADD CONSTRAINT carers_rights_check CHECK ((can_see OR can_message) AND (can_see OR NOT can_write))')
  await knex.raw('ALTER TABLE carers ALTER COLUMN carer_person_id DROP NOT NULL')
  await knex.raw(
    "ALTER TABLE carers ADD CONSTRAINT carers_blind_invitation CHECK (carer_person_id IS NOT NULL OR status IN ('invited', 'cancelled'))",
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE carers DROP CONSTRAINT carers_blind_invitation')
  await knex('carers').whereNull('carer_person_id').del()
  await knex.raw('ALTER TABLE carers ALTER COLUMN carer_person_id SET NOT NULL')
  await knex.raw('ALTER TABLE carers DROP CONSTRAINT carers_rights_check')
  await knex.schema.alterTable('carers', (t) => {
    t.dropColumn('can_see')
    t.dropColumn('can_write')
    t.dropColumn('can_message')
  })
}
