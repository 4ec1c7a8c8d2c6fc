import type { Knex } from 'knex'
import { decide, type Action, type PolicyFacts, type Resource } from '../domain/accessPolicy'
import { subjectPersonId, type Actor } from '../domain/actor'
import { ForbiddenError, NotFoundError } from '../errors'

type Db = Knex | Knex.Transaction

/** Loads the policy's facts (src/access/facts.ts): undefined when the person does not exist. */
type FactsLoader = (db: Db, actor: Actor, personId: string, now?: Date) => Promise<PolicyFacts | undefined>

export interface AuthorizeOptions {
  /** The moment the facts are read at (an emergency access, a delegation's dates...). */
  now?: Date
  /** The French message of a refusal (403) when the default «Accès refusé» says too little. */
  message?: string
}

/**
 * The answer of the pure policy (src/domain/accessPolicy.ts) on facts already loaded: nothing when
 * it allows, else a 404 (the actor may not know the object exists) or a 403, as `decide` says.
 */
export function enforce(actor: Actor, action: Action, resource: Resource, facts: PolicyFacts, message?: string): void {
  const d = decide(actor, action, resource, facts)
  if (!d.allowed) throw d.status === 404 ? new NotFoundError() : new ForbiddenError(message)
}

/**
 * The `authorize` step every service takes before it reads or changes a person's data: load the
 * facts in the caller's transaction (never cached: a block, an ended representation apply at once),
 * ask the pure policy, answer 404 or 403 (src/errors.ts). Returns the facts, for the decisions
 * row by row (documents, history) that follow.
 */
export function createAuthorize(loadFacts: FactsLoader) {
  /** The facts about (actor, person); 404 when the person does not exist. */
  async function factsOf(db: Db, actor: Actor, personId: string, now?: Date): Promise<PolicyFacts> {
    const facts = await loadFacts(db, actor, personId, now)
    if (!facts) throw new NotFoundError()
    return facts
  }

  /** May `actor` do `action` on `resource` of `personId`'s space? 404/403 unless; the facts otherwise. */
  async function authorize(
    db: Db,
    actor: Actor,
    action: Action,
    resource: Resource,
    personId: string,
    opts: AuthorizeOptions = {},
  ): Promise<PolicyFacts> {
    const facts = await factsOf(db, actor, personId, opts.now)
    enforce(actor, action, resource, facts, opts.message)
    return facts
  }

  return {
    factsOf,
    authorize,
    /**
     * `authorize` on the space the actor is looking at (their own, or the child's or helped person's
     * after «Changer de profil»); 403 for an actor who looks at no space (a professional, an agent).
     */
    authorizeSubject: async (
      db: Db,
      actor: Actor,
      action: Action,
      resource: Resource,
      opts: AuthorizeOptions = {},
    ): Promise<{ personId: string; facts: PolicyFacts }> => {
      const personId = subjectPersonId(actor)
      if (!personId) throw new ForbiddenError(opts.message)
      return { personId, facts: await authorize(db, actor, action, resource, personId, opts) }
    },
    /** Whether the policy allows it (a page hides a form the policy would refuse); false for an unknown person. */
    allows: async (
      db: Db,
      actor: Actor,
      action: Action,
      resource: Resource,
      personId: string | undefined,
      now?: Date,
    ): Promise<boolean> => {
      const facts = personId ? await loadFacts(db, actor, personId, now) : undefined
      return Boolean(facts && decide(actor, action, resource, facts).allowed)
    },
  }
}
