import { MAX_DOCUMENT_BYTES } from '../domain/documents'
import { PERSON_IMPORT_MAX_BYTES } from '../domain/personRow'
import { REIMBURSEMENT_IMPORT_MAX_BYTES } from '../domain/reimbursementRow'

/**
 * The only routes that take a file, in one place. `multipart/form-data` is accepted on these and
 * nowhere else (elsewhere it answers 415 before any handler runs). On these, the form gate reads the
 * body's first field, the CSRF token, and checks it before the handler runs and before any byte of
 * a file is read (see `./forms.ts`); the handler then reads the rest with
 * `readMultipart`. A new upload form adds its route here, or its posts are refused.
 */
export interface UploadRoute {
  /** An Express path; `:name` stands for one path segment. */
  path: string
  /** Largest file accepted (one byte more lets the handler tell "too large" from "exactly at the limit"). */
  maxFileBytes: number
  /** Text fields allowed besides the token and the file. */
  maxFields?: number
}

export const UPLOAD_ROUTES: readonly UploadRoute[] = [
  { path: '/documents/ajouter', maxFileBytes: MAX_DOCUMENT_BYTES + 1 },
  { path: '/pro/patient/deposer', maxFileBytes: MAX_DOCUMENT_BYTES + 1 },
  { path: '/pro/messagerie/nouveau', maxFileBytes: MAX_DOCUMENT_BYTES + 1 },
  { path: '/pro/messagerie/:id/repondre', maxFileBytes: MAX_DOCUMENT_BYTES + 1 },
  { path: '/messagerie/:id/repondre', maxFileBytes: MAX_DOCUMENT_BYTES + 1 },
  { path: '/back-office/import', maxFileBytes: PERSON_IMPORT_MAX_BYTES },
  { path: '/back-office/remboursements', maxFileBytes: REIMBURSEMENT_IMPORT_MAX_BYTES },
]

const compiled = UPLOAD_ROUTES.map((route) => ({
  route,
  // As Express matches: case-insensitive, an optional trailing slash, a parameter is one segment.
  regexp: new RegExp(
    `^${route.path
      .split('/')
      .map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}/?$`,
    'i',
  ),
}))

/** The upload route a POST to `path` is for, if any. */
export function uploadRouteFor(method: string, path: string): UploadRoute | undefined {
  if (method !== 'POST') return undefined
  return compiled.find((c) => c.regexp.test(path))?.route
}
