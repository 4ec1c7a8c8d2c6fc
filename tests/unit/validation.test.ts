import { addError, checkDate, compactSummary, dateParts, emptyErrors, SUMMARY_MAX_LISTED } from '../../src/validation'
import { frenchDate } from '../../src/domain/parisTime'

const today = new Date('2026-11-24T12:00:00Z')

describe('dates saisies en trois champs', () => {
  it.each([
    [{ day: '14', month: '3', year: '1968' }, '1968-03-14'],
    [{ day: '29', month: '2', year: '2024' }, '2024-02-29'],
    [{ day: '1', month: '01', year: '2000' }, '2000-01-01'],
  ])('accepte %o', (parts, value) => {
    const r = checkDate(parts, 'la date de naissance', { notFuture: true, today })
    expect(r.ok && r.value).toBe(value)
  })
  it.each([
    [{}, 'Saisissez la date de naissance', 'day'],
    [{ month: '3', year: '1968' }, 'La date de naissance doit comporter un jour', 'day'],
    [{ day: '3', year: '1968' }, 'La date de naissance doit comporter un mois', 'month'],
    [{ day: '3', month: '3' }, 'La date de naissance doit comporter une année', 'year'],
    [{ day: '29', month: '2', year: '2023' }, 'La date de naissance doit être une vraie date', 'day'],
    [{ day: '31', month: '4', year: '2023' }, 'La date de naissance doit être une vraie date', 'day'],
    [{ day: '3', month: '13', year: '2023' }, 'La date de naissance doit être une vraie date', 'month'],
    [{ day: 'a', month: '3', year: '2023' }, 'La date de naissance doit être une vraie date, en chiffres (par exemple 27 3 2007)', 'day'],
    [{ day: '3', month: '3', year: '23' }, 'La date de naissance doit être une vraie date, en chiffres (par exemple 27 3 2007)', 'year'],
    [{ day: '25', month: '11', year: '2026' }, "La date de naissance doit être dans le passé ou aujourd'hui", 'day'],
  ])('refuse %o', (parts, message, part) => {
    expect(checkDate(parts, 'la date de naissance', { notFuture: true, today })).toEqual({ ok: false, message, part })
  })
  it('lit les champs govuk', () => {
    expect(dateParts({ 'naissance-day': ' 2 ', 'naissance-month': '6', 'naissance-year': '2015' }, 'naissance')).toEqual({
      day: '2',
      month: '6',
      year: '2015',
    })
  })
  it('écrit les dates en français', () => {
    expect(frenchDate('2026-03-14')).toBe('14 mars 2026')
    expect(frenchDate('2026-08-01')).toBe('1er août 2026')
  })
})

describe("résumé d'erreurs court (issue 16 §1 : le h1 reste sur le premier écran d'un téléphone)", () => {
  const withErrors = (n: number) => {
    const errors = emptyErrors()
    for (let i = 1; i <= n; i++) addError(errors, `q${i}`, `Répondez à la question ${i}`)
    return errors
  }
  it(`jusqu'à ${SUMMARY_MAX_LISTED} erreurs, le résumé les liste toutes`, () => {
    const errors = compactSummary(withErrors(SUMMARY_MAX_LISTED))
    expect(errors.list).toHaveLength(SUMMARY_MAX_LISTED)
    expect(errors.description).toBeUndefined()
  })
  it('au-delà, il dit combien et mène à la première ; chaque champ garde son message', () => {
    const errors = compactSummary(withErrors(9), (n) => `Il manque ${n} réponses`)
    expect(errors.description).toBe('Il manque 9 réponses')
    expect(errors.list).toEqual([{ text: 'Répondez à la question 1', href: '#q1' }])
    expect(Object.keys(errors.fields)).toHaveLength(9)
    expect(errors.fields.q9).toEqual({ text: 'Répondez à la question 9' })
    expect(compactSummary(withErrors(5)).description).toBe('Il y a 5 erreurs, chacune signalée au champ à corriger. La première :')
  })
})
