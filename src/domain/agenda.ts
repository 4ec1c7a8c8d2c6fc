/** Agenda rules (SPEC §8) that need neither HTTP nor SQL. */
import { addDays } from './parisTime'

export const EVENT_STATUSES = [
  { value: 'confirme', label: 'Confirmé' },
  { value: 'honore', label: 'Honoré' },
  { value: 'annule', label: 'Annulé' },
  { value: 'non_honore', label: 'Non honoré' },
] as const

export type EventStatus = (typeof EVENT_STATUSES)[number]['value']

export function statusLabel(status: string): string {
  return EVENT_STATUSES.find((s) => s.value === status)?.label ?? status
}

export function isEventStatus(v: unknown): v is EventStatus {
  return typeof v === 'string' && EVENT_STATUSES.some((s) => s.value === v)
}

/** At most this many reminders per event. */
export const MAX_REMINDERS = 10

/** The day before a date (YYYY-MM-DD). */
export const dayBefore = (iso: string): string => addDays(iso, -1)

/** A time typed as «9h30», «09:30», «9 h», «14h» → «09:30»; null when it is not a time of day. */
export function parseTime(raw: string): string | null {
  const m = raw
    .trim()
    .toLowerCase()
    .match(/^(\d{1,2})\s*(?:[h:.]\s*(\d{2})?)?$/)
  if (!m) return null
  const h = Number(m[1])
  const min = m[2] === undefined ? 0 : Number(m[2])
  if (h > 23 || min > 59) return null
  return `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}`
}

/** «09:30» → «9 h 30», «14:00» → «14 h». */
export function frenchTime(time: string | null | undefined): string {
  if (!time) return ''
  const [h, m] = time.split(':')
  return m === '00' ? `${Number(h)} h` : `${Number(h)} h ${m}`
}

export type ReminderCheck =
  { ok: true; remindOn: string } | { ok: false; reason: 'limit' | 'past' | 'after_event' | 'duplicate' | 'cancelled' }

/**
 * Whether a reminder may be added: at most MAX_REMINDERS per event, not in the past, not after the
 * event, not twice the same day, not on a cancelled event.
 */
export function checkReminder(input: {
  eventDate: string
  eventStatus: string
  kind: 'veille' | 'date'
  date?: string
  existing: string[]
  today: string
}): ReminderCheck {
  if (input.eventStatus === 'annule') return { ok: false, reason: 'cancelled' }
  if (input.existing.length >= MAX_REMINDERS) return { ok: false, reason: 'limit' }
  const remindOn = input.kind === 'veille' ? dayBefore(input.eventDate) : input.date!
  if (remindOn < input.today) return { ok: false, reason: 'past' }
  if (remindOn > input.eventDate) return { ok: false, reason: 'after_event' }
  if (input.existing.includes(remindOn)) return { ok: false, reason: 'duplicate' }
  return { ok: true, remindOn }
}
