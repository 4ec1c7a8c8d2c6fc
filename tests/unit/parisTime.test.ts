import {
  addDays,
  dateOnly,
  frenchDate,
  frenchDateTime,
  frenchTimeOfDay,
  isoDate,
  parisInstant,
  parisOffset,
  parisToUtc,
} from '../../src/domain/parisTime'

describe('Paris time', () => {
  it('the day of an instant is the Paris day, not the UTC day', () => {
    // Winter (UTC+1): 23:30 UTC is already the next day in Paris.
    expect(isoDate(new Date('2026-03-14T22:59:59Z'))).toBe('2026-03-14')
    expect(isoDate(new Date('2026-03-14T23:00:00Z'))).toBe('2026-03-15')
    // Summer (UTC+2): 22:00 UTC is midnight in Paris.
    expect(isoDate(new Date('2026-07-10T21:59:59Z'))).toBe('2026-07-10')
    expect(isoDate(new Date('2026-07-10T22:00:00Z'))).toBe('2026-07-11')
    // New Year's Eve.
    expect(isoDate(new Date('2026-12-31T23:30:00Z'))).toBe('2027-01-01')
  })

  it('a date column stays as it is; an instant becomes its Paris day', () => {
    expect(dateOnly('2026-03-14')).toBe('2026-03-14')
    expect(dateOnly('2026-03-14T23:30:00Z')).toBe('2026-03-14')
    expect(dateOnly(new Date('2026-03-14T23:30:00Z'))).toBe('2026-03-15')
  })

  it.each([
    ['2028-03-01', -1, '2028-02-29'],
    ['2027-03-01', -1, '2027-02-28'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2026-03-28', 1, '2026-03-29'], // the night summer time starts
    ['2026-10-25', 1, '2026-10-26'], // the night it ends
    ['2026-01-31', 30, '2026-03-02'],
  ])('%s %+d days → %s', (day, n, expected) => expect(addDays(day, n)).toBe(expected))

  it('dates in French, «1er» on the first day', () => {
    expect(frenchDate('2026-03-14')).toBe('14 mars 2026')
    expect(frenchDate('2026-08-01')).toBe('1er août 2026')
    expect(frenchDate(new Date('2026-12-31T23:30:00Z'))).toBe('1er janvier 2027')
    expect(frenchDate('pas une date')).toBe('pas une date')
  })

  it('date and time of day in Paris', () => {
    expect(frenchDateTime(new Date('2026-07-10T07:30:00Z'))).toMatch(/^10 juillet 2026 (à )?09:30$/)
    expect(frenchDateTime('2026-01-10T07:30:00Z')).toMatch(/^10 janvier 2026 (à )?08:30$/)
    expect(frenchTimeOfDay(new Date('2026-07-10T07:30:00Z'))).toBe('09:30')
  })

  it('Paris wall-clock time to an instant and back, across summer time', () => {
    expect(parisToUtc('2026-01-15', '09:30').toISOString()).toBe('2026-01-15T08:30:00.000Z')
    expect(parisToUtc('2026-07-15', '09:30').toISOString()).toBe('2026-07-15T07:30:00.000Z')
    // 29 March 2026: clocks go from 02:00 to 03:00; 03:30 is summer time.
    expect(parisToUtc('2026-03-29', '03:30').toISOString()).toBe('2026-03-29T01:30:00.000Z')
    expect(parisToUtc('2026-03-29', '01:30').toISOString()).toBe('2026-03-29T00:30:00.000Z')
    expect(parisInstant(new Date('2026-07-10T07:30:00Z'))).toBe('2026-07-10T09:30:00+02:00')
    expect(parisInstant(new Date('2026-01-10T07:30:05Z'))).toBe('2026-01-10T08:30:05+01:00')
    expect(parisInstant(parisToUtc('2026-10-25', '12:00'))).toBe('2026-10-25T12:00:00+01:00')
    expect(parisOffset('2026-01-15')).toBe('+01:00')
    expect(parisOffset('2026-07-15')).toBe('+02:00')
  })
})
