/**
 * Paris time, once: every day boundary, every date a person reads and every Paris wall-clock time
 * turned into an instant goes through here. Days are 'YYYY-MM-DD' strings of the Europe/Paris
 * calendar (never the UTC day of an instant: between midnight and 1 or 2 a.m. in Paris they differ).
 */

export const PARIS = 'Europe/Paris'

// Formatters are costly to build: one each, for the life of the process.
const DAY = new Intl.DateTimeFormat('fr-CA', { timeZone: PARIS, year: 'numeric', month: '2-digit', day: '2-digit' })
const DATE_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: PARIS, dateStyle: 'long', timeStyle: 'short' })
const TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: PARIS, hour: '2-digit', minute: '2-digit' })
const WALL_CLOCK = new Intl.DateTimeFormat('en-GB', {
  timeZone: PARIS,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre']
const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** The Paris day of an instant (now by default), as YYYY-MM-DD. */
export function isoDate(at: Date = new Date()): string {
  return DAY.format(at)
}

/** A date column ('YYYY-MM-DD', or a longer ISO string) as is; an instant as its day in Paris. */
export function dateOnly(v: Date | string): string {
  return typeof v === 'string' ? v.slice(0, 10) : isoDate(v)
}

/** A day shifted by whole days ('2026-03-01', -1 → '2026-02-28'). */
export function addDays(iso: string, days: number): string {
  const d = new Date(`${iso.slice(0, 10)}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** '2026-03-14' (or an instant, read as its Paris day) → «14 mars 2026»; «1er» for the first day. */
export function frenchDate(v: string | Date): string {
  const s = dateOnly(v)
  const [y, m, d] = s.split('-').map(Number)
  if (!y || !m || !d || m > 12) return typeof v === 'string' ? v : s
  return `${d === 1 ? '1er' : d} ${MONTHS[m - 1]} ${y}`
}

/** An instant as Paris date and time: «14 mars 2026 à 09:30». */
export function frenchDateTime(at: Date | string): string {
  return DATE_TIME.format(new Date(at))
}

/** An instant as Paris time of day: «09:30». */
export function frenchTimeOfDay(at: Date | string): string {
  return TIME.format(new Date(at))
}

/** The Paris wall-clock fields of an instant. */
function wallClock(at: number): { y: number; m: number; d: number; hh: number; mm: number; ss: number } {
  const parts = WALL_CLOCK.formatToParts(new Date(at))
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value)
  return { y: get('year'), m: get('month'), d: get('day'), hh: get('hour'), mm: get('minute'), ss: get('second') }
}

/** Paris wall-clock time ('YYYY-MM-DD', 'HH:MM') → the UTC instant (summer time handled). */
export function parisToUtc(date: string, time: string): Date {
  const [y, m, d] = date.split('-').map(Number)
  const [hh, mm] = time.split(':').map(Number)
  const guess = Date.UTC(y, m - 1, d, hh, mm)
  const offset = (at: number) => {
    const w = wallClock(at)
    return Date.UTC(w.y, w.m - 1, w.d, w.hh, w.mm) - at
  }
  let utc = guess - offset(guess)
  utc = guess - offset(utc)
  return new Date(utc)
}

/** A UTC instant as Paris wall-clock time with its offset («2026-07-10T09:30:00+02:00»). */
export function parisInstant(at: Date): string {
  const w = wallClock(at.getTime())
  const local = Date.UTC(w.y, w.m - 1, w.d, w.hh, w.mm)
  const minutes = Math.round((local - Math.floor(at.getTime() / 60000) * 60000) / 60000)
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  const offset = `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  return `${pad(w.y, 4)}-${pad(w.m)}-${pad(w.d)}T${pad(w.hh)}:${pad(w.mm)}:${pad(w.ss)}${offset}`
}

/** The UTC offset of Europe/Paris on a day (at a time, noon by default), as «+01:00» / «+02:00». */
export function parisOffset(isoDay: string, time = '12:00'): string {
  return parisInstant(parisToUtc(isoDay, time)).slice(-6)
}
