import {
  appointmentRecords,
  recommendations,
  recordsOfAct,
  reimbursementRecords,
  RULE_SETS,
  LOOK_BACK_YEARS,
  type Recommendation,
} from '../../src/domain/prevention'
import { RULES_2026 } from '../../src/domain/prevention/rules-2026'
import type { AgeRule } from '../../src/domain/prevention/types'
import { anniversary } from '../../src/domain/age'
import { VACCINES } from '../../src/domain/vaccines'

const addDays = (iso: string, n: number) => {
  const d = new Date(`${iso}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}
const ofRule = (list: Recommendation[], id: string) => list.filter((r) => r.ruleId === id)

const ageRules = RULES_2026.rules.filter((r): r is AgeRule => !r.season)
const windowOf = (r: AgeRule, i: number) => (Array.isArray(r.window) ? r.window[i] : r.window)

/** Every occurrence of every age rule, for births on an ordinary day and on 29 February. */
const occurrences = ['1961-06-15', '1964-02-29'].flatMap((birth) =>
  ageRules.flatMap((rule) =>
    rule.ages.map((age, i) => {
      const w = windowOf(rule, i)
      return {
        birth,
        rule,
        age,
        i,
        sex: rule.sex ?? 'F',
        from: anniversary(birth, age),
        end: w === null ? null : anniversary(birth, age + w),
      }
    }),
  ),
)

describe('recommandations : chaque règle, chaque âge, la veille et le jour même (table générée depuis les données)', () => {
  it.each(occurrences.map((o) => [`${o.rule.id} à ${o.age} ans, né(e) le ${o.birth}`, o] as const))('%s', (_name, o) => {
    // The day of the birthday: the window is open, «À planifier», from that day.
    const onDay = ofRule(recommendations(o.birth, o.sex, [], o.from), o.rule.id)
    expect(onDay).toContainEqual(expect.objectContaining({ from: o.from, status: 'À planifier', to: o.end ? addDays(o.end, -1) : null }))
    // The day before: that window is not open yet (at most listed as coming).
    const before = ofRule(recommendations(o.birth, o.sex, [], addDays(o.from, -1)), o.rule.id)
    for (const r of before.filter((x) => x.from === o.from)) expect(r.from > addDays(o.from, -1)).toBe(true)
    if (o.i > 0 && anniversary(o.birth, o.rule.ages[o.i - 1] + (windowOf(o.rule, o.i - 1) ?? 0)) === o.from) {
      expect(before).toContainEqual(expect.objectContaining({ from: anniversary(o.birth, o.rule.ages[o.i - 1]), status: 'À planifier' }))
    }
    // A record on the first day fulfils it; the day before the window does not.
    const code = o.rule.doneBy[0]
    expect(ofRule(recommendations(o.birth, o.sex, [{ code, date: o.from }], o.from), o.rule.id)).toContainEqual(
      expect.objectContaining({ from: o.from, status: 'Réalisé', doneOn: o.from }),
    )
    expect(ofRule(recommendations(o.birth, o.sex, [{ code, date: addDays(o.from, -1) }], o.from), o.rule.id)).toContainEqual(
      expect.objectContaining({ from: o.from, status: 'À planifier' }),
    )
    if (o.end) {
      // The last day: still open. The day after: «Non réalisé», unless the next window has opened.
      expect(ofRule(recommendations(o.birth, o.sex, [], addDays(o.end, -1)), o.rule.id)).toContainEqual(
        expect.objectContaining({ from: o.from, status: 'À planifier' }),
      )
      const after = ofRule(recommendations(o.birth, o.sex, [], o.end), o.rule.id)
      const nextOpen = o.i + 1 < o.rule.ages.length && anniversary(o.birth, o.rule.ages[o.i + 1]) <= o.end
      if (nextOpen)
        expect(after).toContainEqual(expect.objectContaining({ from: anniversary(o.birth, o.rule.ages[o.i + 1]), status: 'À planifier' }))
      else expect(after).toContainEqual(expect.objectContaining({ from: o.from, status: 'Non réalisé' }))
      // A record on the last day still counts.
      expect(
        ofRule(recommendations(o.birth, o.sex, [{ code, date: addDays(o.end, -1) }], o.end), o.rule.id).find((x) => x.from === o.from)
          ?.status ?? 'Réalisé',
      ).toBe('Réalisé')
    }
  })
})

describe('recommandations : cas choisis', () => {
  const cases: {
    name: string
    birth: string
    sex: 'F' | 'M'
    today: string
    records?: { code: string; date: string }[]
    expected: Record<string, string | undefined>
  }[] = [
    {
      name: 'Camille, 58 ans, rien enregistré : sein et colorectal à planifier, pas de grippe',
      birth: '1968-03-14',
      sex: 'F',
      today: '2026-11-24',
      expected: {
        'depistage-sein': 'À planifier',
        'depistage-colorectal': 'À planifier',
        'depistage-col-hpv': 'À planifier',
        grippe: undefined,
        zona: undefined,
      },
    },
    {
      name: 'un homme de 58 ans : ni sein ni col',
      birth: '1968-03-14',
      sex: 'M',
      today: '2026-11-24',
      expected: { 'depistage-sein': undefined, 'depistage-col-hpv': undefined, 'depistage-colorectal': 'À planifier' },
    },
    {
      name: 'né le 29 février 1960 : 65 ans le 1er mars 2025, pas le 28 février',
      birth: '1960-02-29',
      sex: 'M',
      today: '2025-02-28',
      expected: { zona: 'À planifier', pneumocoque: 'À planifier' },
    },
    {
      name: '66 ans, à jour de tout',
      birth: '1960-01-10',
      sex: 'F',
      today: '2026-11-24',
      records: [
        { code: 'DTP', date: '2025-02-01' },
        { code: 'GRIPPE', date: '2026-10-20' },
        { code: 'ZONA', date: '2025-03-01' },
        { code: 'PNEUMO', date: '2025-03-01' },
        { code: 'ACTE:depistage-sein', date: '2026-02-01' },
        { code: 'ACTE:depistage-colorectal', date: '2026-02-01' },
      ],
      expected: {
        'dtp-adulte': 'Réalisé',
        grippe: 'Réalisé',
        zona: 'Réalisé',
        pneumocoque: 'Réalisé',
        'depistage-sein': 'Réalisé',
        'depistage-colorectal': 'Réalisé',
        vrs: undefined,
      },
    },
    {
      name: 'dTP-coqueluche compte pour le rappel dTP',
      birth: '1980-05-01',
      sex: 'M',
      today: '2025-06-01',
      records: [{ code: 'DTCAP', date: '2025-05-20' }],
      expected: { 'dtp-adulte': 'Réalisé' },
    },
    {
      name: 'grippe : 14 octobre hors saison (à venir), 15 octobre ouverte, 31 janvier ouverte, 1er février à venir',
      birth: '1950-01-01',
      sex: 'F',
      today: '2026-10-14',
      expected: { grippe: 'À planifier' },
    },
    {
      name: 'grippe faite la saison précédente : à refaire',
      birth: '1950-01-01',
      sex: 'F',
      today: '2026-10-15',
      records: [{ code: 'GRIPPE', date: '2025-10-20' }],
      expected: { grippe: 'À planifier' },
    },
    {
      name: 'enfant de 11 ans : HPV et ACWY',
      birth: '2015-06-02',
      sex: 'M',
      today: '2026-11-24',
      expected: { hpv: 'À planifier', acwy: 'À planifier', 'mt-dents': 'Non réalisé' },
    },
    {
      name: 'ACWY en rattrapage à 24 ans, fait à 20 ans',
      birth: '2002-01-01',
      sex: 'F',
      today: '2026-11-24',
      records: [{ code: 'MENACWY', date: '2022-03-01' }],
      expected: { acwy: 'Réalisé', hpv: undefined },
    },
    {
      name: 'femme de 26 ans sans vaccination : dTP-coqueluche non réalisé, frottis à planifier',
      birth: '2000-03-01',
      sex: 'F',
      today: '2026-11-24',
      expected: { 'dtpca-25': 'Non réalisé', 'depistage-col-cytologie': 'À planifier' },
    },
    {
      name: 'VRS la veille des 75 ans : à venir ; zona toujours ouvert',
      birth: '1951-11-25',
      sex: 'M',
      today: '2026-11-24',
      expected: { vrs: 'À planifier', zona: 'À planifier' },
    },
  ]
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const list = recommendations(c.birth, c.sex, c.records ?? [], c.today)
    for (const [rule, status] of Object.entries(c.expected)) {
      const found = list.filter((r) => r.ruleId === rule)
      if (status === undefined) expect(found).toEqual([])
      else expect(found.map((r) => r.status)).toContain(status)
    }
  })

  it('la grippe suit la saison du 15 octobre au 31 janvier', () => {
    const g = (today: string) => recommendations('1950-01-01', 'F', [], today).find((r) => r.ruleId === 'grippe')!
    expect(g('2026-10-14')).toMatchObject({ from: '2026-10-15', to: '2027-01-31' })
    expect(g('2026-10-15')).toMatchObject({ from: '2026-10-15', status: 'À planifier' })
    expect(g('2027-01-31')).toMatchObject({ from: '2026-10-15' })
    expect(g('2027-02-01')).toMatchObject({ from: '2027-10-15' })
    // 65 during the season: from the birthday.
    expect(recommendations('1961-12-01', 'M', [], '2026-11-24').find((r) => r.ruleId === 'grippe')).toMatchObject({
      from: '2026-12-01',
      to: '2027-01-31',
    })
    expect(recommendations('1962-02-01', 'M', [], '2026-11-24').find((r) => r.ruleId === 'grippe')).toBeUndefined()
  })

  it('une fenêtre passée disparaît après ' + LOOK_BACK_YEARS + ' ans', () => {
    const list = (today: string) => recommendations('1980-01-01', 'M', [], today).filter((r) => r.ruleId === 'dtp-adulte')
    expect(list('2026-12-31')).toEqual([expect.objectContaining({ status: 'Non réalisé', from: '2025-01-01' })])
    expect(list(anniversary('1980-01-01', 46 + LOOK_BACK_YEARS))).toEqual([])
  })

  it('chaque règle a une source, un identifiant unique et des codes connus', () => {
    const codes = new Set<string>(VACCINES.map((v) => v.code))
    const ids = new Set<string>()
    for (const set of RULE_SETS) {
      for (const r of set.rules) {
        expect(r.source).toMatch(/\d{4}/)
        expect(ids.has(r.id)).toBe(false)
        ids.add(r.id)
        for (const c of r.doneBy) expect(codes.has(c) || c === `ACTE:${r.id}`).toBe(true)
        if (!r.season) expect([...r.ages].sort((a, b) => a - b)).toEqual(r.ages)
      }
    }
  })
})

describe('recommandations : ce qui a été fait et ce qui est pris (issue 19)', () => {
  const find = (list: Recommendation[], id: string) => list.filter((r) => r.ruleId === id)

  it('« Planifié » avec la date du rendez-vous pris ; « Réalisé » l’emporte ; un rendez-vous passé non honoré ne compte pas', () => {
    const booked = { code: 'ACTE:depistage-colorectal', date: '2026-12-20', planned: true, via: 'Rendez-vous : Test' }
    expect(find(recommendations('1968-03-14', 'F', [booked], '2026-12-07'), 'depistage-colorectal')[0]).toMatchObject({
      status: 'Planifié',
      plannedOn: '2026-12-20',
      via: 'Rendez-vous : Test',
    })
    const done = { code: 'ACTE:depistage-colorectal', date: '2026-06-01' }
    expect(find(recommendations('1968-03-14', 'F', [booked, done], '2026-12-07'), 'depistage-colorectal')[0].status).toBe('Réalisé')
    expect(find(recommendations('1968-03-14', 'F', [booked], '2026-12-21'), 'depistage-colorectal')[0].status).toBe('À planifier')
  })

  it('un dépistage périodique fait passe à la fenêtre suivante, ouverte à la date + l’intervalle', () => {
    const list = find(
      recommendations('1968-03-14', 'F', [{ code: 'ACTE:depistage-sein', date: '2026-05-21' }], '2026-12-07'),
      'depistage-sein',
    )
    expect(list).toEqual([
      expect.objectContaining({ status: 'Réalisé', doneOn: '2026-05-21', from: '2026-03-14', to: '2028-03-13' }),
      expect.objectContaining({ status: 'À planifier', from: '2028-05-21', to: '2030-03-13' }),
    ])
    // A booked next one is «Planifié» in that next window.
    const next = { code: 'ACTE:depistage-sein', date: '2028-06-01', planned: true }
    expect(
      find(
        recommendations('1968-03-14', 'F', [{ code: 'ACTE:depistage-sein', date: '2026-05-21' }, next], '2026-12-07'),
        'depistage-sein',
      )[1],
    ).toMatchObject({ status: 'Planifié', plannedOn: '2028-06-01' })
  })

  it('un enfant voit les examens et vaccins à venir jusqu’à ses 18 ans, pas seulement les fenêtres passées', () => {
    const leo = recommendations('2015-06-02', 'M', [{ code: 'DTCAP', date: '2021-06-14' }], '2026-12-07')
    expect(find(leo, 'examen-enfant').map((r) => [r.from, r.status])).toEqual([
      ['2024-06-02', 'Non réalisé'],
      ['2027-06-02', 'À planifier'],
      ['2030-06-02', 'À planifier'],
    ])
    expect(find(leo, 'mt-dents').map((r) => r.from)).toEqual(['2024-06-02', '2027-06-02', '2030-06-02', '2033-06-02'])
    expect(find(leo, 'dtcap-11')[0]).toMatchObject({ status: 'À planifier', from: '2026-06-02', to: '2029-06-01' })
    // An adult sees only the next window within a year.
    expect(find(recommendations('1980-01-01', 'M', [], '2026-12-07'), 'dtp-adulte')).toHaveLength(1)
  })
})

describe('les règles de correspondance des actes remboursés (données à côté des règles)', () => {
  it('reconnaît un acte par son code CCAM ou par son libellé, sans casse ni accents', () => {
    const set = RULES_2026
    expect(recordsOfAct(set, { label: 'Acte d’imagerie', code: 'qeqk004' })).toEqual(['ACTE:depistage-sein'])
    expect(recordsOfAct(set, { label: 'MAMMOGRAPHIE DE DÉPISTAGE' })).toEqual(['ACTE:depistage-sein'])
    expect(recordsOfAct(set, { label: 'Test immunologique de dépistage du cancer colorectal' })).toEqual(['ACTE:depistage-colorectal'])
    expect(recordsOfAct(set, { label: 'Test HPV (papillomavirus) sur prélèvement' })).toEqual(['ACTE:depistage-col-hpv'])
    expect(recordsOfAct(set, { label: 'Efluelda, suspension injectable (vaccin grippal)' })).toEqual(['GRIPPE'])
    expect(recordsOfAct(set, { label: 'Gardasil 9' })).toEqual(['HPV'])
    expect(recordsOfAct(set, { label: 'Consultation de cardiologie' })).toEqual([])
    expect(recordsOfAct(set, { label: 'Vaccin HPV' })).toEqual(['HPV'])
    const records = reimbursementRecords(set, [{ date: '2026-05-21', label: 'Mammographie de dépistage', code: 'QEQK004' }])
    expect(records).toEqual([{ code: 'ACTE:depistage-sein', date: '2026-05-21', via: 'Remboursement : Mammographie de dépistage' }])
  })

  it('un rendez-vous honoré fait, un rendez-vous confirmé à venir planifie, un annulé ne compte pas', () => {
    const events = [
      { date: '2026-11-01', title: 'Mammographie', status: 'honore' },
      { date: '2026-12-20', title: 'Rendez-vous', status: 'confirme', prevention_rule: 'depistage-colorectal' },
      { date: '2026-12-21', title: 'Vaccin contre la grippe', status: 'annule' },
      { date: '2026-11-02', title: 'Frottis', status: 'confirme' },
    ]
    expect(appointmentRecords(RULES_2026, events, '2026-12-07').map((r) => [r.code, r.planned ?? false])).toEqual([
      ['ACTE:depistage-sein', false],
      ['ACTE:depistage-colorectal', true],
    ])
  })

  it('chaque correspondance a une source et mène à un code connu d’une règle', () => {
    for (const set of RULE_SETS) {
      const known = new Set(set.rules.flatMap((r) => r.doneBy))
      for (const a of set.acts) {
        expect(a.source).toMatch(/\d{4}/)
        expect(known.has(a.record)).toBe(true)
        expect((a.codes?.length ?? 0) + (a.labels?.length ?? 0)).toBeGreaterThan(0)
      }
    }
  })
})
