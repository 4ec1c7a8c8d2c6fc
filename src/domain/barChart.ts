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
}

/** A round scale maximum ≥ max: 1, 2, 5 × 10^n. */
export function niceMax(max: number): number {
  if (max <= 0) return 1
  const pow = 10 ** Math.floor(Math.log10(max))
  for (const m of [1, 2, 5, 10]) if (m * pow >= max) return m * pow
  return 10 * pow
}

export function barChart(series: { label: string; value: number }[], opts: { width?: number; height?: number } = {}): BarChart {
  const width = opts.width ?? 720
  const height = opts.height ?? 240
  const left = 48
  const top = 10
  const bottom = 30
  const plot = height - top - bottom
  const max = niceMax(Math.max(0, ...series.map((s) => s.value)))
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
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ y: Math.round(top + plot - f * plot), value: Math.round(f * max) }))
  return { width, height, max, bars, ticks, baseline: top + plot, left }
}
