import type { NextFunction, Request, RequestHandler, Response, Router } from 'express'
// The route parameters Express infers from a path (the types package @types/express is built on).
import type { ParamsDictionary, RouteParameters } from 'express-serve-static-core'
import type { Knex } from 'knex'
import type { AccountKind, Actor } from '../domain/actor'
import { activeRelation, findActorRow, type ActorPageRead } from '../access/relations'
import { isUuid } from '../domain/uuid'
import { setJourney } from './journeys'

/** Where each kind of account signs in. */
export const SIGN_IN_URL: Record<AccountKind, string> = {
  patient: '/connexion',
  professional: '/pro/connexion',
  agent: '/france-services/connexion',
  operator: '/back-office/connexion',
}

/**
 * Turns the session's sign-in into `req.actor` (one indexed query per request, so a disabled
 * account or an ended session stops at once; the same statement counts the unread messages of
 * the navigation's badge; `pageReads`: pages whose own statement reads the actor too, registered by
 * their feature in the composition). Pages behind
 * login are never cached.
 */
export function loadActor(db: Knex, pageReads: ActorPageRead[] = []): RequestHandler {
  return async (req, res, next) => {
    const auth = req.session?.auth
    if (!auth) return next()
    res.setHeader('Cache-Control', 'no-store')
    const acting = auth.actingPersonId && isUuid(auth.actingPersonId) ? auth.actingPersonId : null
    // A page that reads the actor in its own statement (same columns, same conditions): one round trip.
    const page =
      !auth.actingPersonId && req.method === 'GET' ? pageReads.find((p) => p.kind === auth.kind && p.path === req.path) : undefined
    const row = (page && (await page.read(req, auth.accountId))) || (await findActorRow(db, auth.accountId, acting, auth.kind))
    if (!row || row.kind !== auth.kind) {
      delete req.session.auth
      return next()
    }
    const actor: Actor = {
      accountId: row.id,
      kind: row.kind,
      displayName: row.display_name,
      personId: row.person_id ?? undefined,
      professionalId: row.professional_id ?? undefined,
      organisation: row.organisation ?? row.establishment ?? undefined,
      profession: row.profession ?? undefined,
      sessionId: req.sessionID,
    }
    if (auth.actingPersonId) {
      // A representative on a child's profile, or a carer on a helped person's: only while the
      // representation or the delegation is active (checked on every request, so an ended one —
      // majority, removal, end date — stops at once), by the same relation the policy's facts ask.
      const relation =
        row.person_id && isUuid(auth.actingPersonId) ? await activeRelation(db, auth.actingPersonId, row.person_id) : undefined
      if (relation) actor.acting = { personId: auth.actingPersonId, as: relation.as, displayName: relation.displayName }
      else delete auth.actingPersonId
    }
    // The «Messagerie (n)» badge, counted by the same statement for the space now looked at
    // (recounted by the badge if the requested child's or helped person's profile was refused).
    if (row.unread_messages !== null && (actor.acting?.personId ?? null) === acting) res.locals.unreadMessages = row.unread_messages
    if (req.session.assisted)
      actor.assistedBy = { agentAccountId: req.session.assisted.agentAccountId, organisation: req.session.assisted.organisation }
    req.actor = actor
    next()
  }
}

/**
 * The guard's decision for a page of `kinds`: the signed-in actor, or undefined once it answered.
 * Without a session it redirects to the right sign-in page (and comes back after); with another
 * kind of account it answers 403. Pages behind login are never cached.
 */
function admit<P>(req: Request<P>, res: Response, kinds: readonly AccountKind[]): Actor | undefined {
  res.setHeader('Cache-Control', 'no-store')
  const actor = req.actor
  if (!actor) {
    if (req.method === 'GET') {
      setJourney(req, 'returnTo', { url: req.originalUrl, kind: kinds[0] })
    }
    res.redirect(303, SIGN_IN_URL[kinds[0]])
    return undefined
  }
  if (!kinds.includes(actor.kind)) {
    res.status(403).render('errors/403.njk', { pageTitle: 'Accès refusé', message: "Cette page n'est pas accessible avec votre compte." })
    return undefined
  }
  return actor
}

/** Guards a group of pages (`router.use(path, requirePatient)`) for one or more kinds of account. */
export function requireKind(...kinds: AccountKind[]): RequestHandler {
  return (req, res, next) => {
    if (admit(req, res, kinds)) next()
  }
}

export const requirePatient = requireKind('patient')
export const requireProfessional = requireKind('professional')
export const requireAgent = requireKind('agent')
export const requireOperator = requireKind('operator')

/**
 * A page's handler, handed the signed-in actor the guard admitted (no `req.actor!` to assert); `P`:
 * the route's parameters, as Express infers them from the path (`/documents/:id` → `{ id: string }`).
 */
export type ActorHandler<P = ParamsDictionary> = (req: Request<P>, res: Response, actor: Actor, next: NextFunction) => unknown

/**
 * Guards one page and hands its handler the typed actor: `router.get(path, signedIn(['patient'],
 * async (req, res, actor) => ...))`, or with `signedInRoutes` below. The same answers as
 * `requireKind` (sign-in redirect, 403); Express 5 sends a rejected promise of the handler to the
 * error middleware.
 */
export function signedIn<P = ParamsDictionary>(kinds: readonly AccountKind[], handler: ActorHandler<P>): RequestHandler<P> {
  return (req, res, next) => {
    const actor = admit(req, res, kinds)
    return actor ? handler(req, res, actor, next) : undefined
  }
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'all'

/** A router's methods whose handler is handed the signed-in actor and the path's parameters (see `signedInRoutes`). */
export type SignedInRoutes = Record<Method, <Path extends string>(path: Path, handler: ActorHandler<RouteParameters<Path>>) => void>

/**
 * The pages of `router` for `kinds` of account, each guarded and its handler handed the typed
 * actor: `const forPatients = signedInRoutes(router, 'patient')`, then
 * `forPatients.get('/historique', async (req, res, actor) => ...)`. A page with middlewares of its
 * own before the handler: `router.post(path, ...middlewares, signedIn(kinds, handler))`.
 */
export function signedInRoutes(router: Router, ...kinds: AccountKind[]): SignedInRoutes {
  const route =
    (method: Method) =>
    <Path extends string>(path: Path, handler: ActorHandler<RouteParameters<Path>>): void => {
      router[method](path, signedIn(kinds, handler))
    }
  return { get: route('get'), post: route('post'), put: route('put'), patch: route('patch'), delete: route('delete'), all: route('all') }
}
