import crypto from 'node:crypto'
import express, { type Express, type Request, type RequestHandler } from 'express'
import { HttpError } from '../errors'
import { CsrfError, openMultipart } from './multipart'
import { uploadRouteFor } from './uploads'
import { CONTROL_CHARACTERS_MESSAGE, cleanFormText, isRecord } from '../validation'
import type { Csrf } from './session'

/**
 * How a request body reaches a page route, in one place (OWASP ASVS 5.0: CSRF, input validation, file handling):
 *  - the URL is checked first: a malformed percent-encoding or a control character answers 400;
 *  - `application/x-www-form-urlencoded` is the only body parsed for pages (64 kB, 200 fields);
 *  - every POST, PUT, PATCH or DELETE must carry the session's CSRF token, compared in constant time,
 *    in the `_csrf` field or the `x-csrf-token` header, whatever its content type: without it, 403;
 *  - `multipart/form-data` only on the upload routes declared in src/middleware/uploads.ts, whose token is the
 *    body's first field and is checked before the handler runs; elsewhere, and for any other body
 *    (JSON, text, XML...), 415 even with a valid token, before any handler runs;
 *  - every text field goes through `cleanFormText`: a control character (NUL...) answers 400, the
 *    bidirectional controls are removed.
 */

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export const UNSUPPORTED_BODY = "Le formulaire envoyé n'a pas le format attendu. Revenez à la page précédente et envoyez-le de nouveau."
export const BAD_URL = "L'adresse demandée est mal formée. Vérifiez-la ou revenez à la page précédente."

/** Constant-time comparison of a received token with the session's (hashed first: the length leaks nothing either). */
export function tokenMatches(expected: unknown, received: unknown): boolean {
  if (typeof expected !== 'string' || expected.length === 0 || typeof received !== 'string') return false
  const a = crypto.createHash('sha256').update(expected).digest()
  const b = crypto.createHash('sha256').update(received).digest()
  return crypto.timingSafeEqual(a, b)
}

function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true
  const length = Number(req.headers['content-length'])
  return Number.isFinite(length) && length > 0
}

type BodyKind = 'none' | 'urlencoded' | 'multipart' | 'other'
function bodyKind(req: Request): BodyKind {
  if (!hasBody(req)) return 'none'
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  if (type === 'application/x-www-form-urlencoded') return 'urlencoded'
  if (type === 'multipart/form-data') return 'multipart'
  return 'other'
}

/** 400 for a URL whose percent-encoding is malformed or that holds a control character once decoded. */
export const checkUrl: RequestHandler = (req, _res, next) => {
  let decoded: string
  try {
    decoded = decodeURIComponent(req.url)
  } catch {
    return next(new HttpError(400, BAD_URL))
  }
  if (cleanFormText(decoded) === undefined) return next(new HttpError(400, BAD_URL))
  next()
}

/** The form parser: urlencoded bodies only (the other types are left unread for the gate to refuse). */
export function setUpFormParsing(app: Express): void {
  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200, type: 'application/x-www-form-urlencoded' }))
}

/**
 * A page form's fields as the parser above reads them (`extended: false`): one value a string, a
 * repeated name (checkboxes) an array; `{}` when the request carried no urlencoded body. Routes read
 * `formBody(req)`, never `req.body` (typed `any` by Express).
 */
export type FormBody = Partial<Record<string, string | string[]>>

export function formBody(req: { body?: unknown }): FormBody {
  const body: unknown = req.body
  return body && typeof body === 'object' && !Array.isArray(body) ? body : {}
}

/** Cleans every text field of a parsed urlencoded body; a control character refuses the request. */
function cleanBody(body: Record<string, unknown>): boolean {
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string') {
      const clean = cleanFormText(v)
      if (clean === undefined) return false
      body[k] = clean
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i]
        if (typeof item !== 'string') continue
        const clean = cleanFormText(item)
        if (clean === undefined) return false
        v[i] = clean
      }
    }
    if (cleanFormText(k) === undefined) return false
  }
  return true
}

/** The gate every state-changing request passes, before any route (see the module's comment). */
export function formGate(csrf: Csrf): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next()
    const valid = (token: unknown) => tokenMatches(csrf.getTokenFromState(req), token)
    const kind = bodyKind(req)
    const upload = uploadRouteFor(req.method, req.path)
    if (kind === 'multipart' && upload) {
      return openMultipart(req, res, upload, valid).then(() => next(), next)
    }
    const parsed: unknown = req.body
    const body = kind === 'urlencoded' && isRecord(parsed) ? parsed : undefined
    if (!valid(body?._csrf) && !valid(req.headers['x-csrf-token'])) return next(new CsrfError())
    // A valid token, but a body no page route reads: refused before the handler.
    if (upload || (kind !== 'urlencoded' && kind !== 'none')) return next(new HttpError(415, UNSUPPORTED_BODY))
    if (body && !cleanBody(body)) return next(new HttpError(400, CONTROL_CHARACTERS_MESSAGE))
    next()
  }
}
