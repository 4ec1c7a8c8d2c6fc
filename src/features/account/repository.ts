import type { Knex } from 'knex'
import type { AccountKind } from '../../domain/actor'
import { preparedQuery } from '../../infrastructure/roundTrips'
import { activeRepresentation } from '../access/relations'

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

export interface ActorRow {
  id: string
  kind: AccountKind
  display_name: string
  organisation: string | null
  person_id: string | null
  professional_id: string | null
  profession: string | null
  establishment: string | null
  /** Unread messages for the navigation badge (null for accounts without a messaging). */
  unread_messages: number | null
}

/**
 * A page whose own statement also reads the actor (one round trip instead of two): a GET of `path`
 * by an account of `kind` looking at its own space (not acting for someone). `read` returns the
 * actor's row, with the same columns and conditions as `findForActor` (`actorStatement`), and keeps
 * what it read for the page under `request`; undefined when the account is not found, disabled or not
 * of that kind (the actor is then read alone, as on every other page).
 */
export interface ActorPageRead {
  path: string
  kind: AccountKind
  read(request: object, accountId: string): Promise<ActorRow | undefined>
}

/**
 * The actor of a signed-in request (patients and professionals): the account if not disabled, the
 * professional's profession, and the unread messages of the navigation's badge for the space looked
 * at (`subject`, or the account's own person). `subject` and `id` are SQL expressions ($n parameters).
 * Also the first part of a page statement that reads the actor and the page at once (see
 * `ActorPageRead` in the auth middleware).
 */
export function actorStatement(subject: string, id: string): string {
  return `SELECT a.id, a.kind, a.display_name, a.organisation, a.person_id, a.professional_id, p.profession, p.establishment,
              CASE
                WHEN a.kind = 'patient' AND COALESCE(${subject}::uuid, a.person_id) IS NOT NULL THEN
                  (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE c.person_id = COALESCE(${subject}::uuid, a.person_id) AND m.author_side = 'professional' AND m.read_at IS NULL)
                WHEN a.kind = 'professional' AND a.professional_id IS NOT NULL THEN
                  (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                    WHERE c.professional_id = a.professional_id AND m.author_side <> 'professional' AND m.read_at IS NULL)
              END::int AS unread_messages
         FROM accounts a LEFT JOIN professionals p ON p.id = a.professional_id
        WHERE a.id = ${id} AND a.disabled_at IS NULL`
}

export const accountRepository = {
  findById(db: Knex, id: string): Promise<AccountRow | undefined> {
    return db('accounts').where({ id }).first()
  },

  findByLogin(db: Knex, kind: AccountKind, login: string): Promise<AccountRow | undefined> {
    return db('accounts').where({ kind, login }).first()
  },

  /**
   * The account with what an Actor needs (the professional's profession and establishment), and the
   * unread messages of the navigation's «Messagerie (n)» badge carried in the same round trip: for a
   * patient, those of `subjectPersonId` (the space looked at, checked by the caller before use) or of
   * their own space; for a professional, those written to them. Run on every signed-in request: one
   * fixed statement, no query building.
   */
  async findForActor(db: Knex, id: string, subjectPersonId: string | null = null, kind?: AccountKind): Promise<ActorRow | undefined> {
    if (kind !== undefined && kind !== 'patient' && kind !== 'professional') {
      // Agents and operators have no messaging: their statement does not even name its tables.
      const { rows } = await db.raw(
        `SELECT a.id, a.kind, a.display_name, a.organisation, a.person_id, a.professional_id, NULL::text AS profession,
                NULL::text AS establishment, NULL::int AS unread_messages
           FROM accounts a
          WHERE a.id = ? AND a.disabled_at IS NULL`,
        [id],
      )
      return rows[0]
    }
    // Run on every signed-in request: a named prepared statement (parsed and planned once per connection).
    const rows = await preparedQuery<ActorRow>(db, 'actor', actorStatement('$1', '$2'), [subjectPersonId, id])
    return rows[0]
  },

  /**
   * The child a representative may look at: an active representation (`activeRepresentation`, the
   * same condition as the access policy's facts: not ended, space not closed, child under 18 today).
   */
  async findActing(db: Knex, childPersonId: string, representativePersonId: string | null): Promise<{ display_name: string } | undefined> {
    if (!representativePersonId) return undefined
    return activeRepresentation(db, childPersonId, representativePersonId)
  },
}
