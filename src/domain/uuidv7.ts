import { randomUUID } from 'node:crypto'

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits (from
 * `randomUUID`, which draws from a buffered pool of secure random bytes). Ids made one after the
 * other sort (nearly) in the order they were made, so a B-tree on them grows at its right edge
 * instead of touching a random page per row: the bulk import gives them to new persons.
 */
let lastMs = -1
let prefix = ''

export function uuidv7(now = Date.now()): string {
  if (now !== lastMs) {
    lastMs = now
    const h = now.toString(16).padStart(12, '0')
    prefix = `${h.slice(0, 8)}-${h.slice(8, 12)}-7`
  }
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; keep everything after the version digit
  // (12 + 62 random bits and the RFC variant).
  return prefix + randomUUID().slice(15)
}
