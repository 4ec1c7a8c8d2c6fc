import type { Knex } from 'knex'
import type { SpaceState } from '../../domain/lifecycle'

export type CounterActionKind = 'opposition' | 'closure' | 'new_code'

/** What an agent may know of a person: identity for the match, the space's administrative status. Never health data. */
export interface CitizenRow {
  id: string
  nir: string
  first_names: string
  last_name: string
  birth_date: string
  email: string | null
  mobile: string | null
  address_line1: string | null
  address_line2: string | null
  postcode: string | null
  city: string | null
  state: SpaceState
  notified_at: Date | null
  notice_channel: string | null
  account_id: string | null
  account_email: string | null
  account_mobile: string | null
}

export interface CounterActionRow {
  id: string
  reference: string
  kind: CounterActionKind
  person_id: string
  agent_account_id: string
  agent_name: string
  organisation: string
  details: Record<string, unknown>
  created_at: Date
}

const CITIZEN = `p.id, p.nir, p.first_names, p.last_name, p.birth_date, p.email, p.mobile, p.address_line1, p.address_line2, p.postcode, p.city,
  s.state, s.notified_at, s.notice_channel, a.id AS account_id, a.email AS account_email, a.mobile AS account_mobile`

/** France Services: SQL only. */
export const franceServicesRepository = {
  async findCitizen(
    db: Knex | Knex.Transaction,
    where: { nir: string; birthDate: string } | { id: string },
  ): Promise<CitizenRow | undefined> {
    const cond = 'id' in where ? 'p.id = ?' : 'p.nir = ? AND p.birth_date = ?'
    const params = 'id' in where ? [where.id] : [where.nir, where.birthDate]
    const { rows } = await db.raw<{ rows: CitizenRow[] }>(
      `SELECT ${CITIZEN} FROM insured_persons p JOIN spaces s ON s.person_id = p.id
         LEFT JOIN accounts a ON a.person_id = p.id AND a.kind = 'patient'
        WHERE ${cond}`,
      params,
    )
    return rows[0]
  },

  async activeCodeUntil(db: Knex | Knex.Transaction, personId: string): Promise<Date | null> {
    const row = await db('provisional_codes')
      .where({ person_id: personId })
      .whereNull('used_at')
      .whereNull('voided_at')
      .where('expires_at', '>', db.fn.now())
      .orderBy('created_at', 'desc')
      .first<{ expires_at: Date } | undefined>('expires_at')
    return row ? new Date(row.expires_at) : null
  },

  async insertAction(trx: Knex.Transaction, row: Omit<CounterActionRow, 'id' | 'created_at'>): Promise<CounterActionRow> {
    const [inserted] = await trx('france_services_actions')
      .insert({ ...row, details: JSON.stringify(row.details) })
      .returning<CounterActionRow[]>('*')
    return inserted
  },

  async referenceTaken(trx: Knex.Transaction, reference: string): Promise<boolean> {
    return Boolean(await trx('france_services_actions').where({ reference }).first('id'))
  },

  async findAction(db: Knex, id: string): Promise<(CounterActionRow & { first_names: string; last_name: string }) | undefined> {
    const { rows } = await db.raw<{ rows: (CounterActionRow & { first_names: string; last_name: string })[] }>(
      `SELECT f.*, p.first_names, p.last_name FROM france_services_actions f JOIN insured_persons p ON p.id = f.person_id WHERE f.id = ?`,
      [id],
    )
    return rows[0]
  },
}
