import crypto from 'node:crypto'
import type { Request, RequestHandler, Response } from 'express'
import busboy from 'busboy'
import { z } from 'zod'
import { open, seal } from '../infrastructure/crypto'
import { uploadRouteFor } from './uploads'
import { cleanFormText, isRecord } from '../validation'

/**
 * A form sent after the idle limit is not lost (WCAG 2.2.1, issue 16 §3). The expired session's
 * token is void, so nothing is done with it: its fields are kept, sealed (AES-256-GCM, a key derived
 * from the master key: it may be health data), in the new anonymous session (a random id in Redis or
 * PostgreSQL, which expires with it), never in a log. After signing in again (password and code) as
 * the same account, the person is taken back to the page of the form, filled again, with a notice
 * naming what must be given again: secrets (passwords, codes) and files are never kept. The person
 * sends the form again themselves (with the new session's token): it is never sent for them.
 */

/** How long a kept form waits for its owner to sign in again. */
export const SAVED_FORM_TTL_MS = 30 * 60 * 1000
const MAX_FIELDS = 60
const MAX_FIELD_BYTES = 16 * 1024

/** Fields never kept: the form's token, passwords, codes. */
export function isSecretField(name: string): boolean {
  return (
    name === '_csrf' ||
    name === 'current' ||
    /password|passe|secret|otp/i.test(name) ||
    /^code$|Code$|^code[A-Z_-]/.test(name) ||
    name === 'confirmation'
  )
}

/** What the notice says for each kind of field left out. */
function missingLabel(name: string, file: boolean): string {
  if (file) return 'le fichier à joindre'
  if (/password|passe|^confirmation$|^current$/i.test(name)) return 'le mot de passe'
  return 'le code'
}

export interface KeptForm {
  /** The page that shows the form (where the person comes back to). */
  pagePath: string
  /** Where the form was sent (to fill the right form of the page). */
  action: string
  fields: Record<string, string | string[]>
  /** What must be given again, in words («le fichier à joindre», «le mot de passe»). */
  missing: string[]
}

const keptFormSchema: z.ZodType<KeptForm> = z.object({
  pagePath: z.string(),
  action: z.string(),
  fields: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  missing: z.array(z.string()),
})

/** What the session holds: who may get the form back, until when, and the sealed form. */
export interface SavedFormRef {
  accountId: string
  kind: 'patient' | 'professional' | 'agent' | 'operator'
  /** The profile looked at (a child's, a helped person's): restored at sign-in, checked again by the policy. */
  actingPersonId?: string
  pagePath: string
  until: number
  sealed: string
}

export function savedFormKey(masterKey: Buffer): Buffer {
  return crypto.createHmac('sha256', masterKey).update('mon-espace-sante:formulaires-gardes:v1').digest()
}

export function sealForm(key: Buffer, form: KeptForm): string {
  return seal(key, JSON.stringify(form)).toString('base64')
}

export function openForm(key: Buffer, sealed: string): KeptForm | undefined {
  try {
    return keptFormSchema.parse(JSON.parse(open(key, Buffer.from(sealed, 'base64')).toString('utf8')))
  } catch {
    return undefined
  }
}

/** Whether a path is one of our own site's: not `//host` nor a backslash, which a browser may read as another site. */
export function isOwnPath(path: string): boolean {
  return path.startsWith('/') && !path.startsWith('//') && !path.includes('\\')
}

/** Only a path of our own site (a Referer pointing elsewhere is not followed). */
export function sameSitePath(req: Request, referer: string | undefined): string | undefined {
  if (!referer) return undefined
  try {
    const u = new URL(referer)
    if (u.host !== req.get('host') || !isOwnPath(u.pathname)) return undefined
    return u.pathname + u.search
  } catch {
    return undefined
  }
}

function addField(fields: Record<string, string | string[]>, name: string, value: string): void {
  const prev = fields[name]
  if (prev === undefined) fields[name] = value
  else fields[name] = Array.isArray(prev) ? [...prev, value] : [prev, value]
}

/** The text fields of a multipart body (a declared upload route), files drained unread. */
function readMultipartFields(req: Request): Promise<{ fields: [string, string][]; files: string[] }> {
  return new Promise((resolve) => {
    const fields: [string, string][] = []
    const files: string[] = []
    let bb: busboy.Busboy
    try {
      bb = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, files: 3 } })
    } catch {
      return resolve({ fields, files })
    }
    bb.on('field', (name, value) => fields.push([name, value]))
    bb.on('file', (name, stream, info) => {
      if (info.filename) files.push(name)
      stream.resume()
    })
    bb.on('close', () => resolve({ fields, files }))
    bb.on('error', () => resolve({ fields, files }))
    req.pipe(bb)
  })
}

