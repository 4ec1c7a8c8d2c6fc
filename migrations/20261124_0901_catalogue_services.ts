import type { Knex } from 'knex'
import { CATALOGUE } from '../src/features/catalogue/data'

/** The 12 services referenced by the State (SPEC §10): reference data, in every environment. */
export async function up(knex: Knex): Promise<void> {
  for (const s of CATALOGUE) {
    const { requests, ...row } = s
    const [created] = await knex('catalogue_services')
      .insert({ ...row, current_version: 1 })
      .returning<{ id: string }[]>('id')
    await knex('catalogue_service_versions').insert({ service_id: created.id, version: 1, requests: JSON.stringify(requests) })
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex('catalogue_services')
    .whereIn(
      'slug',
      CATALOGUE.map((s) => s.slug),
    )
    .del()
}
