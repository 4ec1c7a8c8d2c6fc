import { bilanOffered, cleanAnswers, missingRequired, visibleSections } from '../../src/domain/questionnaires/types'
import { HABITUDES_DE_VIE_2026 } from '../../src/domain/questionnaires/habitudes-de-vie-2026'
import { BILAN_PREVENTION_2026 } from '../../src/domain/questionnaires/bilan-prevention-2026'
import { mayWriteDirectives } from '../../src/domain/profileSections'

describe('Mon bilan prévention : proposé aux âges clés', () => {
  // Born on 2000-06-15: the day before and the day of each boundary birthday.
  it.each([
    ['2018-06-14', false], // 17
    ['2018-06-15', true], // 18
    ['2025-06-15', true], // 25
    ['2026-06-14', true], // still 25
    ['2026-06-15', false], // 26
    ['2045-06-14', false], // 44
    ['2045-06-15', true], // 45
    ['2050-06-15', true], // 50
    ['2051-06-15', false], // 51
    ['2059-06-14', false], // 58
    ['2060-06-15', true], // 60
    ['2065-06-15', true], // 65
    ['2066-06-15', false], // 66
    ['2070-06-15', true], // 70
    ['2075-06-15', true], // 75
    ['2076-06-15', false], // 76
  ])('le %s : %s', (today, offered) => expect(bilanOffered('2000-06-15', today)).toBe(offered))
  it('29 février : 18 ans le 1er mars les années non bissextiles', () => {
    expect(bilanOffered('2008-02-29', '2026-02-28')).toBe(false)
    expect(bilanOffered('2008-02-29', '2026-03-01')).toBe(true)
  })
})

describe('Habitudes de vie : tabac et alcool à partir de 15 ans', () => {
  const ids = (birth: string, today: string) =>
    visibleSections(HABITUDES_DE_VIE_2026, birth, today).flatMap((s) => s.questions.map((q) => q.id))
  it.each([
    ['2011-11-25', false], // 14 the day before
    ['2011-11-24', true], // 15 today
    ['1968-03-14', true],
  ])('né le %s → tabac et alcool : %s', (birth, shown) => {
    const q = ids(birth, '2026-11-24')
    expect(q.includes('tabac')).toBe(shown)
    expect(q.includes('alcool')).toBe(shown)
    expect(q).toContain('sommeil-heures')
  })
  it('ne garde que les réponses permises aux questions visibles', () => {
    const a = cleanAnswers(HABITUDES_DE_VIE_2026, '2015-06-02', '2026-11-24', {
      tabac: 'oui',
      'sommeil-heures': '6-8',
      'ecrans-heures': 'beaucoup',
      regime: '  sans gluten ',
    })
    expect(a).toEqual({ 'sommeil-heures': '6-8', regime: 'sans gluten' })
  })
  it('liste les questions obligatoires sans réponse', () => {
    const missing = missingRequired(BILAN_PREVENTION_2026, '1980-01-01', '2026-11-24', { 'etat-general': 'bon' })
    expect(missing.map((m) => m.id)).toContain('tabac')
    expect(missing.map((m) => m.id)).not.toContain('etat-general')
    expect(missing.map((m) => m.id)).not.toContain('sujets')
  })
})

describe('directives anticipées : réservées aux majeurs', () => {
  it.each([
    [17, false],
    [18, true],
    [80, true],
  ])('%i ans → %s', (age, ok) => expect(mayWriteDirectives(age)).toBe(ok))
})
