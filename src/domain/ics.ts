import { addDays, parisToUtc } from './parisTime'

/**
 * iCalendar (RFC 5545) text for the agenda: one event (`.ics` download) or the private feed.
 * Pure: escaping, folding at 75 octets (UTF-8 safe), Paris local times converted to UTC.
 */

/** Escapes a TEXT value: backslash, semicolon, comma, new lines. */
export function escapeText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n')
}

/** Folds a content line: at most 75 octets per line, continuation lines start with one space; never splits a character. */
export function foldLine(line: string): string {
  const bytes = Buffer.byteLength(line, 'utf8')
  if (bytes <= 75) return line
  const parts: string[] = []
  let current = ''
  let size = 0
  let limit = 75
  for (const ch of line) {
    const n = Buffer.byteLength(ch, 'utf8')
    if (size + n > limit) {
      parts.push(current)
      current = ''
      size = 0
      limit = 74 // the leading space counts
    }
    current += ch
    size += n
  }
  parts.push(current)
  return parts.join('\r\n ')
}

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
const compactDate = (iso: string) => iso.replace(/-/g, '')

export interface IcsEvent {
  uid: string
  date: string
  /** HH:MM (Paris), or null for an all-day event. */
  time: string | null
  durationMinutes?: number
  summary: string
  location?: string | null
  description?: string | null
  cancelled?: boolean
  updatedAt: Date
}

function eventLines(e: IcsEvent, now: Date): string[] {
  const lines = ['BEGIN:VEVENT', `UID:${e.uid}`, `DTSTAMP:${stamp(now)}`, `LAST-MODIFIED:${stamp(e.updatedAt)}`]
  if (e.time) {
    const start = parisToUtc(e.date, e.time)
    const end = new Date(start.getTime() + (e.durationMinutes ?? 30) * 60_000)
    lines.push(`DTSTART:${stamp(start)}`, `DTEND:${stamp(end)}`)
  } else {
    lines.push(`DTSTART;VALUE=DATE:${compactDate(e.date)}`, `DTEND;VALUE=DATE:${compactDate(addDays(e.date, 1))}`)
  }
  lines.push(`SUMMARY:${escapeText(e.summary)}`)
  if (e.location) lines.push(`LOCATION:${escapeText(e.location)}`)
  if (e.description) lines.push(`DESCRIPTION:${escapeText(e.description)}`)
  lines.push(`STATUS:${e.cancelled ? 'CANCELLED' : 'CONFIRMED'}`, 'END:VEVENT')
  return lines
}

/** A whole VCALENDAR with these events, CRLF line ends, folded. */
export function calendar(events: IcsEvent[], opts: { name: string; now?: Date }): string {
  const now = opts.now ?? new Date()
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Mon espace santé//Agenda//FR',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(opts.name)}`,
  ]
  for (const e of events) lines.push(...eventLines(e, now))
  lines.push('END:VCALENDAR')
  return lines.map(foldLine).join('\r\n') + '\r\n'
}
