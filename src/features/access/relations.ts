import type { Knex } from 'knex'
import { MAJORITY_AGE } from '../../domain/age'

type Db = Knex | Knex.Transaction

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
  const { rows } = await db.raw(
    `SELECT p.first_names || ' ' || p.last_name AS display_name
       FROM representatives r JOIN insured_persons p ON p.id = r.child_person_id JOIN spaces s ON s.person_id = r.child_person_id
      WHERE r.child_person_id = ? AND r.representative_person_id = ?
        AND ${activeRepresentationSql({ r: 'r', child: 'p', space: 's', at: '?::timestamptz' })}`,
    [childPersonId, representativePersonId, now.toISOString()],
  )
  return rows[0]
}
