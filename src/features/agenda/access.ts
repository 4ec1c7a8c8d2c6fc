import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { subjectPersonId } from '../../domain/actor'
import { decide, type Action } from '../../domain/accessPolicy'
import { ForbiddenError, NotFoundError } from '../../errors'
import type { AccessFacts } from '../../access/facts'

/**
 * Whose agenda and vaccinations the actor is looking at (the holder's own, or a child's after
 * «Changer de profil»), once `src/domain/accessPolicy.ts` allowed the action. Returns the person id.
 */
export async function authorize(
  access: AccessFacts,
  db: Knex | Knex.Transaction,
  actor: Actor,
  action: Action,
  type: 'agenda' | 'vaccination',
): Promise<string> {
  const personId = subjectPersonId(actor)
  if (!personId) throw new ForbiddenError()
  const facts = await access.loadFacts(db, actor, personId)
  if (!facts) throw new NotFoundError()
  const d = decide(actor, action, { type }, facts)
  if (!d.allowed) throw d.status === 404 ? new NotFoundError() : new ForbiddenError()
  return personId
}
