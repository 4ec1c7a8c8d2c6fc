import type { Request, Response } from 'express'
import { PassThrough, type Readable } from 'node:stream'
import busboy, { type Busboy } from 'busboy'
import { HttpError } from '../errors'
import { CONTROL_CHARACTERS_MESSAGE, cleanFormText } from '../validation'
import type { UploadRoute } from './uploads'

/**
 * Multipart forms (file uploads), streamed without buffering the file, in two steps:
 *  1. `openMultipart`, called by the form gate (src/middleware/forms.ts) for a route declared in
 *     src/middleware/uploads.ts, before any handler: the CSRF token must be the body's first field (forms put
 *     `<input type="hidden" name="_csrf">` first and the file input last); it is checked, in constant
 *     time, before any byte of the file is read. A missing or wrong token answers 403.
 *  2. `readMultipart`, called by the route's handler: the other fields (each through `cleanFormText`),
 *     then the file stream, handed to `onFile` with the fields before it, so the consumer can validate
 *     them and stream the file where it belongs (encrypted chunks in a transaction, a CSV import...).
 * A malformed or truncated body answers 400, a field over its size or too many parts 413.
 */
export interface IncomingFile {
  fieldName: string
  /** The name the browser sent (never trusted for the type, never used as a path). */
  filename: string
  /** The type the browser claimed (never trusted: the content is sniffed). */
  declaredType: string
  stream: Readable
  /** True once the stream stopped because the file was larger than the route's limit. */
  truncated: () => boolean
}

export interface MultipartResult<T> {
  fields: Record<string, string>
  /** What `onFile` returned, when a non-empty file came. */
  file?: T
  /** Set when the file was over the limit (whatever `onFile` did, it must be rolled back). */
  tooLarge?: boolean
}

export class CsrfError extends HttpError {
  readonly code = 'EBADCSRFTOKEN'
  constructor() {
    super(403, 'Jeton de sécurité invalide')
  }
}

export const MALFORMED_FORM = 'Le formulaire envoyé est incomplet ou mal formé. Revenez à la page précédente et envoyez-le de nouveau.'
const TOO_BIG = 'Le formulaire envoyé est trop volumineux.'

type Part =
  | { type: 'field'; name: string; value: string; truncated: boolean }
  | { type: 'file'; name: string; stream: Readable & { truncated?: boolean }; filename: string; mimeType: string }
  | { type: 'limit' }
  | { type: 'error'; error: unknown }
  | { type: 'close' }

/** Busboy's events in order, kept until someone listens (the gate, then the handler). */
class Parts {
  private queue: Part[] = []
  private sink?: (p: Part) => void
  consumed = false
  constructor(readonly bb: Busboy) {
    bb.on('field', (name, value, info) => this.push({ type: 'field', name, value, truncated: info.nameTruncated || info.valueTruncated }))
    bb.on('file', (name, stream, info) => {
      // A body that breaks off inside the file errors this stream, maybe before anyone reads it: the
      // fault reaches the reader as the form's own 'error' part, never as an unhandled event.
      stream.on('error', () => undefined)
      this.push({ type: 'file', name, stream, filename: info.filename ?? '', mimeType: info.mimeType })
    })
    for (const e of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) bb.on(e, () => this.push({ type: 'limit' }))
    bb.on('error', (error) => this.push({ type: 'error', error }))
    bb.on('close', () => this.push({ type: 'close' }))
  }
  private push(p: Part) {
    if (this.sink) this.sink(p)
    else this.queue.push(p)
  }
  listen(sink: ((p: Part) => void) | undefined) {
    this.sink = sink
    while (this.sink && this.queue.length) this.sink(this.queue.shift()!)
  }
}

/** The multipart body the gate opened, by request. */
const openedParts = new WeakMap<Request, Parts>()

