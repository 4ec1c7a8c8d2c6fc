import { timeTicks, valueTicks, type TimeAxis, type TimeTick } from '../../src/domain/chartAxis'

// The measure charts' geometry (src/features/profile/chart.ts): 320 units wide, 14-unit labels.
const CHART: TimeAxis = { left: 56, width: 252, chartWidth: 320, charWidth: 9.1, gap: 8 }

const addDays = (iso: string, n: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

/** What must hold for any data: boxes inside the chart, in order, apart, and matching their anchor and text. */
function expectNoCollision(ticks: TimeTick[], axis: TimeAxis, start: string, end: string) {
  expect(ticks.length).toBeGreaterThanOrEqual(1)
  ticks.forEach((t, i) => {
    expect(t.from).toBeGreaterThanOrEqual(-1e-9)
    expect(t.to).toBeLessThanOrEqual(axis.chartWidth + 1e-9)
    expect(t.to - t.from).toBeCloseTo(t.label.length * axis.charWidth, 6)
    const x = t.anchor === 'start' ? t.from : t.anchor === 'end' ? t.to : (t.from + t.to) / 2
    expect(x).toBeCloseTo(t.x, 6)
    expect(t.x).toBeGreaterThanOrEqual(axis.left - 1e-9)
    expect(t.x).toBeLessThanOrEqual(axis.left + axis.width + 1e-9)
    expect(t.date >= start && t.date <= end).toBe(true)
    if (i > 0) {
      expect(t.date > ticks[i - 1].date).toBe(true)
      expect(t.from - ticks[i - 1].to).toBeGreaterThanOrEqual(axis.gap - 1e-9)
    }
  })
}

describe('axes des graphiques : des étiquettes qui ne se chevauchent jamais', () => {
  it('deux mesures à un jour d’écart : deux dates, la seconde finit à son point (centrée, elle sortirait du graphique)', () => {
    const ticks = timeTicks('2026-03-14', '2026-03-15', CHART)
    expect(ticks.map((t) => [t.label, t.anchor])).toEqual([
      ['14/03/2026', 'middle'],
      ['15/03/2026', 'end'],
    ])
    expect(ticks[0].x).toBe(CHART.left)
    expect(ticks[1].x).toBe(CHART.left + CHART.width)
    expectNoCollision(ticks, CHART, '2026-03-14', '2026-03-15')
    // Closer to the edge, the first one starts at its point.
    expect(timeTicks('2026-03-14', '2026-03-15', { ...CHART, left: 30, width: 278 })[0].anchor).toBe('start')
  })

  it('une seule date : une étiquette au milieu', () => {
    const ticks = timeTicks('2026-03-14', '2026-03-14', CHART)
    expect(ticks).toEqual([expect.objectContaining({ label: '14/03/2026', anchor: 'middle', x: CHART.left + CHART.width / 2 })])
  })

  it('des mois puis des années quand la période s’allonge', () => {
    expect(timeTicks('2025-01-10', '2025-12-20', CHART).every((t) => /^\d\d\/\d{4}$/.test(t.label))).toBe(true)
    const years = timeTicks('2005-06-01', '2026-11-24', CHART)
    expect(years.every((t) => /^\d{4}$/.test(t.label))).toBe(true)
    expect(years.length).toBeGreaterThanOrEqual(2)
  })

  it('pour toute période de 0 à 60 ans et toute largeur de graphique, aucune étiquette ne sort ni n’en touche une autre', () => {
    // A deterministic pseudo-random walk over start dates, spans and widths (no flaky seeds).
    let seed = 42
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const spans = [
      0, 1, 2, 3, 5, 6, 7, 8, 13, 14, 15, 27, 28, 29, 30, 31, 45, 59, 60, 61, 89, 90, 120, 180, 364, 365, 366, 400, 730, 1000, 1826, 3653,
      7305, 21915,
    ]
    const widths = [160, 200, 240, 320, 480, 640, 720]
    let cases = 0
    for (const span of spans)
      for (const chartWidth of widths)
        for (let k = 0; k < 6; k++) {
          const start = addDays('1990-01-01', Math.floor(rand() * 13_000))
          const end = addDays(start, span)
          const left = 40 + Math.floor(rand() * 30)
          const axis: TimeAxis = { left, width: chartWidth - left - 12, chartWidth, charWidth: 9.1, gap: 8 }
          expectNoCollision(timeTicks(start, end, axis), axis, start, end)
          cases++
        }
    expect(cases).toBe(spans.length * widths.length * 6)
  })

  it('l’axe des valeurs : des valeurs rondes qui couvrent les mesures, assez espacées pour leur texte', () => {
    expect(valueTicks(62, 80, 150, 22)).toEqual([60, 65, 70, 75, 80])
    for (const [min, max] of [
      [0, 10],
      [0.5, 300],
      [36.2, 36.2],
      [4.9, 6.1],
      [70, 135],
      [1.02, 1.31],
      [-3, 7],
    ]) {
      for (const height of [60, 100, 150, 220]) {
        const ticks = valueTicks(min, max, height, 22)
        expect(ticks[0]).toBeLessThanOrEqual(min)
        expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(max)
        expect(ticks.length).toBeGreaterThanOrEqual(2)
        // Spacing between two labels, in the chart's units, never less than asked (for any height ≥ one spacing).
        expect(height / (ticks.length - 1)).toBeGreaterThanOrEqual(22)
      }
    }
  })
})
