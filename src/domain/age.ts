import { dateOnly } from './parisTime'

/**
 * Age, once. Birthdays and days are 'YYYY-MM-DD' strings of the Paris calendar: someone turns 18 at
 * midnight in Paris, not in UTC. Born on 29 February: the birthday is 1 March in a year without one
 * (it is reached once the 28th is over). The daily SQL (`majorityCutoff`) and the prevention engine's
 * day arithmetic (`prevention/calendar.ts`, tested against this module) follow the same convention.
 */
export const MAJORITY_AGE = 18

const pad = (n: number, w = 2) => String(n).padStart(w, '0')
const parse = (d: string) => d.slice(0, 10).split('-').map(Number)
export const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0

/** The date someone (or something) turns `years` years old. */
export function anniversary(birthDate: string, years: number): string {
  const [y, m, d] = parse(birthDate)
  const year = y + years
  if (m === 2 && d === 29 && !isLeap(year)) return `${pad(year, 4)}-03-01`
  return `${pad(year, 4)}-${pad(m)}-${pad(d)}`
}

/** Whole years of age on a day (both YYYY-MM-DD). */
export function ageOn(birthDate: string, day: string): number {
  const [by] = parse(birthDate)
  const [y] = parse(day)
  const years = y - by
  return anniversary(birthDate, years) <= day.slice(0, 10) ? years : years - 1
}

/** Whole years of age at an instant: on its day in Paris. */
export function ageAt(birth: Date | string, at: Date): number {
  return ageOn(dateOnly(birth), dateOnly(at))
}

/** The 18th birthday. */
export function majorityDate(birthDate: string): string {
  return anniversary(birthDate, MAJORITY_AGE)
}

/** Minor on `today` (the eve of the 18th birthday included). */
export function isMinor(birthDate: string, today: string): boolean {
  return ageOn(birthDate, today) < MAJORITY_AGE
}

/** Everyone born on or before this date is adult on `today` (the bound used by the daily SQL). */
export function majorityCutoff(today: string): string {
  const [y, m, d] = parse(today)
  const year = y - MAJORITY_AGE
  // 29 February of a leap year minus 18 years is never a leap year: the 28th is the bound.
  if (m === 2 && d === 29 && !isLeap(year)) return `${pad(year, 4)}-02-28`
  return `${pad(year, 4)}-${pad(m)}-${pad(d)}`
}
