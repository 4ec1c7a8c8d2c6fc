import { randomBytes, randomUUID } from 'node:crypto'

/**
 * UUIDs made in groups for bulk inserts: the ids of one group share their first 48 bits (drawn at
 * random for each group), the rest is random as in a v4 (74 random bits) with the version nibble 8
 * (RFC 9562, «custom» layout). Inserting a group touches one or two pages of a B-tree on the id
 * instead of one random page per row; groups still land all over the uuid space, so ranges of it
 * stay evenly filled, unlike time-ordered ids (v7). (The campaign now walks pages of `spaces`, not
 * ranges of uuids.)
 */
export function uuidGroup(): string {
  const h = randomBytes(6).toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8`
}

/** An id of the group (`uuidGroup()`). */
export function groupedUuid(group: string): string {
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; keep everything after the version digit
  // (12 + 62 random bits and the RFC variant), from a buffered pool of secure random bytes.
  return group + randomUUID().slice(15)
}
