import { anniversaryDay, dayNumber, isoDay, parseDay } from './calendar'
import { RULES_2026 } from './rules-2026'
import type { AgeRule, PreventionRecord, PreventionRule, PreventionRuleSet, Recommendation, SeasonRule } from './types'

/** Every year's rule set; the person's list uses the set of the current year (or the latest before it). */
export const RULE_SETS: PreventionRuleSet[] = [RULES_2026]

export function ruleSetFor(year: number): PreventionRuleSet {
  let best = RULE_SETS[0]
  for (const s of RULE_SETS) if (s.year <= year && s.year >= best.year) best = s
  return best
}

export function findRule(id: string, year: number): PreventionRule | undefined {
  return ruleSetFor(year).rules.find((r) => r.id === id)
}

/** A past window stays on the list (as «Réalisé» or «Non réalisé») this many years after it ended, when no window is open. */
export const LOOK_BACK_YEARS = 3
/** A window that has not started yet is listed («À planifier») when it starts within this many days and none is open. */
export const LOOK_AHEAD_DAYS = 365
/** A child sees every window that starts before this birthday (the exams and vaccines of childhood ahead). */
export const CHILDHOOD_UNTIL_AGE = 18

interface Compiled {
  rule: PreventionRule
  done: Set<string>
  windows: (number | null)[]
}

const compiled = new WeakMap<PreventionRuleSet, Compiled[]>()

function compile(set: PreventionRuleSet): Compiled[] {
  let c = compiled.get(set)
  if (!c) {
    c = set.rules.map((rule) => ({
      rule,
      done: new Set(rule.doneBy),
      windows: rule.season ? [] : rule.ages.map((_, i) => (Array.isArray(rule.window) ? rule.window[i] : rule.window)),
    }))
    compiled.set(set, c)
  }
  return c
}

/** «Nothing found» (day numbers are negative before 1970). */
const NONE = -1e9

/**
 * The index of the first record (by date) of one of these codes within [from, to) (to = Infinity for
 * an open window), -1 if none: done ones (`wantPlanned` false) or booked ones (true).
 */
function firstWithin(recs: Records, wantPlanned: boolean, done: Set<string>, from: number, to: number): number {
  const { days, codes, planned } = recs
  let best = -1
  for (let i = 0; i < days.length; i++) {
    const d = days[i]
    if (d >= from && d < to && (planned ? planned[i] === wantPlanned : !wantPlanned) && done.has(codes[i]) && (best < 0 || d < days[best]))
      best = i
  }
  return best
}

/** Day number + whole years (29 February → 1 March in a year without one). */
function addYears(day: number, years: number): number {
  const iso = isoDay(day)
  const y = Number(iso.slice(0, 4))
  return anniversaryDay(y, Number(iso.slice(5, 7)), Number(iso.slice(8, 10)), years)
}

interface Records {
  days: number[]
  codes: string[]
  /** Present only when some record is a booked appointment. */
  planned: boolean[] | undefined
  list: readonly PreventionRecord[]
}

/** One window's item: «Réalisé» when done in it, else «Planifié» when booked from today on, else `otherwise`. */
function windowItem(
  rule: PreventionRule,
  done: Set<string>,
  recs: Records,
  t: number,
  from: number,
  to: number,
  otherwise: 'À planifier' | 'Non réalisé',
  shownFrom = from,
): Recommendation {
  const d = firstWithin(recs, false, done, from, to)
  if (d >= 0) return item(rule, shownFrom, to, 'Réalisé', recs, d)
  if (recs.planned && t < to) {
    const p = firstWithin(recs, true, done, from > t ? from : t, to)
    if (p >= 0) return item(rule, shownFrom, to, 'Planifié', recs, p)
  }
  return item(rule, shownFrom, to, otherwise, recs, -1)
}

/** `at`: the index of the record that fulfils or plans it (-1: none). */
function item(
  rule: PreventionRule,
  from: number,
  toExclusive: number,
  status: Recommendation['status'],
  recs: Records,
  at: number,
): Recommendation {
  const r: Recommendation = {
    ruleId: rule.id,
    kind: rule.kind,
    label: rule.label,
    agendaTitle: rule.agendaTitle,
    from: isoDay(from),
    to: toExclusive === Infinity ? null : isoDay(toExclusive - 1),
    status,
    doneOn: undefined,
    source: rule.source,
  }
  if (at >= 0) {
    if (status === 'Planifié') r.plannedOn = isoDay(recs.days[at])
    else r.doneOn = isoDay(recs.days[at])
    const via = recs.list[at].via
    if (via) r.via = via
  }
  return r
}

/**
 * «Examens et vaccins recommandés» (SPEC §8): for a person (birth date, sex), their records
 * (vaccinations, reimbursed acts and honoured appointments, and booked appointments marked
 * `planned`), on `today`, the list of recommendations with their window and status. Pure and fast
 * (day numbers, no Date): the daily notices job runs it for every space.
 *
 * For each rule: the open window if there is one («Réalisé» with its date when a matching record
 * falls in it; «Planifié» with its date when an appointment is booked in it; otherwise «À
 * planifier»); else the last window if it ended less than LOOK_BACK_YEARS ago («Réalisé» or «Non
 * réalisé»). Then what comes next: once the open window is «Réalisé», the next one (a periodic
 * screening's next window opening `interval` years after it was done); otherwise the next one if it
 * starts within LOOK_AHEAD_DAYS. A child (under CHILDHOOD_UNTIL_AGE) sees every window ahead until then.
 */
