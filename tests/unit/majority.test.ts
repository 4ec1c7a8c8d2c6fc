import { addMonths, majorityNoticeDate, majorityNoticeRange, majoritySoon } from '../../src/domain/majority'
import { majorityDate } from '../../src/domain/age'

const addDays = (iso: string, n: number) => {
  const d = new Date(`${iso}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}

describe('les 18 ans : trois mois avant, le jour même', () => {
  it('décale de mois entiers en restant dans le mois', () => {
    expect(addMonths('2027-02-07', -3)).toBe('2026-11-07')
    expect(addMonths('2027-05-31', -3)).toBe('2027-02-28')
    expect(addMonths('2028-05-31', -3)).toBe('2028-02-29')
    expect(addMonths('2026-12-07', 2)).toBe('2027-02-07')
  })

  it('l’avis tombe trois mois avant les 18 ans et vaut jusqu’à la veille', () => {
    expect(majorityNoticeDate('2009-02-07')).toBe('2026-11-07')
    expect(majoritySoon('2009-02-07', '2026-11-06')).toBe(false)
    expect(majoritySoon('2009-02-07', '2026-11-07')).toBe(true)
    expect(majoritySoon('2009-02-07', '2027-02-06')).toBe(true)
    expect(majoritySoon('2009-02-07', '2027-02-07')).toBe(false)
    // Born on 29 February: 18 on 1 March, told on 1 December.
    expect(majorityDate('2008-02-29')).toBe('2026-03-01')
    expect(majorityNoticeDate('2008-02-29')).toBe('2025-12-01')
  })

  it('la plage de naissances de la tâche quotidienne contient exactement les avis dus, chaque jour de deux ans', () => {
    let today = '2026-01-01'
    for (let i = 0; i < 730; i++, today = addDays(today, 1)) {
      const { after, until } = majorityNoticeRange(today)
      // Every birth date in the range is due (notice day passed, still a minor); the next one is not yet due.
      expect(majoritySoon(until, today)).toBe(true)
      expect(majorityNoticeDate(addDays(until, 1)) > today).toBe(true)
      expect(majorityDate(after) <= today).toBe(true)
      expect(majorityDate(addDays(after, 1)) > today).toBe(true)
    }
  })
})
