import { Router } from 'express'
import type { Db } from '../../infrastructure/database'
import type { SessionBackend } from '../../infrastructure/sessionStore'
import type { Admission } from '../../middleware/admission'
import { publicRepository } from './repository'

/**
 * `/health`: mounted before sessions, so a broken store still answers (503, JSON).
 * `/ready` (issue 20): whether this instance should get more requests — 503 while its admission queue
 * is full, so a load balancer routes around a busy instance. Both are mounted before the admission
 * limit: they answer even when it is full.
 */
export function healthRoutes(db: Db, sessions: SessionBackend, admission?: Admission): Router {
  const router = Router()
  router.get('/ready', (_req, res) => {
    const state = admission?.state()
    const ready = !state?.full && sessions.healthy()
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'pret' : 'occupe', ...(state ? { admission: { enCours: state.active, enAttente: state.waiting } } : {}) })
  })
  router.get('/health', async (_req, res) => {
    const withTimeout = <T>(p: Promise<T>, ms = 2000) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())])
    const [database, sessionStore] = await Promise.all([
      withTimeout(publicRepository.ping(db)).then(
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
