import { formatMeasure, type MeasureDefinition } from '../../domain/measures'
import { frenchDate } from '../../domain/parisTime'

export interface ChartPoint {
  date: string
  value: number
  value2?: number | null
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const num = (v: number) => v.toLocaleString('fr-FR', { maximumFractionDigits: 2, useGrouping: false })
const r1 = (v: number) => Math.round(v * 10) / 10

const W = 640
const H = 300
const PAD = { left: 64, right: 48, top: 20, bottom: 56 }

/** Nice round steps for the vertical axis. */
function ticks(min: number, max: number, count = 5): number[] {
  const span = max - min || Math.abs(max) || 1
  const raw = span / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw
  const lo = Math.floor(min / step) * step
  const hi = Math.ceil(max / step) * step
  const out: number[] = []
  for (let v = lo; v <= hi + step / 2; v += step) out.push(Math.round(v * 1e6) / 1e6)
  return out
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
  const title = `Évolution : ${def.label.toLowerCase()}`
  let desc: string
  if (!sorted.length) desc = 'Aucune mesure enregistrée.'
  else {
    const first = sorted[0]
    const last = sorted[sorted.length - 1]
    const values = sorted.map((p) => p.value)
    desc =
      `${sorted.length} mesure${sorted.length > 1 ? 's' : ''} du ${frenchDate(first.date)} au ${frenchDate(last.date)}, en ${def.unitLong}. ` +
      `Première valeur ${formatMeasure(def, first.value, first.value2)}, dernière valeur ${formatMeasure(def, last.value, last.value2)}` +
      (def.pair ? '.' : `, minimum ${num(Math.min(...values))}, maximum ${num(Math.max(...values))}.`)
  }
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="mes-chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${titleId} ${descId}" focusable="false"><title id="${titleId}">${esc(title)}</title><desc id="${descId}">${esc(desc)}</desc>`
  if (!sorted.length) {
    return `${head}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="16" fill="#0b0c0c">Aucune mesure enregistrée</text></svg>`
  }
  const all = sorted.flatMap((p) => (p.value2 != null ? [p.value, p.value2] : [p.value]))
  const yt = ticks(Math.min(...all), Math.max(...all))
  const yMin = yt[0]
  const yMax = yt[yt.length - 1] === yMin ? yMin + 1 : yt[yt.length - 1]
  const t0 = Date.parse(sorted[0].date)
  const t1 = Date.parse(sorted[sorted.length - 1].date)
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const x = (d: string) => r1(PAD.left + (t1 === t0 ? plotW / 2 : ((Date.parse(d) - t0) / (t1 - t0)) * plotW))
  const y = (v: number) => r1(PAD.top + plotH - ((v - yMin) / (yMax - yMin)) * plotH)
  const parts: string[] = [head, '<g aria-hidden="true">']
  for (const v of yt) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="#b1b4b6" stroke-width="1"/>`)
    parts.push(`<text x="${PAD.left - 8}" y="${y(v) + 5}" text-anchor="end" font-size="16" fill="#0b0c0c">${esc(num(v))}</text>`)
  }
  parts.push(
    `<text x="14" y="${PAD.top + plotH / 2}" font-size="14" fill="#0b0c0c" transform="rotate(-90 14 ${PAD.top + plotH / 2})" text-anchor="middle">${esc(def.unit)}</text>`,
  )
  // Date labels: the first, the last, and one in the middle when there is room.
  const labelled = sorted.length > 2 ? [sorted[0], sorted[Math.floor(sorted.length / 2)], sorted[sorted.length - 1]] : sorted
  const seen = new Set<string>()
  labelled.forEach((p, i) => {
    if (seen.has(p.date)) return
    seen.add(p.date)
    const [yy, mm, dd] = p.date.split('-')
    // The first label starts at its point, the last one ends at its point: neither is cut.
    const anchor = labelled.length > 1 && i === 0 ? 'start' : labelled.length > 1 && i === labelled.length - 1 ? 'end' : 'middle'
    parts.push(
      `<text x="${x(p.date)}" y="${H - PAD.bottom + 24}" text-anchor="${anchor}" font-size="16" fill="#0b0c0c">${dd}/${mm}/${yy}</text>`,
    )
  })
  const series = (get: (p: ChartPoint) => number | null | undefined, colour: string, dashed: boolean, square: boolean) => {
    const pts = sorted.filter((p) => get(p) != null).map((p) => [x(p.date), y(get(p)!)] as const)
    if (pts.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="3"${dashed ? ' stroke-dasharray="8 5"' : ''} points="${pts.map(([a, b]) => `${a},${b}`).join(' ')}"/>`,
      )
    for (const [a, b] of pts) {
      parts.push(
        square
          ? `<rect x="${a - 5}" y="${b - 5}" width="10" height="10" fill="${colour}"/>`
          : `<circle cx="${a}" cy="${b}" r="5" fill="${colour}"/>`,
      )
    }
  }
  series((p) => p.value, '#1d70b8', false, false)
  if (def.pair) {
    series((p) => p.value2, '#942514', true, true)
    const ly = H - 12
    parts.push(
      `<circle cx="${PAD.left + 6}" cy="${ly - 5}" r="5" fill="#1d70b8"/><text x="${PAD.left + 18}" y="${ly}" font-size="14" fill="#0b0c0c">Systolique</text>`,
    )
    parts.push(
      `<rect x="${PAD.left + 130}" y="${ly - 10}" width="10" height="10" fill="#942514"/><text x="${PAD.left + 146}" y="${ly}" font-size="14" fill="#0b0c0c">Diastolique</text>`,
    )
  }
  parts.push('</g></svg>')
  return parts.join('')
}
