import type { Request, Response } from 'express'
import type { AccountKind } from '../../domain/actor'
import { clearSessionCookie, clearSiteData } from '../../middleware/session'
import { ServiceUnavailableError } from '../../errors'
import type { Services } from '../../services'

export const clientAddress = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'inconnue'

/** A new session id, keeping nothing of the old session (callers copy what must survive). */
export function regenerateSession(req: Request): Promise<void> {
  return new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())))
}

/** Signs an account in on this request: new session id, the device recorded for «Mon compte». */
export async function startSignedInSession(
  req: Request,
  services: Services,
  accountId: string,
  kind: AccountKind = 'patient',
  extra: { flash?: { type: 'success' | 'info'; text: string } } = {},
): Promise<void> {
  // An assisted session at a counter stays one (banner, 5 minutes idle) once the citizen is signed in.
  const assisted = req.session.assisted
  const idleLimitMs = req.session.idleLimitMs
  await regenerateSession(req)
  req.session.auth = { accountId, kind, signedInAt: Date.now() }
  req.session.lastSeenAt = Date.now()
  if (assisted) Object.assign(req.session, { assisted, idleLimitMs })
  if (extra.flash) req.session.flash = extra.flash
  await services.signIn.registerSession(accountId, req.sessionID, { userAgent: req.get('user-agent'), address: clientAddress(req) })
}

/**
 * Destroys this request's session in the store. A store that cannot be reached answers 503: a
 * sign-out that did not happen is never shown as done (on a shared computer, the next person would
 * find the session open).
 */
export function destroySession(req: Request): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    req.session.destroy((err) => (err ? reject(new ServiceUnavailableError('Le stockage des sessions est indisponible', err)) : resolve())),
  )
}

/** Ends this request's session in the store, forgets the cookie, and asks the browser to forget the site's data. */
export async function endSession(req: Request, res: Response): Promise<void> {
  await destroySession(req)
  clearSessionCookie(req, res)
  clearSiteData(res)
}
