import { calendar, escapeText, foldLine } from '../../src/domain/ics'
import { parisToUtc } from '../../src/domain/parisTime'
import { checkReminder, dayBefore, frenchTime, parseTime, MAX_REMINDERS } from '../../src/domain/agenda'
import { isVaccineCode, vaccineLabel, VACCINES, doseLabel } from '../../src/domain/vaccines'
import { dayNumber, isoDay, parseDay, anniversaryDay } from '../../src/domain/prevention/calendar'

describe('iCalendar', () => {
  it.each([
    ['a,b', 'a\\,b'],
    ['a;b', 'a\\;b'],
    ['a\\b', 'a\\\\b'],
    ['l1\nl2', 'l1\\nl2'],
    ['l1\r\nl2', 'l1\\nl2'],
    ['Kiné : séance', 'Kiné : séance'],
  ])('échappe %j en %j', (raw, escaped) => expect(escapeText(raw)).toBe(escaped))

  it('plie les lignes à 75 octets sans couper un caractère accentué', () => {
    const line = 'SUMMARY:' + 'é'.repeat(100)
    const folded = foldLine(line)
    const parts = folded.split('\r\n')
    expect(parts.length).toBeGreaterThan(2)
    for (const p of parts) expect(Buffer.byteLength(p, 'utf8')).toBeLessThanOrEqual(75)
    for (const p of parts.slice(1)) expect(p.startsWith(' ')).toBe(true)
    expect(parts.map((p, i) => (i ? p.slice(1) : p)).join('')).toBe(line)
    expect(foldLine('SUMMARY:court')).toBe('SUMMARY:court')
  })

  it('convertit l’heure de Paris en UTC, été comme hiver', () => {
    expect(parisToUtc('2026-07-01', '10:30').toISOString()).toBe('2026-07-01T08:30:00.000Z')
    expect(parisToUtc('2026-12-01', '10:30').toISOString()).toBe('2026-12-01T09:30:00.000Z')
    expect(parisToUtc('2026-03-29', '12:00').toISOString()).toBe('2026-03-29T10:00:00.000Z')
  })

  it('produit un VCALENDAR avec des fins de ligne CRLF, un événement daté ou sur la journée', () => {
    const now = new Date('2026-11-24T08:00:00Z')
    const text = calendar(
      [
        { uid: 'a@x', date: '2026-12-01', time: '10:30', summary: 'Dentiste', location: 'Paris, 20e', updatedAt: now },
        { uid: 'b@x', date: '2026-12-31', time: null, summary: 'Journée', cancelled: true, updatedAt: now },
      ],
      { name: 'Mon espace santé', now },
    )
    const lines = text.split('\r\n')
    expect(lines[0]).toBe('BEGIN:VCALENDAR')
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true)
    expect(lines).toContain('DTSTART:20261201T093000Z')
    expect(lines).toContain('DTEND:20261201T100000Z')
    expect(lines).toContain('LOCATION:Paris\\, 20e')
    expect(lines).toContain('DTSTART;VALUE=DATE:20261231')
    expect(lines).toContain('DTEND;VALUE=DATE:20270101')
    expect(lines).toContain('STATUS:CANCELLED')
    expect(text).not.toMatch(/[^\r]\n/)
  })
})

