import { formatMeasure, type MeasureDefinition } from '../../domain/measures'
import { frenchDate } from '../../domain/parisTime'
import { timeTicks, valueTicks } from '../../domain/chartAxis'

export interface ChartPoint {
  date: string
  value: number
  value2?: number | null
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const num = (v: number) => v.toLocaleString('fr-FR', { maximumFractionDigits: 2, useGrouping: false })
const r1 = (v: number) => Math.round(v * 10) / 10

// Drawn for a phone first (issue 16 §2): 320 units wide, shown at most 480 px wide (application.scss), so that
// 14-unit labels are at least 12 px on a 320 px screen (a 290 px column) and at most 21 px on a desktop.
// The ticks come from chartAxis: their labels cannot collide, whatever the dates and values.
const W = 320
const FONT = 14
/** The widest a digit or «/» can be at FONT, with room to spare (DejaVu Sans: 0.64 em). */
const CHAR = 0.65 * FONT
const GAP = 8

/** The blood pressure's two series, each with its minimum and maximum (the chart's description). */
function pairRange(points: ChartPoint[]): string {
  const sys = points.map((p) => p.value)
  const dia = points.flatMap((p) => (p.value2 != null ? [p.value2] : []))
  const range = (v: number[]) => `minimum ${num(Math.min(...v))}, maximum ${num(Math.max(...v))}`
  return `Systolique : ${range(sys)}.` + (dia.length ? ` Diastolique : ${range(dia)}.` : '')
}

/**
 * A line chart of one measure drawn on the server as SVG: no script, scales with its viewBox,
 * `role="img"` with a `<title>` and a `<desc>` that says what the chart shows (the same values are
 * in the table beside it). Colours have at least 4.5:1 contrast on white, and the two series of the
 * blood pressure also differ by their marker and line style.
 */
export function measureChart(def: MeasureDefinition, points: ChartPoint[], id: string): string {
  const titleId = `${id}-titre`
  const descId = `${id}-desc`
  const sorted = [...points].sort((a, b) => a.date.localeCompare(b.date))
  // The measure's own label, capitalised as users read it everywhere else («Hémoglobine glyquée (HbA1c)»).
  const title = `${def.label} : évolution`
  let desc: string
  if (!sorted.length) desc = 'Aucune mesure enregistrée.'
  else {
    const first = sorted[0]
    const last = sorted[sorted.length - 1]
    const values = sorted.map((p) => p.value)
    desc =
      `${sorted.length} mesure${sorted.length > 1 ? 's' : ''} du ${frenchDate(first.date)} au ${frenchDate(last.date)}, en ${def.unitLong}. ` +
      `Première valeur ${formatMeasure(def, first.value, first.value2)}, dernière valeur ${formatMeasure(def, last.value, last.value2)}` +
      (def.pair ? `. ${pairRange(sorted)}` : `, minimum ${num(Math.min(...values))}, maximum ${num(Math.max(...values))}.`)
  }
  const H = def.pair ? 244 : 220
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="mes-chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${titleId} ${descId}" focusable="false"><title id="${titleId}">${esc(title)}</title><desc id="${descId}">${esc(desc)}</desc>`
  if (!sorted.length) {
    return `${head}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="${FONT}" fill="#0b0c0c">Aucune mesure enregistrée</text></svg>`
  }
  const all = sorted.flatMap((p) => (p.value2 != null ? [p.value, p.value2] : [p.value]))
  // The unit above the value axis; the dates below the plot; the legend of the blood pressure under them.
  const top = 30
  const bottom = def.pair ? 64 : 40
  const plotH = H - top - bottom
  const yt = valueTicks(Math.min(...all), Math.max(...all), plotH, FONT + GAP)
  const yMin = yt[0]
  const yMax = yt[yt.length - 1]
  const left = Math.max(40, Math.ceil(Math.max(...yt.map((v) => num(v).length)) * CHAR + GAP + 4))
  const right = 12
  const plotW = W - left - right
  const t0 = Date.parse(sorted[0].date)
  const t1 = Date.parse(sorted[sorted.length - 1].date)
  const x = (d: string) => r1(left + (t1 === t0 ? plotW / 2 : ((Date.parse(d) - t0) / (t1 - t0)) * plotW))
  const y = (v: number) => r1(top + plotH - ((v - yMin) / (yMax - yMin)) * plotH)
  const parts: string[] = [head, '<g aria-hidden="true">']
  parts.push(`<text x="0" y="${top - 14}" font-size="${FONT}" fill="#0b0c0c">${esc(def.unit)}</text>`)
  for (const v of yt) {
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#b1b4b6" stroke-width="1"/>`)
    parts.push(
      `<text x="${left - GAP}" y="${r1(y(v) + FONT * 0.35)}" text-anchor="end" font-size="${FONT}" fill="#0b0c0c">${esc(num(v))}</text>`,
    )
  }
  // Dates: calendar ticks (days, months or years) whose labels fit side by side, on the same time scale as the points.
  const axis = { left, width: plotW, chartWidth: W, charWidth: CHAR, gap: GAP }
  for (const t of timeTicks(sorted[0].date, sorted[sorted.length - 1].date, axis)) {
    const tx = r1(t.x)
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top + plotH}" y2="${top + plotH + 5}" stroke="#0b0c0c" stroke-width="1"/>`)
    parts.push(`<text x="${tx}" y="${top + plotH + 24}" text-anchor="${t.anchor}" font-size="${FONT}" fill="#0b0c0c">${t.label}</text>`)
  }
  const series = (get: (p: ChartPoint) => number | null | undefined, colour: string, dashed: boolean, square: boolean) => {
    const pts = sorted.filter((p) => get(p) != null).map((p) => [x(p.date), y(get(p)!)] as const)
    if (pts.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="2.5"${dashed ? ' stroke-dasharray="7 4"' : ''} points="${pts.map(([a, b]) => `${a},${b}`).join(' ')}"/>`,
      )
    for (const [a, b] of pts) {
      parts.push(
        square
          ? `<rect x="${a - 4}" y="${b - 4}" width="8" height="8" fill="${colour}"/>`
          : `<circle cx="${a}" cy="${b}" r="4" fill="${colour}"/>`,
      )
    }
  }
  series((p) => p.value, '#1d70b8', false, false)
  if (def.pair) {
    series((p) => p.value2, '#942514', true, true)
    const ly = H - 8
    parts.push(
      `<circle cx="6" cy="${ly - 5}" r="5" fill="#1d70b8"/><text x="18" y="${ly}" font-size="${FONT}" fill="#0b0c0c">Systolique</text>`,
    )
    parts.push(
      `<rect x="140" y="${ly - 10}" width="10" height="10" fill="#942514"/><text x="156" y="${ly}" font-size="${FONT}" fill="#0b0c0c">Diastolique</text>`,
    )
  }
  parts.push('</g></svg>')
  return parts.join('')
}
