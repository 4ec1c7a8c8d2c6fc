import { Router } from 'express'
import { sameSitePath } from '../../middleware/savedForms'
import type { Services } from '../../services'
import { KEEP_ALIVE_URL, sessionTimeoutOf } from '../../middleware/session'
import { SIGN_IN_URL } from '../../middleware/auth'

/**
 * «Rester connecté» (WCAG 2.2.1): the warning dialog posts here (CSRF token in a header) and the idle
 * clock starts again. Without JavaScript there is no dialog, but the same form post works and comes
 * back to the page. A session that has already ended answers 401 (the script then says so).
 */
export function sessionRoutes(_services: Services): Router {
  const router = Router()
  router.post(KEEP_ALIVE_URL, (req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    const wantsJson = (req.get('accept') ?? '').includes('application/json')
    const live = Boolean(req.actor) || Boolean(req.session.assisted)
    if (!live) {
      if (wantsJson) return res.status(401).json({ expired: true })
      return res.redirect(303, SIGN_IN_URL.patient)
    }
    // A change of the session: it is saved, which renews the store's expiry and the cookie.
    req.session.lastSeenAt = Date.now()
    if (wantsJson) return res.json({ remainingMs: sessionTimeoutOf(req).remainingMs })
    res.redirect(303, sameSitePath(req, req.get('referer')) ?? '/')
  })
  return router
}