/** Reads a declared upload route's body up to its first field and checks the CSRF token there. */
export function openMultipart(req: Request, res: Response, route: UploadRoute, tokenValid: (token: string) => boolean): Promise<void> {
  const maxFields = route.maxFields ?? 30
  let bb: Busboy
  try {
    bb = busboy({
      headers: req.headers,
      // Browsers send file names in UTF-8 (busboy's default would read them as latin1).
      defParamCharset: 'utf8',
      limits: { fileSize: route.maxFileBytes, files: 1, fields: maxFields + 1, fieldSize: 16 * 1024, parts: maxFields + 2 },
    })
  } catch {
    // No boundary, or not multipart at all: the token cannot even be looked for.
    return Promise.reject(new CsrfError())
  }
  const parts = new Parts(bb)
  // Whatever happens next (a guard redirects, the handler throws), the body is drained, files unread.
  const drain = () => {
    parts.listen((p) => {
      if (p.type === 'file') p.stream.resume()
    })
  }
  res.once('finish', () => {
    if (!parts.consumed) drain()
  })
  return new Promise<void>((resolve, reject) => {
    parts.listen((p) => {
      parts.listen(undefined) // the next parts wait for the handler
      if (p.type === 'field' && p.name === '_csrf' && !p.truncated && tokenValid(p.value)) {
        openedParts.set(req, parts)
        return resolve()
      }
      drain()
      reject(new CsrfError())
    })
    req.pipe(bb)
  })
}

/**
 * The rest of a multipart form opened by the gate: fields (control characters refused, bidirectional
 * controls removed), then at most one file handed to `onFile`.
 */
export async function readMultipart<T>(
  req: Request,
  opts: { onFile: (file: IncomingFile, fieldsSoFar: Record<string, string>) => Promise<T> },
): Promise<MultipartResult<T>> {
  const parts = openedParts.get(req)
  // Only a route declared in src/middleware/uploads.ts gets here with a body opened (and its token checked).
  if (!parts || parts.consumed) throw new HttpError(415, MALFORMED_FORM)
  parts.consumed = true
  const fields: Record<string, string> = {}
  let tooLarge = false
  let fileResult: Promise<T> | undefined

  // The consumer's view of the file: it ends only once the whole body was read without fault, so a
  // body that breaks off or turns bad after the file (a field with a control character, a part too
  // many) fails the file stream too, and whatever the consumer was storing is rolled back.
  let file: { source: Readable; view: PassThrough; ended: boolean } | undefined

  const done = new Promise<void>((resolve, reject) => {
    let failed = false
    const fail = (err: unknown) => {
      if (failed) return
      failed = true
      file?.view.destroy(err instanceof Error ? err : new Error(String(err)))
      parts.listen((p) => {
        if (p.type === 'file') p.stream.resume()
      })
      reject(err instanceof Error ? err : new Error(String(err)))
    }
    parts.listen((p) => {
      if (failed) {
        if (p.type === 'file') p.stream.resume()
        return
      }
      switch (p.type) {
        case 'field': {
          if (p.truncated) return fail(new HttpError(413, TOO_BIG))
          const value = cleanFormText(p.value)
          if (value === undefined || cleanFormText(p.name) === undefined) return fail(new HttpError(400, CONTROL_CHARACTERS_MESSAGE))
          // A field after the file reaches nobody (the file's consumer had the fields before it).
          if (!file) fields[p.name] = value
          return
        }
        case 'file': {
          if (file) return fail(new HttpError(413, TOO_BIG))
          const source = p.stream
          const view = new PassThrough()
          // Its consumer sees a failure through its own reads; the event itself must not go unhandled.
          view.on('error', () => undefined)
          const current = { source, view, ended: false }
          file = current
          let truncated = false
          source.on('limit', () => {
            truncated = true
            tooLarge = true
          })
          source.on('error', () => fail(new HttpError(400, MALFORMED_FORM)))
          source.on('end', () => {
            current.ended = true
          })
          source.pipe(view, { end: false })
          fileResult = opts.onFile(
            {
              fieldName: p.name,
              filename: p.filename,
              declaredType: p.mimeType,
              stream: view,
              truncated: () => truncated || Boolean(source.truncated),
            },
            { ...fields },
          )
          // Whatever the consumer does, the stream must be drained for the request to finish.
          fileResult.catch(() => {
            source.unpipe(view)
            source.resume()
          })
          return
        }
        case 'limit':
          return fail(new HttpError(413, TOO_BIG))
        case 'error':
          return fail(new HttpError(400, MALFORMED_FORM))
        case 'close':
          if (file && !file.ended) return fail(new HttpError(400, MALFORMED_FORM))
          file?.view.end()
          return resolve()
      }
    })
  })
  try {
    await done
  } catch (err) {
    // A file being stored when the body broke off: its transaction is rolled back before we answer.
    await fileResult?.catch(() => undefined)
    throw err
  }
  const result = fileResult ? await fileResult : undefined
  return { fields, file: result, tooLarge: tooLarge || undefined }
}
