import type { Request } from 'express'
import type { Readable } from 'node:stream'
import busboy from 'busboy'
import type { Csrf } from '../middleware/session'
import { HttpError } from '../errors'

/**
 * Streams a multipart form (a file upload) without buffering the file: the CSRF token must come
 * first (forms put `<input type="hidden" name="_csrf">` first and the file input last); it is
 * checked before any byte of the file is read. Fields before the file are handed to `onFile` with
 * the file stream, so the consumer can validate them and stream the file where it belongs
 * (encrypted chunks in a transaction, a CSV import...).
 */
export interface IncomingFile {
  fieldName: string
  /** The name the browser sent (never trusted for the type, never used as a path). */
  filename: string
  /** The type the browser claimed (never trusted: the content is sniffed). */
  declaredType: string
  stream: Readable
  /** True once the stream stopped because the file was larger than `maxFileBytes`. */
  truncated(): boolean
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

export async function readMultipart<T>(
  req: Request,
  opts: {
    csrf: Csrf
    maxFileBytes: number
    maxFields?: number
    onFile: (file: IncomingFile, fieldsSoFar: Record<string, string>) => Promise<T>
  },
): Promise<MultipartResult<T>> {
  const fields: Record<string, string> = {}
  let csrfChecked = false
  let tooLarge = false
  let fileResult: Promise<T> | undefined
  let failure: unknown

  const bb = busboy({
    headers: req.headers,
    // Browsers send file names in UTF-8 (busboy's default would read them as latin1).
    defParamCharset: 'utf8',
    limits: {
      fileSize: opts.maxFileBytes,
      files: 1,
      fields: opts.maxFields ?? 30,
      fieldSize: 16 * 1024,
      parts: (opts.maxFields ?? 30) + 1,
    },
  })

  const done = new Promise<void>((resolve, reject) => {
    bb.on('field', (name, value) => {
      if (!csrfChecked) {
        if (name !== '_csrf' || !tokenValid(req, opts.csrf, value)) {
          failure = new CsrfError()
          req.unpipe(bb)
          req.resume()
          return reject(failure)
        }
        csrfChecked = true
        return
      }
      fields[name] = value
    })
    bb.on('file', (fieldName, stream, info) => {
      if (!csrfChecked) {
        failure = new CsrfError()
        stream.resume()
        return reject(failure)
      }
      let truncated = false
      stream.on('limit', () => {
        truncated = true
        tooLarge = true
      })
      fileResult = opts.onFile(
        { fieldName, filename: info.filename ?? '', declaredType: info.mimeType, stream, truncated: () => truncated },
        { ...fields },
      )
      // Whatever the consumer does, the stream must be drained for the request to finish.
      fileResult.catch(() => stream.resume())
    })
    bb.on('error', reject)
    bb.on('close', () => resolve())
  })
  req.pipe(bb)
  await done
  if (!csrfChecked) throw new CsrfError()
  const file = fileResult ? await fileResult : undefined
  return { fields, file, tooLarge: tooLarge || undefined }
}

function tokenValid(req: Request, csrf: Csrf, token: string): boolean {
  const expected = csrf.getTokenFromState(req)
  return typeof expected === 'string' && expected.length > 0 && expected === token
}
