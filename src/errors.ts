import { isRecord } from './validation'

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
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '53300', // too_many_connections
  '55000', // object_not_in_prerequisite_state: «database is not currently accepting connections» (a switch-over)
  '3D000', // invalid_catalog_name: the database is gone (being restored, failed over)
])

/**
 * PostgreSQL error classes that mean the server or the connection, not the request: 08 connection
 * exception, 57P admin shutdown / crash shutdown / cannot connect now / database dropped / idle
 * session timeout.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-5])$/

const UNAVAILABLE_MESSAGES =
  /Connection terminated|The client is closed|Timeout acquiring a connection|connect ECONNREFUSED|Socket closed unexpectedly|Client has encountered a connection error|Client was closed and is not queryable|not queryable|timeout exceeded when trying to connect|Connection ended unexpectedly|not currently accepting connections|the database system is (starting up|shutting down|in recovery mode)/

/*
 * Anything can be thrown, and `instanceof Error` misses the errors made in another realm (Node's own
 * under Jest): the fields of a thrown value are read from any object that has them.
 */

/** The `code` of a thrown value when it is a string (Node system errors, PostgreSQL SQLSTATE…). */
export function errorCode(err: unknown): string | undefined {
  return isRecord(err) && typeof err.code === 'string' ? err.code : undefined
}

/** The `name` of a thrown value when it is a string. */
export function errorName(err: unknown): string | undefined {
  return isRecord(err) && typeof err.name === 'string' ? err.name : undefined
}

/** The `message` of a thrown value when it is a string. */
export function errorMessage(err: unknown): string | undefined {
  return isRecord(err) && typeof err.message === 'string' ? err.message : undefined
}

/** Whether an error means that the database or the session store is out of reach. */
export function isUnavailable(err: unknown, depth = 0): boolean {
  if (err instanceof ServiceUnavailableError) return true
  if (!isRecord(err)) return false
  const code = errorCode(err)
  if (code !== undefined && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true
  const name = errorName(err)
  if (name === 'KnexTimeoutError') return true
  if (name === 'ClientClosedError' || name === 'SocketClosedUnexpectedlyError' || name === 'ConnectionTimeoutError') return true
  if (UNAVAILABLE_MESSAGES.test(errorMessage(err) ?? '')) return true
  // Wrapped by a library (AggregateError, `cause`): the fault underneath decides.
  if (depth > 3) return false
  if (err.cause && err.cause !== err && isUnavailable(err.cause, depth + 1)) return true
  const inner = err.errors
  return Array.isArray(inner) && inner.length > 0 && inner.every((x) => isUnavailable(x, depth + 1))
}
