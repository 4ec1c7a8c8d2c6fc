import { checkMeasure, formatMeasure, imc, imcBand, MEASURE_BY_TYPE, measuresFor, parseDecimal } from '../../src/domain/measures'
import { ageOn } from '../../src/domain/age'
import { measureChart } from '../../src/features/profile/chart'

const adult = { birthDate: '1968-03-14', today: '2026-11-24' }
const newborn = { birthDate: '2026-11-20', today: '2026-11-24' }

describe('mesures : plages plausibles, unités, dates', () => {
  it.each([
    ['poids', '700', undefined, adult, 'value', 'comprise entre 0,3 et 350 kg'],
    ['poids', '0,5', undefined, newborn, null, ''],
    ['poids', '62,5', undefined, adult, null, ''],
    ['poids', '62.55', undefined, adult, null, ''],
    ['poids', '62,555', undefined, adult, 'value', 'au plus 2 chiffres'],
    ['poids', 'abc', undefined, adult, 'value', 'en chiffres'],
    ['poids', '', undefined, adult, 'value', 'Saisissez la valeur'],
    ['poids', '0,2', undefined, newborn, 'value', 'comprise entre'],
    ['taille', '251', undefined, adult, 'value', 'comprise entre 20 et 250 cm'],
    ['tension', '125', '80', adult, null, ''],
    ['tension', '80', '125', adult, 'value2', 'plus petite que la pression systolique'],
    ['tension', '120', '120', adult, 'value2', 'plus petite'],
    ['tension', '125', '', adult, 'value2', 'Saisissez la pression diastolique'],
    ['tension', '300', '80', adult, 'value', 'comprise entre 50 et 260'],
    ['douleur', '10', undefined, adult, null, ''],
    ['douleur', '11', undefined, adult, 'value', 'comprise entre 0 et 10'],
    ['douleur', '3,5', undefined, adult, 'value', 'nombre entier'],
    ['temperature', '37,2', undefined, adult, null, ''],
    ['temperature', '50', undefined, adult, 'value', 'comprise entre 30 et 45'],
    ['glycemie', '0,95', undefined, adult, null, ''],
    ['hba1c', '6,2', undefined, adult, null, ''],
    ['frequence-cardiaque', '72', undefined, adult, null, ''],
    ['tour-de-taille', '82', undefined, adult, null, ''],
    ['perimetre-cranien', '45,5', undefined, newborn, null, ''],
  ] as const)('%s %s/%s → %s', (type, raw, raw2, who, field, message) => {
    const r = checkMeasure(MEASURE_BY_TYPE[type], { raw, raw2, date: who.today, ...who })
    if (field === null) expect(r.ok).toBe(true)
    else {
      expect(r).toMatchObject({ ok: false, field })
      if (!r.ok) expect(r.message).toContain(message)
    }
  })

  it.each([
    ['1968-03-13', 'date', 'antérieure à la date de naissance'],
    ['1968-03-14', null, ''],
    ['2026-11-24', null, ''],
    ['2026-11-25', 'date', "dans le passé ou aujourd'hui"],
  ])('date de mesure %s', (date, field, message) => {
    const r = checkMeasure(MEASURE_BY_TYPE.poids, { raw: '60', date, ...adult })
    if (field === null) expect(r.ok).toBe(true)
    else expect(r).toMatchObject({ ok: false, field, message: expect.stringContaining(message) })
  })

  it('le périmètre crânien est réservé aux enfants', () => {
    expect(measuresFor('2015-06-02', '2026-11-24').map((m) => m.type)).toContain('perimetre-cranien')
    expect(measuresFor('2008-11-24', '2026-11-24').map((m) => m.type)).not.toContain('perimetre-cranien')
    expect(measuresFor('2008-11-25', '2026-11-24').map((m) => m.type)).toContain('perimetre-cranien')
  })

  it.each([
    ['2000-02-29', '2018-02-28', 17],
    ['2000-02-29', '2018-03-01', 18],
    ['1968-03-14', '2026-03-13', 57],
    ['1968-03-14', '2026-03-14', 58],
  ])('âge : né le %s, le %s → %i ans', (b, d, age) => expect(ageOn(b, d)).toBe(age))

  it.each([
    ['62,5', 62.5],
    [' 1 000,5 ', 1000.5],
    ['1e3', undefined],
    ['', undefined],
    ['12,', undefined],
  ])('parseDecimal(%s) = %s', (raw, v) => expect(parseDecimal(raw)).toBe(v))
})

describe('IMC et tranches adultes', () => {
  it('calcule poids / taille² arrondi au dixième', () => {
    expect(imc(62, 165)).toBe(22.8)
    expect(imc(100, 200)).toBe(25)
  })
  it.each([
    [16.4, 'denutrition'],
    [16.5, 'maigreur'],
    [18.4, 'maigreur'],
    [18.5, 'normale'],
    [24.9, 'normale'],
    [25, 'surpoids'],
    [29.9, 'surpoids'],
    [30, 'obesite-moderee'],
    [35, 'obesite-severe'],
    [39.9, 'obesite-severe'],
    [40, 'obesite-massive'],
  ])('IMC %f → %s', (v, band) => expect(imcBand(v, 40)).toBe(band))
  it('pas de tranche adulte pour un enfant', () => expect(imcBand(15, 11)).toBeUndefined())
  it('affiche en français', () => {
    expect(formatMeasure(MEASURE_BY_TYPE.poids, 62.5)).toBe('62,5 kg')
    expect(formatMeasure(MEASURE_BY_TYPE.tension, 125, 80)).toBe('125/80 mmHg')
  })
})

describe('graphique SVG', () => {
  it('a un rôle, un titre, une description et un point par mesure', () => {
    const svg = measureChart(
      MEASURE_BY_TYPE.poids,
      [
        { date: '2026-01-10', value: 64 },
        { date: '2026-06-10', value: 62.5 },
        { date: '2026-11-10', value: 61 },
      ],
      'graphique-poids',
    )
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 320 220"[^>]*role="img"[^>]*aria-labelledby="graphique-poids-titre graphique-poids-desc"/)
    expect(svg).toContain('<title id="graphique-poids-titre">Poids : évolution</title>')
    expect(svg).toContain('3 mesures du 10 janvier 2026 au 10 novembre 2026, en kilogrammes')
    expect(svg).toContain('minimum 61, maximum 64')
    expect(svg.match(/<circle /g)).toHaveLength(3)
    expect(svg).not.toMatch(/<script/)
  })
  it('deux séries pour la tension, avec légende', () => {
    const svg = measureChart(
      MEASURE_BY_TYPE.tension,
      [
        { date: '2026-01-10', value: 130, value2: 85 },
        { date: '2026-02-10', value: 125, value2: 80 },
      ],
      'g',
    )
    expect(svg.match(/<rect /g)).toHaveLength(3) // two points + the legend
    expect(svg).toContain('Diastolique')
    expect(svg).toContain('dernière valeur 125/80 mmHg')
    // Issue 16 §5: the description gives each series' minimum and maximum.
    expect(svg).toContain('Systolique : minimum 125, maximum 130. Diastolique : minimum 80, maximum 85.')
  })
  it('le titre garde les majuscules du nom de la mesure', () => {
    expect(measureChart(MEASURE_BY_TYPE.hba1c, [], 'g')).toContain('<title id="g-titre">Hémoglobine glyquée (HbA1c) : évolution</title>')
  })
  it('sans mesure, le dit', () => {
    expect(measureChart(MEASURE_BY_TYPE.poids, [], 'g')).toContain('Aucune mesure enregistrée')
  })
})
