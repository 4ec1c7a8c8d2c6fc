const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A well-formed uuid (checked before it reaches a `uuid` column: a malformed id is simply not found). */
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v)
