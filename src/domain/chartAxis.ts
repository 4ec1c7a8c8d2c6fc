/**
 * Axis ticks of the server-drawn charts, chosen so that their labels cannot collide, whatever the data
 * (issue 16 §2: two points a day apart, ten years of measures, a single value). Pure geometry: the
 * chart gives its size in SVG units and a generous width per character (labels are digits and «/»),
 * and gets back ticks whose label boxes lie inside the chart and at least `gap` apart.
 */

export interface TimeAxis {
  /** Where the plot starts and how wide it is, in the chart's units. */
  left: number
  width: number
  /** The whole chart's width: no label may go past 0 or this. */
  chartWidth: number
  /** The widest a character of a label can be, in the chart's units. */
  charWidth: number
  /** The least space between two labels. */
  gap: number
  /** Days as «dd/mm» (a chart of a few weeks) rather than «dd/mm/yyyy». */
  short?: boolean
}

export type Anchor = 'start' | 'middle' | 'end'

export interface TimeTick {
  /** ISO date (YYYY-MM-DD). */
  date: string
  label: string
  x: number
  anchor: Anchor
  /** The label's box, from its left to its right edge. */
  from: number
  to: number
}

type Unit = 'day' | 'month' | 'year'
interface Step {
  unit: Unit
  n: number
}

/** From the finest to the coarsest: the first one whose labels fit is taken. */
const STEPS: Step[] = [
  { unit: 'day', n: 1 },
  { unit: 'day', n: 2 },
  { unit: 'day', n: 7 },
  { unit: 'day', n: 14 },
  { unit: 'month', n: 1 },
  { unit: 'month', n: 2 },
  { unit: 'month', n: 3 },
  { unit: 'month', n: 6 },
  { unit: 'year', n: 1 },
  { unit: 'year', n: 2 },
  { unit: 'year', n: 5 },
  { unit: 'year', n: 10 },
  { unit: 'year', n: 20 },
  { unit: 'year', n: 50 },
  { unit: 'year', n: 100 },
]

const DAY = 86_400_000
const dayNumber = (iso: string) => Math.round(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / DAY)
const isoOf = (day: number) => new Date(day * DAY).toISOString().slice(0, 10)

function label(iso: string, unit: Unit, short = false): string {
  const [y, m, d] = iso.split('-')
  if (unit === 'day') return short ? `${d}/${m}` : `${d}/${m}/${y}`
  if (unit === 'month') return `${m}/${y}`
  return y
}

/** The step's calendar dates inside [start, end] (days since 1970): every n days (weeks from a Monday), the first of every n months, the 1st of January of every n years. */
function datesOf(start: number, end: number, step: Step, limit: number): number[] {
  const out: number[] = []
  if (step.unit === 'day') {
    // 1970-01-05 was a Monday: weeks and fortnights start on Mondays.
    const origin = step.n >= 7 ? 4 : 0
    let d = start + ((((origin - start) % step.n) + step.n) % step.n)
    for (; d <= end && out.length <= limit; d += step.n) out.push(d)
    return out
  }
  const first = new Date(start * DAY)
  let y = first.getUTCFullYear()
  let m = step.unit === 'month' ? first.getUTCMonth() : 0
  if (step.unit === 'month') m = Math.floor(m / step.n) * step.n
  else y = Math.floor(y / step.n) * step.n
  while (out.length <= limit) {
    const d = Math.round(Date.UTC(y, m, 1) / DAY)
    if (d > end) break
    if (d >= start) out.push(d)
    if (step.unit === 'month') {
      m += step.n
      if (m >= 12) {
        y += Math.floor(m / 12)
        m %= 12
      }
    } else y += step.n
  }
  return out
}

/** Places a label at x: centred, or starting or ending at its point when centred it would leave the chart. */
function place(x: number, text: string, axis: TimeAxis): Pick<TimeTick, 'anchor' | 'from' | 'to'> | null {
  const w = text.length * axis.charWidth
  if (w > axis.chartWidth) return null
  if (x - w / 2 < 0) return x + w <= axis.chartWidth ? { anchor: 'start', from: x, to: x + w } : null
  if (x + w / 2 > axis.chartWidth) return x - w >= 0 ? { anchor: 'end', from: x - w, to: x } : null
  return { anchor: 'middle', from: x - w / 2, to: x + w / 2 }
}

/** The ticks of a time axis from `start` to `end` (ISO dates; the same date: one tick in the middle). */
export function timeTicks(start: string, end: string, axis: TimeAxis): TimeTick[] {
  const s = dayNumber(start)
  const e = Math.max(s, dayNumber(end))
  const xOf = (d: number) => (e === s ? axis.left + axis.width / 2 : axis.left + ((d - s) / (e - s)) * axis.width)
  // At most as many labels as fit side by side, whatever their place.
  const most = Math.max(1, Math.floor((axis.chartWidth + axis.gap) / (4 * axis.charWidth + axis.gap)))
  for (const step of e === s ? [STEPS[0]] : STEPS) {
    const days = datesOf(s, e, step, most)
    if (days.length === 0 || days.length > most) continue
    const ticks: TimeTick[] = []
    let fits = true
    for (const d of days) {
      const date = isoOf(d)
      const text = label(date, step.unit, axis.short)
      const x = xOf(d)
      const box = place(x, text, axis)
      if (!box || (ticks.length && box.from - ticks[ticks.length - 1].to < axis.gap)) {
        fits = false
        break
      }
      ticks.push({ date, label: text, x, ...box })
    }
    if (fits) return ticks
  }
  // Nothing fits (a chart too narrow for two labels): the first date alone.
  const date = isoOf(s)
  const text = label(date, 'day', axis.short)
  const box = place(xOf(s), text, axis)
  return box ? [{ date, label: text, x: xOf(s), ...box }] : []
}

/**
 * Round values for a value axis from `min` to `max` (steps of 1, 2, 2.5 or 5 × 10^n), at most as many as
 * fit in `height` with `spacing` between two labels. The first value ≤ min, the last ≥ max.
 */
export function valueTicks(min: number, max: number, height: number, spacing: number): number[] {
  const most = Math.max(2, Math.floor(height / spacing) + 1)
  for (let count = Math.min(4, most - 1); count >= 1; count--) {
    const out = niceTicks(min, max, count)
    if (out.length <= most) return out
  }
  return niceTicks(min, max, 1)
}

function niceTicks(min: number, max: number, count: number): number[] {
  const span = max - min || Math.abs(max) || 1
  const raw = span / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw * (1 - 1e-9)) ?? raw
  const lo = Math.floor(min / step + 1e-9) * step
  const hi = Math.ceil(max / step - 1e-9) * step
  const out: number[] = []
  for (let v = lo; v <= hi + step / 2; v += step) out.push(Math.round(v * 1e6) / 1e6)
  if (out.length === 1) out.push(Math.round((out[0] + step) * 1e6) / 1e6)
  return out
}