describe('agenda : règles', () => {
  it.each([
    ['9h30', '09:30'],
    ['09:30', '09:30'],
    ['14h', '14:00'],
    ['14 h 05', '14:05'],
    ['8.15', '08:15'],
    ['0', '00:00'],
    ['24h', null],
    ['9h60', null],
    ['midi', null],
    ['', null],
  ])('lit l’heure %j → %j', (raw, expected) => expect(parseTime(raw)).toBe(expected))

  it('affiche l’heure à la française', () => {
    expect(frenchTime('09:30')).toBe('9 h 30')
    expect(frenchTime('14:00')).toBe('14 h')
    expect(frenchTime(null)).toBe('')
  })

  it('calcule la veille, y compris un 1er mars et un 1er janvier', () => {
    expect(dayBefore('2028-03-01')).toBe('2028-02-29')
    expect(dayBefore('2027-03-01')).toBe('2027-02-28')
    expect(dayBefore('2027-01-01')).toBe('2026-12-31')
  })

  const base = { eventDate: '2026-12-10', eventStatus: 'confirme', existing: [] as string[], today: '2026-11-24' }
  it.each([
    ['la veille', { ...base, kind: 'veille' as const }, { ok: true, remindOn: '2026-12-09' }],
    ['le jour même', { ...base, kind: 'date' as const, date: '2026-12-10' }, { ok: true, remindOn: '2026-12-10' }],
    ['aujourd’hui', { ...base, kind: 'date' as const, date: '2026-11-24' }, { ok: true, remindOn: '2026-11-24' }],
    ['hier', { ...base, kind: 'date' as const, date: '2026-11-23' }, { ok: false, reason: 'past' }],
    ['après le rendez-vous', { ...base, kind: 'date' as const, date: '2026-12-11' }, { ok: false, reason: 'after_event' }],
    ['deux fois le même jour', { ...base, kind: 'veille' as const, existing: ['2026-12-09'] }, { ok: false, reason: 'duplicate' }],
    [
      'le 10e',
      { ...base, kind: 'veille' as const, existing: Array.from({ length: MAX_REMINDERS - 1 }, (_, i) => `2026-11-${25 + i}`) },
      { ok: true, remindOn: '2026-12-09' },
    ],
    [
      'le 11e',
      { ...base, kind: 'veille' as const, existing: Array.from({ length: MAX_REMINDERS }, (_, i) => `2026-11-${20 + i}`) },
      { ok: false, reason: 'limit' },
    ],
    ['un rendez-vous annulé', { ...base, eventStatus: 'annule', kind: 'veille' as const }, { ok: false, reason: 'cancelled' }],
    ['la veille d’un rendez-vous du jour', { ...base, eventDate: '2026-11-24', kind: 'veille' as const }, { ok: false, reason: 'past' }],
  ])('rappel %s', (_n, input, expected) => expect(checkReminder(input)).toEqual(expected))
})

describe('vaccins', () => {
  it('la liste couvre les vaccins du calendrier et « Autre »', () => {
    const labels = VACCINES.map((v) => v.label).join(' | ')
    for (const w of [
      'dTP',
      'coqueluche',
      'Grippe',
      'Zona',
      'Pneumocoque',
      'VRS',
      'HPV',
      'Méningocoque ACWY',
      'ROR',
      'Hépatite B',
      'COVID-19',
      'Autre',
    ])
      expect(labels).toContain(w)
    expect(isVaccineCode('ZONA')).toBe(true)
    expect(isVaccineCode('RAGE')).toBe(false)
    expect(isVaccineCode(undefined)).toBe(false)
    expect(vaccineLabel('AUTRE', 'Fièvre jaune')).toBe('Fièvre jaune')
    expect(vaccineLabel('GRIPPE', 'ignoré')).toBe('Grippe')
    expect(doseLabel('R')).toBe('Rappel')
  })
})

describe('calendrier en numéros de jours', () => {
  it.each(['1890-01-01', '1969-12-31', '1970-01-01', '2000-02-29', '2026-11-24', '2100-03-01'])('%s aller-retour', (iso) =>
    expect(isoDay(parseDay(iso))).toBe(iso),
  )
  it('anniversaire d’un 29 février : 1er mars les années non bissextiles', () => {
    expect(isoDay(anniversaryDay(2000, 2, 29, 1))).toBe('2001-03-01')
    expect(isoDay(anniversaryDay(2000, 2, 29, 4))).toBe('2004-02-29')
    expect(dayNumber(1970, 1, 2)).toBe(1)
  })
})
