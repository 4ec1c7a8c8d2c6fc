import crypto from 'node:crypto'
import type { Express, RequestHandler } from 'express'
import helmet from 'helmet'

/** A per-request nonce named `cspNonce` (govuk-frontend's template reads that name). */
const nonce: RequestHandler = (_req, res, next) => {
  res.locals.cspNonce = crypto.randomBytes(16).toString('base64')
  next()
}

export function setUpSecurity(app: Express, opts: { production: boolean; extraFormAction?: string[] }): void {
  app.disable('x-powered-by')
  app.use(nonce)
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as unknown as { locals: { cspNonce: string } }).locals.cspNonce}'`],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          frameSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'", ...(opts.extraFormAction ?? [])],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: opts.production ? [] : null,
        },
      },
      strictTransportSecurity: opts.production ? { maxAge: 31536000, includeSubDomains: true } : false,
      crossOriginEmbedderPolicy: false,
      referrerPolicy: { policy: 'same-origin' },
    }),
  )
  app.use((_req, res, next) => {
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()')
    next()
  })
}

/** Pages behind login, and anything personal: never kept by a browser or a proxy. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('Pragma', 'no-cache')
  next()
}
