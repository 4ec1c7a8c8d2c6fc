import crypto from 'node:crypto'
import type { Express, Request, RequestHandler, Response } from 'express'
import helmet from 'helmet'

/**
 * 16 random bytes per nonce, drawn from the CSPRNG in batches (one system call for 256 nonces rather
 * than one per request, as `crypto.randomUUID` does); every byte is used once.
 */
const NONCE_BYTES = 16
let pool = Buffer.alloc(0)
let offset = 0
export function newNonce(): string {
  if (offset + NONCE_BYTES > pool.length) {
    pool = crypto.randomBytes(NONCE_BYTES * 256)
    offset = 0
  }
  const nonce = pool.toString('base64', offset, offset + NONCE_BYTES)
  offset += NONCE_BYTES
  return nonce
}

/** Stands for the request's nonce while helmet's headers are computed once (base64 never has `!`). */
const NONCE_MARK = 'nonce!mark'

/**
 * Helmet's headers, computed once: they are the same for every request but for the CSP nonce.
 * Helmet runs once here on a stand-in response whose nonce is a mark; each request then gets the
 * same headers, in the same order, with its own nonce in place of the mark (no per-request directive
 * walk, no chain of a dozen middlewares).
 */
function precomputed(middleware: RequestHandler): { headers: [string, string, string | undefined][]; removed: string[] } {
  const headers: [string, string, string | undefined][] = []
  const removed: string[] = []
  const res = {
    locals: { cspNonce: NONCE_MARK },
    setHeader(name: string, value: string) {
      const i = value.indexOf(NONCE_MARK)
      headers.push(i < 0 ? [name, value, undefined] : [name, value.slice(0, i), value.slice(i + NONCE_MARK.length)])
      if (i >= 0 && value.indexOf(NONCE_MARK, i + 1) >= 0) throw new Error('helmet : un seul nonce par en-tête attendu')
    },
    removeHeader(name: string) {
      removed.push(name)
    },
  }
  let done = false
  // A stand-in request and response: helmet only calls setHeader/removeHeader and reads res.locals.cspNonce.
  middleware({} as Request, res as unknown as Response, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error('helmet a signalé une erreur')
    done = true
  })
  if (!done) throw new Error("helmet n'a pas rendu la main de façon synchrone")
  return { headers, removed }
}

/** Helmet's options: the CSP with its per-request nonce (read from `res.locals.cspNonce`), HSTS in production. */
export function helmetOptions(opts: { production: boolean; extraFormAction?: string[] }): Parameters<typeof helmet>[0] {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // helmet types `res` as Node's ServerResponse: it is Express's, whose locals hold the nonce (set before helmet runs).
        scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as typeof res & { locals: { cspNonce: string } }).locals.cspNonce}'`],
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
  }
}

export function setUpSecurity(app: Express, opts: { production: boolean; extraFormAction?: string[] }): void {
  app.disable('x-powered-by')
  const { headers, removed } = precomputed(helmet(helmetOptions(opts)))
  headers.push(['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()', undefined])
  // A per-request nonce named `cspNonce` (govuk-frontend's template reads that name).
  app.use((_req, res, next) => {
    const nonce = newNonce()
    res.locals.cspNonce = nonce
    for (const name of removed) res.removeHeader(name)
    for (const [name, head, tail] of headers) res.setHeader(name, tail === undefined ? head : head + nonce + tail)
    next()
  })
}

/** Pages behind login, and anything personal: never kept by a browser or a proxy. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('Pragma', 'no-cache')
  next()
}
