import type { Knex } from 'knex'
import type { AccountKind } from '../../domain/actor'

export interface AccountRow {
  id: string
  kind: AccountKind
  login: string
  password_hash: string
  person_id: string | null
  professional_id: string | null
  display_name: string
  organisation: string | null
  email: string | null
  email_verified_at: Date | null
  mobile: string | null
  notify_new_signin: boolean
  notification_prefs: Record<string, boolean>
  created_at: Date
  updated_at: Date
  last_signin_at: Date | null
  password_changed_at: Date | null
  disabled_at: Date | null
}

export const accountRepository = {
  findById(db: Knex, id: string): Promise<AccountRow | undefined> {
    return db('accounts').where({ id }).first()
  },

  findByLogin(db: Knex, kind: AccountKind, login: string): Promise<AccountRow | undefined> {
    return db('accounts').where({ kind, login }).first()
  },
}
