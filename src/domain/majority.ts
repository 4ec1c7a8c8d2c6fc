import { majorityCutoff, majorityDate } from './age'
import { addDays } from './parisTime'

/**
 * The 18th birthday, seen by everyone it concerns (SPEC §3, issue 19 §4). Pure dates: three months
 * before, the young person and each legal representative are told what will change; on the day,
 * the representatives' access ends and the young adult gets their own code.
 */
export const MAJORITY_NOTICE_MONTHS = 3

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** `iso` shifted by whole months (the day clamped to the month's last day: 31 May − 3 months = 28/29 February). */
export function addMonths(iso: string, months: number): string {
  const [y, m, d] = iso.split('-').map(Number)
  const index = y * 12 + (m - 1) + months
  const year = Math.floor(index / 12)
  const month = (index % 12) + 1
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate()
  return `${pad(year, 4)}-${pad(month)}-${pad(Math.min(d, last))}`
}

/** The day the notice is due: three months before the 18th birthday. */
export function majorityNoticeDate(birthDate: string): string {
  return addMonths(majorityDate(birthDate), -MAJORITY_NOTICE_MONTHS)
}

/** True from the notice day until the eve of the 18th birthday. */
export function majoritySoon(birthDate: string, today: string): boolean {
  return majorityNoticeDate(birthDate) <= today && today < majorityDate(birthDate)
}

/**
 * The birth dates whose notice is due on `today` or was due earlier while still a minor: born after
 * `after` (exclusive: adults on `today` are out) and on or before `until`. The daily job reads this
 * range (a missed day is caught up the next day; the notice is sent once per person).
 */
export function majorityNoticeRange(today: string): { after: string; until: string } {
  // Born on or before `until`: the notice day (18th birthday − 3 months) is today or earlier.
  let until = addMonths(majorityCutoff(today), MAJORITY_NOTICE_MONTHS)
  // addMonths clamps at month ends (the notices of 29, 30 and 31 May all fall on 28 February): adjust
  // to the last birth date whose notice day is today or earlier (the notice day grows with the birth date).
  while (majorityNoticeDate(addDays(until, 1)) <= today) until = addDays(until, 1)
  while (majorityNoticeDate(until) > today) until = addDays(until, -1)
  return { after: majorityCutoff(today), until }
}
