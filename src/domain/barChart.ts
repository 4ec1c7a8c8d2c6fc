import { timeTicks, valueTicks, type TimeTick } from './chartAxis'

/**
 * A bar chart drawn on the server (SVG, no script): pure geometry from a series of (label, value).
 * The template adds <title>, <desc> and the same data as a table.
 */
export interface Bar {
  label: string
  value: number
  x: number
  y: number
  width: number
  height: number
}

export interface BarChart {
  width: number
  height: number
  max: number
  bars: Bar[]
  /** Horizontal grid lines with their value. */
  ticks: { y: number; value: number }[]
  baseline: number
  left: number
  /** Labels under the bars when their labels are ISO dates: calendar ticks that cannot collide (chartAxis). */
  dateLabels: TimeTick[]
  fontSize: number
}

/** A round scale maximum ≥ max: 1, 2, 5 × 10^n. */
export function niceMax(max: number): number {
  if (max <= 0) return 1
  const pow = 10 ** Math.floor(Math.log10(max))
  for (const m of [1, 2, 5, 10]) if (m * pow >= max) return m * pow
  return 10 * pow
}

/**
 * Drawn for a phone first (issue 16 §2): 320 units wide by default, with 14-unit labels, so that shown across a
 * 320 px screen they stay at least 12 px.
 */
export function barChart(
  series: { label: string; value: number }[],
  opts: { width?: number; height?: number; fontSize?: number } = {},
): BarChart {
  const width = opts.width ?? 320
  const height = opts.height ?? 200
  const fontSize = opts.fontSize ?? 14
  const left = 48
  const top = 10
  const bottom = 16 + fontSize * 2
  const plot = height - top - bottom
  // Round values far enough apart for their labels (no «0, 0, 1, 1, 1» for a small maximum).
  const values = valueTicks(0, Math.max(1, ...series.map((s) => s.value)), plot, fontSize + 8)
  const max = values[values.length - 1]
  const slot = series.length ? (width - left - 10) / series.length : 0
  const bars = series.map((s, i) => {
    const h = Math.round((s.value / max) * plot)
    return {
      label: s.label,
      value: s.value,
      x: Math.round(left + i * slot + slot * 0.15),
      y: top + plot - h,
      width: Math.max(1, Math.round(slot * 0.7)),
      height: h,
    }
  })
  const ticks = values.map((v) => ({ y: Math.round(top + plot - (v / max) * plot), value: v }))
  const isoDates = series.length > 0 && series.every((s) => /^\d{4}-\d{2}-\d{2}$/.test(s.label))
  const centre = (b: Bar) => b.x + b.width / 2
  const dateLabels = isoDates
    ? timeTicks(series[0].label, series[series.length - 1].label, {
        left: centre(bars[0]),
        width: centre(bars[bars.length - 1]) - centre(bars[0]),
        chartWidth: width,
        charWidth: 0.65 * fontSize,
        gap: 8,
        short: true,
      })
    : []
  return { width, height, max, bars, ticks, baseline: top + plot, left, dateLabels, fontSize }
}
