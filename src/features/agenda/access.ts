import type { Actor } from '../../domain/actor'
import { subjectPersonId } from '../../domain/actor'
import { ForbiddenError } from '../../errors'

/**
 * Whose agenda and vaccinations the actor may manage: the holder's own, or a child's through an
 * active legal representation (`loadActor` checks it on every request). Professionals, agents and
 * operators never reach them (no health data for agents and operators; the professional portal
 * reads vaccinations through the profile feature and the access policy).
 *
 * TODO(at merge of `documents`): delegate to `can(actor, action, { type: 'agenda' | 'vaccination', personId })`
 * of src/domain/accessPolicy.ts — this function is the only place to change.
 */
export function agendaSubject(actor: Actor): string {
  const personId = subjectPersonId(actor)
  if (actor.kind !== 'patient' || !personId) throw new ForbiddenError()
  return personId
}
