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

/** The first record (by date) of one of these codes within [from, to) (to = Infinity for an open window). */
/** «Nothing found» (day numbers are negative before 1970). */
const NONE = -1e9

function doneWithin(days: number[], codes: string[], done: Set<string>, from: number, to: number): number {
  let best = NONE
  for (let i = 0; i < days.length; i++) {
    const d = days[i]
    if (d >= from && d < to && done.has(codes[i]) && (best === NONE || d < best)) best = d
  }
  return best
}

function item(rule: PreventionRule, from: number, toExclusive: number, status: Recommendation['status'], doneOn: number): Recommendation {
  return {
    ruleId: rule.id,
    kind: rule.kind,
    label: rule.label,
    agendaTitle: rule.agendaTitle,
    from: isoDay(from),
    to: toExclusive === Infinity ? null : isoDay(toExclusive - 1),
    status,
    doneOn: doneOn !== NONE ? isoDay(doneOn) : undefined,
    source: rule.source,
  }
}

/**
 * «Examens et vaccins recommandés» (SPEC §8): for a person (birth date, sex), their vaccinations and
 * honoured acts, on `today`, the list of recommendations with their window and status. Pure and
 * fast (day numbers, no Date): the daily notices job runs it for every space.
 *
 * For each rule: the open window if there is one («Réalisé» when a matching record falls in it,
 * otherwise «À planifier»); else the last window if it ended less than LOOK_BACK_YEARS ago
 * («Réalisé» or «Non réalisé»), and the next one if it starts within LOOK_AHEAD_DAYS («À planifier»).
 */
export function recommendations(
  birthDate: string,
  sex: 'F' | 'M' | string,
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
  for (let i = 0; i < records.length; i++) {
    days[i] = parseDay(records[i].date)
    codes[i] = records[i].code
  }
  const out: Recommendation[] = []
  for (let r = 0; r < rules.length; r++) {
    const { rule, done, windows } = rules[r]
    if (rule.sex && rule.sex !== sex) continue
    if (rule.season) {
      season(rule, done, by, bm, bd, ty, t, days, codes, out)
      continue
    }
    ageRule(rule, done, windows, by, bm, bd, age, t, days, codes, out)
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
  days: number[],
  codes: string[],
  out: Recommendation[],
) {
  const ages = rule.ages
  // The last occurrence that has started: its age is at most the person's age.
  let i = -1
  while (i + 1 < ages.length && ages[i + 1] <= age) i++
  if (i >= 0) {
    const w = windows[i]
    const from = anniversaryDay(by, bm, bd, ages[i])
    const to = w === null ? Infinity : anniversaryDay(by, bm, bd, ages[i] + w)
    const d = doneWithin(days, codes, done, from, to)
    if (t < to) {
      out.push(item(rule, from, to, d !== NONE ? 'Réalisé' : 'À planifier', d))
      return
    }
    if (t < anniversaryDay(by, bm, bd, ages[i] + (w as number) + LOOK_BACK_YEARS))
      out.push(item(rule, from, to, d !== NONE ? 'Réalisé' : 'Non réalisé', d))
  }
  if (i + 1 < ages.length) {
    const from = anniversaryDay(by, bm, bd, ages[i + 1])
    if (from - t <= LOOK_AHEAD_DAYS) {
      const w = windows[i + 1]
      const to = w === null ? Infinity : anniversaryDay(by, bm, bd, ages[i + 1] + w)
      const d = doneWithin(days, codes, done, from, to)
      out.push(item(rule, from, to, d !== NONE ? 'Réalisé' : 'À planifier', d))
    }
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
  days: number[],
  codes: string[],
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
  const d = doneWithin(days, codes, done, from, to)
  out.push(item(rule, windowFrom, to, d !== NONE ? 'Réalisé' : 'À planifier', d))
}
