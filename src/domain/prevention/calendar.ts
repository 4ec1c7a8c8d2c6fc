/**
 * Fast civil-date arithmetic on day numbers (days since 1970-01-01), without Date objects:
 * the recommendations function runs for millions of people.
 */
export function dayNumber(y: number, m: number, d: number): number {
  // Howard Hinnant's days_from_civil.
  const yy = m <= 2 ? y - 1 : y
  const era = Math.floor(yy / 400)
  const yoe = yy - era * 400
  const mp = (m + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

export const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0

/** 'YYYY-MM-DD' → day number (no validation: callers pass dates from the database or checked forms). */
export function parseDay(iso: string): number {
  const y = (iso.charCodeAt(0) - 48) * 1000 + (iso.charCodeAt(1) - 48) * 100 + (iso.charCodeAt(2) - 48) * 10 + (iso.charCodeAt(3) - 48)
  const m = (iso.charCodeAt(5) - 48) * 10 + (iso.charCodeAt(6) - 48)
  const d = (iso.charCodeAt(8) - 48) * 10 + (iso.charCodeAt(9) - 48)
  return dayNumber(y, m, d)
}

// Memo of day number → ISO string for 1850–2250 (an array indexed by day: faster than a Map).
const CACHE_FROM = dayNumber(1850, 1, 1)
const isoCache = new Array<string | undefined>(dayNumber(2250, 1, 1) - CACHE_FROM).fill(undefined)

/** Day number → 'YYYY-MM-DD' (memoised: the same dates come back again and again). */
export function isoDay(n: number): string {
  const k = n - CACHE_FROM
  const cached = k >= 0 && k < isoCache.length ? isoCache[k] : undefined
  if (cached !== undefined) return cached
  const z = n + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  const s = `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`
  if (k >= 0 && k < isoCache.length) isoCache[k] = s
  return s
}

/**
 * The day someone born on (y, m, d) turns `years` old. Born on 29 February: 1 March in a year
 * without one (same convention as `src/domain/lifecycle.ts`).
 */
export function anniversaryDay(y: number, m: number, d: number, years: number): number {
  const year = y + years
  if (m === 2 && d === 29 && !isLeap(year)) return dayNumber(year, 3, 1)
  return dayNumber(year, m, d)
}
