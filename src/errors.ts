/** Errors that carry the HTTP answer they deserve. The error middleware renders each one in French. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly expose = true,
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

/** The object does not exist, or the actor may not know that it exists. */
export class NotFoundError extends HttpError {
  constructor(message = 'Page introuvable') {
    super(404, message)
  }
}

/** The actor knows the object exists but may not do this. */
export class ForbiddenError extends HttpError {
  constructor(message = 'Accès refusé') {
    super(403, message)
  }
}

/** A part we depend on (database, session store) cannot be reached. */
export class ServiceUnavailableError extends HttpError {
  constructor(
    message = 'Service momentanément indisponible',
    readonly cause?: unknown,
  ) {
    super(503, message)
  }
}

/** Too many attempts: answered with a French message and a 429. */
export class TooManyRequestsError extends HttpError {
  constructor(
    message = 'Trop de tentatives. Réessayez plus tard.',
    readonly retryAfterSeconds?: number,
  ) {
    super(429, message)
  }
}

export const notFound = (message?: string) => new NotFoundError(message)
export const forbidden = (message?: string) => new ForbiddenError(message)

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02',
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
  '53300', // too_many_connections
])

/** Whether an error means that the database or the session store is out of reach. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof ServiceUnavailableError) return true
  const e = err as { code?: string; name?: string; message?: string } | undefined
  if (!e) return false
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true
  if (e.name === 'KnexTimeoutError') return true
  if (e.name === 'ClientClosedError' || e.name === 'SocketClosedUnexpectedlyError') return true
  const m = e.message ?? ''
  return /Connection terminated|The client is closed|Timeout acquiring a connection|connect ECONNREFUSED|Socket closed unexpectedly/.test(m)
}
