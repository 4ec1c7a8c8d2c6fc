import type { Knex } from 'knex'
import type { AccountKind } from '../domain/actor'
import type { CarerRights } from '../domain/accessPolicy'
import { MAJORITY_AGE } from '../domain/age'
import { preparedQuery } from '../infrastructure/roundTrips'

type Db = Knex | Knex.Transaction

/**
 * The relations the access decisions rest on, in one module: who the signed-in actor is, and whether
 * a person may act for another one (an active legal representation of a child, an active delegation
 * of a carer). The request's actor (`loadActor` in src/middleware/auth.ts) and the policy's facts
 * (`src/access/facts.ts`) both ask `activeRelation`, so the decision is made once, with one SQL.
 */

/**
 * The one SQL condition for an active legal representation, shared by every statement that decides
 * whether someone may act for a child (the request's actor in `loadActor`, the policy's facts, the
 * profile switcher): not ended, the child's space not closed, and the child still a minor on the day
 * in Paris. The representation ends on the 18th birthday itself (a 29 February birthday on 1 March),
 * not at the nightly job that writes `ended_at` (`children.endAtMajority`).
 *
 * `r`: the representatives row, `child`: the child's insured_persons row, `space`: the child's
 * spaces row, `at`: an SQL expression of type timestamptz (a `?` placeholder or `now()`).
 */
export function activeRepresentationSql(o: { r: string; child: string; space: string; at: string }): string {
  return `${o.r}.ended_at IS NULL AND ${o.space}.state <> 'closed'
      AND ${o.child}.birth_date > ((${o.at} AT TIME ZONE 'Europe/Paris')::date - interval '${MAJORITY_AGE} years')::date`
}

/** The child `representativePersonId` may act for now (its name), or undefined: the condition above. */
export async function activeRepresentation(
  db: Db,
  childPersonId: string,
  representativePersonId: string,
  now: Date = new Date(),
): Promise<{ display_name: string } | undefined> {
  const { rows } = await db.raw<{ rows: { display_name: string }[] }>(
    `SELECT p.first_names || ' ' || p.last_name AS display_name
       FROM representatives r JOIN insured_persons p ON p.id = r.child_person_id JOIN spaces s ON s.person_id = r.child_person_id
      WHERE r.child_person_id = ? AND r.representative_person_id = ?
        AND ${activeRepresentationSql({ r: 'r', child: 'p', space: 's', at: '?::timestamptz' })}`,
    [childPersonId, representativePersonId, now.toISOString()],
  )
  return rows[0]
}

/**
 * An active delegation on the day of `now` in Paris: accepted, started, not ended (start and end
 * dates included), the space open; with the rights the patient chose.
 */
export async function activeDelegation(
  db: Db,
  personId: string,
  carerPersonId: string,
  now: Date = new Date(),
): Promise<{ id: string; display_name: string; rights: CarerRights } | undefined> {
  const { rows } = await db.raw<{
    rows: { id: string; display_name: string; can_see: boolean; can_write: boolean; can_message: boolean }[]
  }>(
    `SELECT c.id, p.first_names || ' ' || p.last_name AS display_name, c.can_see, c.can_write, c.can_message
       FROM carers c JOIN insured_persons p ON p.id = c.person_id JOIN spaces s ON s.person_id = c.person_id
      WHERE c.person_id = ? AND c.carer_person_id = ? AND c.status = 'active'
        AND c.starts_on <= (?::timestamptz AT TIME ZONE 'Europe/Paris')::date
        AND (c.ends_on IS NULL OR c.ends_on >= (?::timestamptz AT TIME ZONE 'Europe/Paris')::date)
        AND s.state IN ('activated', 'auto_created')`,
    [personId, carerPersonId, now.toISOString(), now.toISOString()],
  )
  const r = rows[0]
  return r && { id: r.id, display_name: r.display_name, rights: { read: r.can_see, write: r.can_write, messages: r.can_message } }
}

/** How a patient may act on another person's space today (`as`), or undefined. */
export type ActiveRelation =
  { as: 'representative'; displayName: string } | { as: 'carer'; displayName: string; delegationId: string; rights: CarerRights }

/**
 * Whether `actorPersonId` may act on the space of `personId` now, and as what: a legal representative
 * first, else a carer. `only` asks for one of the two (the actor already says which). The one
 * decision behind `req.actor.acting` and the policy's relation.
 */
export async function activeRelation(
  db: Db,
  personId: string,
  actorPersonId: string,
  opts: { now?: Date; only?: 'representative' | 'carer' } = {},
): Promise<ActiveRelation | undefined> {
  const now = opts.now ?? new Date()
  if (opts.only !== 'carer') {
    const child = await activeRepresentation(db, personId, actorPersonId, now)
    if (child) return { as: 'representative', displayName: child.display_name }
  }
  if (opts.only !== 'representative') {
    const d = await activeDelegation(db, personId, actorPersonId, now)
    if (d) return { as: 'carer', displayName: d.display_name, delegationId: d.id, rights: d.rights }
  }
  return undefined
}

// ——— The actor of a signed-in request

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
 * actor's row, with the same columns and conditions as `findActorRow` (`actorStatement`), and keeps
 * what it read for the page under `request`; undefined when the account is not found, disabled or not
 * of that kind (the actor is then read alone, as on every other page). A feature registers its page
 * read in the composition (`createApp`); the middleware knows no feature.
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
 * `ActorPageRead`).
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

/**
 * The account with what an Actor needs (the professional's profession and establishment), and the
 * unread messages of the navigation's «Messagerie (n)» badge carried in the same round trip: for a
 * patient, those of `subjectPersonId` (the space looked at, checked by the caller before use) or of
 * their own space; for a professional, those written to them. Run on every signed-in request: one
 * fixed statement, no query building.
 */
export async function findActorRow(
  db: Knex,
  id: string,
  subjectPersonId: string | null = null,
  kind?: AccountKind,
): Promise<ActorRow | undefined> {
  if (kind !== undefined && kind !== 'patient' && kind !== 'professional') {
    // Agents and operators have no messaging: their statement does not even name its tables.
    const { rows } = await db.raw<{ rows: ActorRow[] }>(
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
}
