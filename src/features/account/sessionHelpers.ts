import type { Request, Response } from 'express'
import type { AccountKind } from '../../domain/actor'
import { SESSION_COOKIE } from '../../middleware/session'
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

/** Ends this request's session in the store and forgets the cookie. */
export async function endSession(req: Request, res: Response): Promise<void> {
  await new Promise<void>((resolve) => req.session.destroy(() => resolve()))
  res.clearCookie(SESSION_COOKIE, { path: '/' })
}