/**
 * The form of a request whose session has just expired, without its secrets and files; undefined when
 * nothing worth keeping was typed (a sign-out button, «Rester connecté»...).
 */
export async function captureForm(req: Request): Promise<KeptForm | undefined> {
  let entries: [string, string][] = []
  const missing = new Set<string>()
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  const body: unknown = req.body
  if (type === 'multipart/form-data' && uploadRouteFor(req.method, req.path)) {
    const { fields, files } = await readMultipartFields(req)
    entries = fields
    for (const f of files) missing.add(missingLabel(f, true))
  } else if (type === 'application/x-www-form-urlencoded' && isRecord(body)) {
    for (const [k, v] of Object.entries(body)) {
      for (const one of Array.isArray(v) ? v : [v]) if (typeof one === 'string') entries.push([k, one])
    }
  } else return undefined
  const fields: Record<string, string | string[]> = {}
  let typed = false
  for (const [name, raw] of entries.slice(0, MAX_FIELDS)) {
    if (isSecretField(name)) {
      if (name !== '_csrf' && raw !== '') missing.add(missingLabel(name, false))
      continue
    }
    const value = cleanFormText(raw)
    if (value === undefined || cleanFormText(name) === undefined) continue
    addField(fields, name, value)
    if (value.trim() !== '') typed = true
  }
  if (!typed && missing.size === 0) return undefined
  const pagePath = sameSitePath(req, req.get('referer')) ?? req.originalUrl
  return { pagePath, action: req.path, fields, missing: [...missing] }
}

/** «le fichier à joindre et le mot de passe» */
function joinFr(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} et ${items[items.length - 1]}`
}

export function restoredNotice(form: KeptForm): string {
  const again = form.missing.length ? ` Pour votre sécurité, ils ne sont pas gardés : donnez de nouveau ${joinFr(form.missing)}.` : ''
  return `Votre session avait expiré : le formulaire est rempli avec ce que vous aviez saisi.${again} Vérifiez-le, puis envoyez-le.`
}

/**
 * On the page of a kept form, for its owner only, once: the page's `values` get the kept fields (the
 * templates fill their fields from `values`) and the notice says what to give again.
 */
export function restoreSavedForm(key: Buffer): RequestHandler {
  return (req, res, next) => {
    const ref = req.session?.savedForm
    if (!ref || req.method !== 'GET') return next()
    if (Date.now() > ref.until) {
      delete req.session.savedForm
      return next()
    }
    if (!req.actor || req.actor.accountId !== ref.accountId || req.actor.acting?.personId !== ref.actingPersonId) return next()
    if (req.originalUrl !== ref.pagePath && req.path !== ref.pagePath.split('?')[0]) return next()
    delete req.session.savedForm
    const form = openForm(key, ref.sealed)
    if (!form) return next()
    res.locals.flash = { type: 'info', text: restoredNotice(form) }
    res.locals.restoredForm = true
    // For a page whose choices are built before rendering (a select's items): the kept fields.
    res.locals.keptFields = form.fields
    fillValuesOnRender(res, form.fields)
    next()
  }
}

function fillValuesOnRender(res: Response, fields: Record<string, string | string[]>): void {
  type Done = (err: Error, html: string) => void
  const render = res.render.bind(res)
  res.render = (view: string, options?: object | Done, cb?: Done) => {
    const opts: Record<string, unknown> = { ...options }
    const values = isRecord(opts.values) ? opts.values : {}
    opts.values = { ...values, ...fields, ...dateGroups(fields) }
    return render(view, opts, cb)
  }
}

/** Date boxes (`date-day`, `date-month`, `date-year`) also as one value `{ day, month, year }` (the other templates' way). */
function dateGroups(fields: Record<string, string | string[]>): Record<string, { day?: string; month?: string; year?: string }> {
  const groups: Record<string, { day?: string; month?: string; year?: string }> = {}
  for (const [name, value] of Object.entries(fields)) {
    const m = /^(.+)-(day|month|year)$/.exec(name)
    const part = m?.[2]
    if (!m || (part !== 'day' && part !== 'month' && part !== 'year') || typeof value !== 'string' || m[1] in fields) continue
    ;(groups[m[1]] ??= {})[part] = value
  }
  return groups
}
