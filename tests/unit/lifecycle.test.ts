import {
  archiveUntil,
  canActivate,
  canOppose,
  canReopen,
  deletionDueDate,
  newReference,
  oppositionDeadline,
} from '../../src/domain/lifecycle'
import { anniversary, isMinor, majorityCutoff, majorityDate } from '../../src/domain/age'

const at = (s: string) => new Date(s)

describe('délai d’opposition', () => {
  const notified = '2026-10-01T10:00:00+02:00'
  it('finit 6 semaines après l’envoi de l’avis', () => {
    expect(oppositionDeadline(notified).toISOString()).toBe('2026-11-12T08:00:00.000Z')
  })
  it.each([
    ['notified', notified, '2026-10-01T10:00:01+02:00', true, undefined],
    ['notified', notified, '2026-11-12T08:59:59+01:00', true, undefined],
    ['notified', notified, '2026-11-12T09:00:00+01:00', false, 'deadline_passed'],
    ['notified', notified, '2026-12-30T09:00:00+01:00', false, 'deadline_passed'],
    ['notified', null, '2026-10-02T10:00:00+02:00', false, 'not_notified'],
    ['auto_created', notified, '2026-11-13T10:00:00+01:00', false, 'created'],
    ['activated', notified, '2026-10-05T10:00:00+02:00', false, 'created'],
    ['opposed', notified, '2026-10-05T10:00:00+02:00', false, 'already_opposed'],
    ['closed', notified, '2026-10-05T10:00:00+02:00', false, 'closed'],
    ['not_notified', null, '2026-10-05T10:00:00+02:00', false, 'not_notified'],
  ] as const)('%s, avisé le %s, le %s : %s', (state, notifiedAt, now, ok, reason) => {
    const r = canOppose({ state, notified_at: notifiedAt }, at(now))
    expect(r.ok).toBe(ok)
    if (!r.ok) expect(r.reason).toBe(reason)
  })
})

describe('activation', () => {
  it.each([
    ['notified', false, false, 'ok'],
    ['auto_created', false, false, 'ok'],
    ['opposed', false, false, 'ok'],
    ['activated', false, false, 'ok'],
    ['activated', false, true, 'minor'],
    ['notified', false, true, 'minor'],
    ['activated', true, false, 'already_activated'],
    ['closed', true, false, 'closed'],
    ['closed', false, false, 'closed'],
    ['not_notified', false, false, 'not_notified'],
  ] as const)('%s, compte %s, mineur %s : %s', (state, hasAccount, minor, expected) => {
    const r = canActivate({ state }, { hasAccount, minor })
    expect(r.ok ? 'ok' : r.reason).toBe(expected)
  })
})

describe('majorité', () => {
  it.each([
    ['2008-11-24', '2026-11-24'],
    ['2008-02-29', '2026-03-01'],
    ['2004-02-29', '2022-03-01'],
    ['2000-02-29', '2018-03-01'],
    ['2008-02-28', '2026-02-28'],
    ['2008-03-01', '2026-03-01'],
    ['2007-12-31', '2025-12-31'],
  ])('née le %s : majeure le %s', (birth, date) => {
    expect(majorityDate(birth)).toBe(date)
  })

  it.each([
    // today, cutoff: born on or before the cutoff = adult
    ['2026-11-24', '2008-11-24'],
    ['2026-03-01', '2008-03-01'],
    ['2026-02-28', '2008-02-28'],
    ['2028-02-29', '2010-02-28'],
  ])('le %s, majeurs les personnes nées au plus tard le %s', (today, cutoff) => {
    expect(majorityCutoff(today)).toBe(cutoff)
  })

  it('la borne du traitement quotidien et la date de majorité disent la même chose, jour après jour', () => {
    const births = ['2008-02-28', '2008-02-29', '2008-03-01', '2010-02-28', '2012-02-29', '2007-12-31', '2008-01-01']
    for (let t = Date.UTC(2025, 11, 1); t <= Date.UTC(2030, 3, 1); t += 86400000) {
      const today = new Date(t).toISOString().slice(0, 10)
      for (const b of births) expect(b <= majorityCutoff(today)).toBe(majorityDate(b) <= today)
    }
  })

  it.each([
    ['2015-06-02', '2026-11-24', true],
    ['2008-11-25', '2026-11-24', true],
    ['2008-11-24', '2026-11-24', false],
    ['2008-02-29', '2026-02-28', true],
    ['2008-02-29', '2026-03-01', false],
  ])('né le %s, le %s : mineur %s', (birth, today, minor) => {
    expect(isMinor(birth, today)).toBe(minor)
  })
})

describe('fermeture et réouverture', () => {
  it.each([
    ['2026-11-24', '2036-11-24'],
    ['2028-02-29', '2038-03-01'],
  ])('fermé le %s : archivé jusqu’au %s', (closed, until) => {
    expect(archiveUntil(closed)).toBe(until)
  })
  it.each([
    ['2026-11-24', '2027-02-24'],
    ['2026-11-30', '2027-02-28'],
    ['2027-11-30', '2028-02-29'],
    ['2026-10-31', '2027-01-31'],
  ])('suppression demandée le %s : au plus tard le %s', (asked, due) => {
    expect(deletionDueDate(asked)).toBe(due)
  })
  it.each([
    [{ state: 'closed', closed_at: '2026-11-24', archive_until: '2036-11-24' }, '2030-01-01', true],
    [{ state: 'closed', closed_at: '2026-11-24', archive_until: '2036-11-24' }, '2036-11-24', true],
    [{ state: 'closed', closed_at: '2026-11-24', archive_until: '2036-11-24' }, '2036-11-25', false],
    [{ state: 'closed', closed_at: '2026-11-24', archive_until: '2036-11-24', deletion_requested_at: '2026-11-24' }, '2027-01-10', true],
    [{ state: 'closed', closed_at: '2026-11-24', archive_until: '2036-11-24', deletion_requested_at: '2026-11-24' }, '2027-02-24', false],
    [{ state: 'activated' }, '2027-01-10', false],
  ] as const)('%j le %s : %s', (space, today, ok) => {
    expect(canReopen(space, today).ok).toBe(ok)
  })
  it('anniversaire sur 10 ans', () => {
    expect(anniversary('2024-02-29', 10)).toBe('2034-03-01')
  })
})

describe('références', () => {
  it('se lisent au téléphone, sans caractère ambigu', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const r = newReference('OPP')
      expect(r).toMatch(/^OPP-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/)
      seen.add(r)
    }
    expect(seen.size).toBe(200)
  })
})