export function recommendations(
  birthDate: string,
  sex: string, // 'F', 'M' or unknown
  records: readonly PreventionRecord[],
  today: string,
  set?: PreventionRuleSet,
): Recommendation[] {
  const by =
    (birthDate.charCodeAt(0) - 48) * 1000 +
    (birthDate.charCodeAt(1) - 48) * 100 +
    (birthDate.charCodeAt(2) - 48) * 10 +
    (birthDate.charCodeAt(3) - 48)
  const bm = (birthDate.charCodeAt(5) - 48) * 10 + (birthDate.charCodeAt(6) - 48)
  const bd = (birthDate.charCodeAt(8) - 48) * 10 + (birthDate.charCodeAt(9) - 48)
  const ty =
    (today.charCodeAt(0) - 48) * 1000 + (today.charCodeAt(1) - 48) * 100 + (today.charCodeAt(2) - 48) * 10 + (today.charCodeAt(3) - 48)
  const t = parseDay(today)
  const rules = compile(set ?? ruleSetFor(ty))
  // Completed years on `today` (29 February: the birthday is 1 March in a year without one).
  const age = ty - by - (t < anniversaryDay(by, bm, bd, ty - by) ? 1 : 0)
  const days = new Array<number>(records.length)
  const codes = new Array<string>(records.length)
  let planned: boolean[] | undefined
  for (let i = 0; i < records.length; i++) {
    days[i] = parseDay(records[i].date)
    codes[i] = records[i].code
    if (records[i].planned) {
      if (!planned) planned = new Array<boolean>(records.length).fill(false)
      planned[i] = true
    }
  }
  const recs: Records = { days, codes, planned, list: records }
  // How far ahead windows are listed: a year, or for a child every window of childhood.
  const horizon = age < CHILDHOOD_UNTIL_AGE ? anniversaryDay(by, bm, bd, CHILDHOOD_UNTIL_AGE) : t + LOOK_AHEAD_DAYS
  const out: Recommendation[] = []
  for (let r = 0; r < rules.length; r++) {
    const { rule, done, windows } = rules[r]
    if (rule.sex && rule.sex !== sex) continue
    if (rule.season) {
      season(rule, done, by, bm, bd, ty, t, recs, out)
      continue
    }
    ageRule(rule, done, windows, by, bm, bd, age, t, horizon, recs, out)
  }
  return out
}

function ageRule(
  rule: AgeRule,
  done: Set<string>,
  windows: (number | null)[],
  by: number,
  bm: number,
  bd: number,
  age: number,
  t: number,
  horizon: number,
  recs: Records,
  out: Recommendation[],
) {
  const ages = rule.ages
  // The last occurrence that has started: its age is at most the person's age.
  let i = -1
  while (i + 1 < ages.length && ages[i + 1] <= age) i++
  // Once the open window is done, the next one is always shown; a periodic screening's opens `interval` after.
  let doneOn = NONE
  if (i >= 0) {
    const w = windows[i]
    const from = anniversaryDay(by, bm, bd, ages[i])
    const to = w === null ? Infinity : anniversaryDay(by, bm, bd, ages[i] + w)
    if (t < to) {
      const current = windowItem(rule, done, recs, t, from, to, 'À planifier')
      out.push(current)
      if (current.status !== 'Réalisé') return
      doneOn = parseDay(current.doneOn!)
    } else if (w !== null && t < anniversaryDay(by, bm, bd, ages[i] + w + LOOK_BACK_YEARS))
      out.push(windowItem(rule, done, recs, t, from, to, 'Non réalisé'))
  }
  for (let k = i + 1; k < ages.length; k++) {
    const w = windows[k]
    let from = anniversaryDay(by, bm, bd, ages[k])
    const to = w === null ? Infinity : anniversaryDay(by, bm, bd, ages[k] + w)
    if (doneOn !== NONE && k === i + 1) {
      if (rule.interval) {
        const again = addYears(doneOn, rule.interval)
        if (again > from) from = again
        if (from >= to) continue
      }
    } else if (from > horizon) break
    out.push(windowItem(rule, done, recs, t, from, to, 'À planifier'))
    // An adult sees the next window only; a child every window of childhood.
    if (horizon - t <= LOOK_AHEAD_DAYS) break
  }
}

function season(
  rule: SeasonRule,
  done: Set<string>,
  by: number,
  bm: number,
  bd: number,
  ty: number,
  t: number,
  recs: Records,
  out: Recommendation[],
) {
  const { fromAge, start, end } = rule.season
  const eligibleFrom = anniversaryDay(by, bm, bd, fromAge)
  // The season that contains today, or the next one.
  let startYear = ty
  let from = dayNumber(startYear, start[0], start[1])
  if (t < from) {
    const prevFrom = dayNumber(ty - 1, start[0], start[1])
    const prevTo = dayNumber(end[0] < start[0] ? ty : ty - 1, end[0], end[1]) + 1
    if (t >= prevFrom && t < prevTo) {
      startYear = ty - 1
      from = prevFrom
    }
  }
  const to = dayNumber(end[0] < start[0] ? startYear + 1 : startYear, end[0], end[1]) + 1
  // Eligible when the age is reached before the end of the season.
  if (eligibleFrom >= to) return
  if (from - t > LOOK_AHEAD_DAYS) return
  const windowFrom = eligibleFrom > from ? eligibleFrom : from
  out.push(windowItem(rule, done, recs, t, from, to, 'À planifier', windowFrom))
}
