import { ageAt, ageOn, anniversary, isMinor, majorityCutoff, majorityDate, MAJORITY_AGE } from '../../src/domain/age'
import { anniversaryDay, dayNumber, isoDay } from '../../src/domain/prevention/calendar'
import { addDays } from '../../src/domain/parisTime'

describe('age, once', () => {
  it.each([
    ['2008-05-17', '2026-05-16', 17],
    ['2008-05-17', '2026-05-17', 18],
    ['2008-02-29', '2026-02-28', 17], // no 29 February in 2026: the birthday is 1 March
    ['2008-02-29', '2026-03-01', 18],
    ['2008-02-29', '2028-02-29', 20],
    ['1968-03-14', '2026-11-24', 58],
    ['2026-11-24', '2026-11-24', 0],
  ])('born %s, on %s → %i', (birth, day, age) => expect(ageOn(birth, day)).toBe(age))

  it('turns 18 at midnight in Paris, not in UTC', () => {
    // 17 May 2026 starts at 22:00 UTC on the 16th (summer time).
    expect(ageAt('2008-05-17', new Date('2026-05-16T21:59:59Z'))).toBe(17)
    expect(ageAt('2008-05-17', new Date('2026-05-16T22:00:00Z'))).toBe(18)
    // In winter, at 23:00 UTC the day before.
    expect(ageAt('2008-01-10', new Date('2026-01-09T22:59:59Z'))).toBe(17)
    expect(ageAt('2008-01-10', new Date('2026-01-09T23:00:00Z'))).toBe(18)
  })

  it('the 18th birthday, minority and the SQL bound say the same thing every day of four years', () => {
    expect(MAJORITY_AGE).toBe(18)
    const births = ['2008-02-29', '2008-03-01', '2008-02-28', '2007-12-31', '2008-01-01', '2009-06-15']
    for (let day = '2025-01-01'; day < '2029-01-01'; day = addDays(day, 1)) {
      for (const birth of births) {
        const minor = isMinor(birth, day)
        expect(minor).toBe(ageOn(birth, day) < 18)
        expect(minor).toBe(majorityDate(birth) > day)
        expect(minor).toBe(birth > majorityCutoff(day))
      }
    }
  })

  it('the prevention engine’s fast day arithmetic agrees with the anniversaries', () => {
    for (const birth of ['2008-02-29', '2000-02-29', '1999-12-31', '2024-01-01', '1950-07-14']) {
      const [y, m, d] = birth.split('-').map(Number)
      for (const years of [0, 1, 2, 3, 4, 18, 50, 100]) {
        expect(isoDay(anniversaryDay(y, m, d, years))).toBe(anniversary(birth, years))
      }
    }
    expect(isoDay(dayNumber(2026, 3, 1))).toBe('2026-03-01')
  })
})
