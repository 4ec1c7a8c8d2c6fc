import { Router } from 'express'
import type { Db } from '../../infrastructure/database'
import type { SessionBackend } from '../../infrastructure/sessionStore'

/** `/health`: mounted before sessions, so a broken store still answers (503, JSON). */
export function healthRoutes(db: Db, sessions: SessionBackend): Router {
  const router = Router()
  router.get('/health', async (_req, res) => {
    const withTimeout = <T>(p: Promise<T>, ms = 2000) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())])
    const [database, sessionStore] = await Promise.all([
      withTimeout(db.raw('SELECT 1')).then(
        () => 'ok',
        () => 'indisponible',
      ),
      withTimeout(sessions.ping()).then(
        (ok) => (ok ? 'ok' : 'indisponible'),
        () => 'indisponible',
      ),
    ])
    const ok = database === 'ok' && sessionStore === 'ok'
    res
      .status(ok ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ok ? 'ok' : 'degrade', checks: { database, sessionStore: { kind: sessions.kind, status: sessionStore } } })
  })
  return router
}
