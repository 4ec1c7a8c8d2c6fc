import type { ErrorRequestHandler, Express, RequestHandler } from 'express'
import { HttpError, TooManyRequestsError, errorCode, errorMessage, isUnavailable } from '../errors'
import { isRecord } from '../validation'
import type { Logger } from '../infrastructure/logger'
import { UNSUPPORTED_BODY } from './forms'

/** A short reference the person can read out on the phone; the log carries the same id. */
export function reference(id: unknown): string {
  return String(id).replace(/-/g, '').slice(0, 8).toUpperCase()
}

const notFoundHandler: RequestHandler = (_req, res) => {
  res.status(404).render('errors/404.njk', { pageTitle: 'Page introuvable' })
}

export function setUpErrors(app: Express, logger: Logger): void {
  app.use(notFoundHandler)
  const handler: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err)
    const ref = reference(req.id)
    // What body-parser, the router and http-errors put on their errors (anything can be thrown).
    const { type, status, statusCode } = isRecord(err) ? err : {}
    res.setHeader('Cache-Control', 'no-store')
    if (errorCode(err) === 'EBADCSRFTOKEN') {
      logger.info({ reqId: req.id }, 'jeton CSRF absent ou périmé')
      return res
        .status(403)
        .render('errors/session-expired.njk', { pageTitle: 'Votre session a expiré', back: safeBack(req.get('referer'), req.get('host')) })
    }
    if (type === 'entity.too.large' || status === 413) {
      return res.status(413).render('errors/413.njk', { pageTitle: 'Envoi trop volumineux' })
    }
    if (err instanceof TooManyRequestsError) {
      if (err.retryAfterSeconds) res.setHeader('Retry-After', String(err.retryAfterSeconds))
      return res.status(429).render('errors/429.njk', { pageTitle: 'Trop de tentatives', message: err.message })
    }
    if (isUnavailable(err)) {
      logger.error({ reqId: req.id, err: { message: errorMessage(err), code: errorCode(err) } }, 'service indisponible')
      res.setHeader('Retry-After', '30')
      return res.status(503).render('errors/503.njk', { pageTitle: 'Service momentanément indisponible', reference: ref })
    }
    if (err instanceof HttpError && err.status === 404) {
      return res.status(404).render('errors/404.njk', { pageTitle: 'Page introuvable' })
    }
    if (err instanceof HttpError && err.status === 403) {
      return res.status(403).render('errors/403.njk', { pageTitle: 'Accès refusé', message: err.message })
    }
    if (err instanceof HttpError && err.status < 500) {
      return res.status(err.status).render('errors/400.njk', { pageTitle: 'Demande incorrecte', message: err.message })
    }
    // A client error raised by a library (a body parser, the router decoding a path parameter...):
    // its own status, our French page, never its English message.
    const clientStatus = status ?? statusCode
    if (typeof clientStatus === 'number' && clientStatus >= 400 && clientStatus < 500) {
      logger.info({ reqId: req.id, status: clientStatus, type }, 'requête incorrecte')
      return res.status(clientStatus).render('errors/400.njk', {
        pageTitle: 'Demande incorrecte',
        message: clientStatus === 415 ? UNSUPPORTED_BODY : 'La demande envoyée est incorrecte. Revenez à la page précédente et réessayez.',
      })
    }
    logger.error({ reqId: req.id, err }, 'erreur inattendue')
    res.status(500).render('errors/500.njk', { pageTitle: 'Une erreur est survenue', reference: ref }, (renderErr, html) => {
      if (renderErr) {
        logger.error({ reqId: req.id, err: renderErr }, "la page d'erreur n'a pas pu être affichée")
        res.type('html').send(fallbackPage(ref))
      } else {
        res.send(html)
      }
    })
  }
  app.use(handler)
}

/** Only a path of our own site: a Referer pointing elsewhere is not followed. */
function safeBack(referer: string | undefined, host: string | undefined): string | undefined {
  if (!referer || !host) return undefined
  try {
    const u = new URL(referer)
    return u.host === host ? u.pathname + u.search : undefined
  } catch {
    return undefined
  }
}

function fallbackPage(ref: string): string {
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Une erreur est survenue – Mon espace santé</title></head><body><main><h1>Une erreur est survenue</h1><p>Réessayez dans quelques minutes. Si le problème continue, appelez le 3422 en donnant la référence ${ref}.</p></main></body></html>`
}
