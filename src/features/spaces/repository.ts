import type { Knex } from 'knex'
import type { SpaceState } from '../../domain/lifecycle'

/** An insured person with their space and, when it exists, their patient account. */
export interface HolderRow {
  id: string
  nir: string
  first_names: string
  last_name: string
  sex: 'F' | 'M'
  birth_date: string
  email: string | null
  mobile: string | null
  address_line1: string | null
  address_line2: string | null
  postcode: string | null
  city: string | null
  state: SpaceState
  notified_at: Date | null
  auto_created_at: Date | null
  activated_at: Date | null
  opposed_at: Date | null
  opposition_reference: string | null
  closed_at: Date | null
  archive_until: string | null
  deletion_requested_at: Date | null
  account_id: string | null
  login: string | null
  account_email: string | null
}

const COLUMNS = `p.id, p.nir, p.first_names, p.last_name, p.sex, p.birth_date, p.email, p.mobile, p.address_line1, p.address_line2,
  p.postcode, p.city, s.state, s.notified_at, s.auto_created_at, s.activated_at, s.opposed_at, s.opposition_reference, s.closed_at,
  s.archive_until, s.deletion_requested_at, a.id AS account_id, a.login, a.email AS account_email`

/** Persons and spaces, as the lifecycle journeys need them. SQL only. */
export const spacesRepository = {
  async findByNirAndBirthDate(db: Knex | Knex.Transaction, nir: string, birthDate: string): Promise<HolderRow | undefined> {
    const { rows } = await db.raw<{ rows: HolderRow[] }>(
      `SELECT ${COLUMNS} FROM insured_persons p JOIN spaces s ON s.person_id = p.id
         LEFT JOIN accounts a ON a.person_id = p.id AND a.kind = 'patient'
        WHERE p.nir = ? AND p.birth_date = ?`,
      [nir, birthDate],
    )
    return rows[0]
  },

  async findById(db: Knex | Knex.Transaction, personId: string, opts: { lock?: boolean } = {}): Promise<HolderRow | undefined> {
    const { rows } = await db.raw<{ rows: HolderRow[] }>(
      `SELECT ${COLUMNS} FROM insured_persons p JOIN spaces s ON s.person_id = p.id
         LEFT JOIN accounts a ON a.person_id = p.id AND a.kind = 'patient'
        WHERE p.id = ?${opts.lock ? ' FOR UPDATE OF s' : ''}`,
      [personId],
    )
    return rows[0]
  },

  async findByAccountId(db: Knex | Knex.Transaction, accountId: string, opts: { lock?: boolean } = {}): Promise<HolderRow | undefined> {
    const { rows } = await db.raw<{ rows: HolderRow[] }>(
      `SELECT ${COLUMNS} FROM accounts a JOIN insured_persons p ON p.id = a.person_id JOIN spaces s ON s.person_id = p.id
        WHERE a.id = ?${opts.lock ? ' FOR UPDATE OF s' : ''}`,
      [accountId],
    )
    return rows[0]
  },

  async setSpace(trx: Knex.Transaction, personId: string, fields: Record<string, unknown>): Promise<void> {
    await trx('spaces')
      .where({ person_id: personId })
      .update({ ...fields, state_changed_at: trx.fn.now() })
  },
}

export const displayName = (p: { first_names: string; last_name: string }) => `${p.first_names} ${p.last_name}`
