import { checkHeader, copyField, normaliseMobile, parseImportDate, validatePersonRow } from '../../src/domain/personRow'
import { barChart, niceMax } from '../../src/domain/barChart'
import { maskEmail } from '../../src/domain/otp'

const TODAY = '2026-11-24'
const base = { nir: '2 85 04 75 101 011 ', nom: 'Lambert', prenoms: 'Sophie', sexe: 'F', date_naissance: '1985-04-12' }
// 2850475101011 + key
const key = (s: string) => String(97 - Number(BigInt(s) % 97n)).padStart(2, '0')
const NIR = `2850475101011${key('2850475101011')}`

describe("ligne d'import d'assurés", () => {
  it.each([
    ['une ligne correcte', { ...base, nir: NIR }, []],
    ['NIR absent', { ...base, nir: '' }, [['nir', 'Le numéro de sécurité sociale est absent']]],
    ['clé fausse', { ...base, nir: NIR.slice(0, 13) + '00' }, [['nir', 'La clé du numéro de sécurité sociale ne correspond pas']]],
    [
      'NIR et date de naissance incohérents',
      { ...base, nir: NIR, date_naissance: '1986-04-12' },
      [['nir', "Le numéro de sécurité sociale ne correspond pas à l'année ou au mois de naissance"]],
    ],
    [
      'sexe incohérent avec le NIR',
      { ...base, nir: NIR, sexe: 'M' },
      [['sexe', 'Le sexe ne correspond pas au premier chiffre du numéro de sécurité sociale']],
    ],
    ['sexe inconnu', { ...base, nir: NIR, sexe: 'X' }, [['sexe', 'Le sexe doit être F ou M']]],
    ['nom absent', { ...base, nir: NIR, nom: ' ' }, [['nom', 'Le nom est absent']]],
    ['prénom absent', { ...base, nir: NIR, prenoms: '' }, [['prenoms', 'Le prénom est absent']]],
    [
      'date impossible',
      { ...base, nir: NIR, date_naissance: '1985-02-30' },
      [['date_naissance', 'La date de naissance doit être une vraie date, au format AAAA-MM-JJ ou JJ/MM/AAAA']],
    ],
    [
      'date future',
      { ...base, nir: `2300475101011${key('2300475101011')}`, date_naissance: '2030-04-01' },
      [['date_naissance', 'La date de naissance est dans le futur']],
    ],
    [
      'courriel invalide',
      { ...base, nir: NIR, courriel: 'sophie@' },
      [['courriel', "L'adresse électronique n'est pas valide (par exemple nom@domaine.fr)"]],
    ],
    [
      'mobile invalide',
      { ...base, nir: NIR, mobile: '01 23 45 67 89' },
      [['mobile', 'Le numéro de mobile doit être un numéro français (06 ou 07 suivi de 8 chiffres)']],
    ],
    ['code postal invalide', { ...base, nir: NIR, code_postal: '750' }, [['code_postal', 'Le code postal doit contenir 5 chiffres']]],
    ['nom trop long', { ...base, nir: NIR, nom: 'x'.repeat(101) }, [['nom', 'Ce champ dépasse 100 caractères']]],
  ])('%s', (_label, record, expected) => {
    const r = validatePersonRow(record, TODAY)
    if (expected.length === 0) expect(r.ok).toBe(true)
    else {
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.faults.map((f) => [f.column, f.message])).toEqual(expected)
    }
  })

  it('normalise la ligne : NIR sans espaces, date ISO, courriel en minuscules, mobile +33, champs vides à null', () => {
    const r = validatePersonRow(
      {
        ...base,
        nir: NIR,
        sexe: '2',
        date_naissance: '12/04/1985',
        courriel: 'Sophie.L@Courriel.Example',
        mobile: '07.12.34.56.78',
        ville: '',
      },
      TODAY,
    )
    expect(r).toEqual({
      ok: true,
      person: expect.objectContaining({
        nir: NIR,
        sex: 'F',
        birth_date: '1985-04-12',
        email: 'sophie.l@courriel.example',
        mobile: '+33712345678',
        city: null,
      }),
    })
  })

  it.each([
    ['2024-02-29', '2024-02-29'],
    ['2023-02-29', null],
    ['1900-02-29', null],
    ['2000-02-29', '2000-02-29'],
    ['2023-04-31', null],
    ['2023-12-31', '2023-12-31'],
    ['2023-13-01', null],
    ['2023-00-10', null],
    ['0050-01-01', null],
    ['2023-1-010', null],
    ['1/2/2000', '2000-02-01'],
    ['2000/02/01', null],
    ['', null],
  ])('date %s → %s', (raw, expected) => expect(parseImportDate(raw)).toBe(expected))

  it.each([
    ['06 12 34 56 78', '+33612345678'],
    ['+33 7 12 34 56 78', '+33712345678'],
    ['0033612345678', '+33612345678'],
    ['0123456789', null],
  ])('mobile %s → %s', (raw, expected) => expect(normaliseMobile(raw)).toBe(expected))

  it("l'en-tête doit contenir les colonnes obligatoires", () => {
    expect(checkHeader(['NIR', 'Nom', 'prenoms', 'sexe', 'date_naissance'])).toEqual([])
    expect(checkHeader(['nom', 'prenoms'])).toEqual([
      'La colonne «nir» est absente de la première ligne du fichier',
      'La colonne «sexe» est absente de la première ligne du fichier',
      'La colonne «date_naissance» est absente de la première ligne du fichier',
    ])
  })

  it('échappe les valeurs pour COPY', () => {
    expect(copyField(null)).toBe('\\N')
    expect(copyField('a\tb\\c\nd')).toBe('a\\tb\\\\c\\nd')
  })
})

describe('diagramme en barres', () => {
  it.each([
    [0, 1],
    [1, 1],
    [3, 5],
    [7, 10],
    [12, 20],
    [180, 200],
    [501, 1000],
  ])('échelle pour %i → %i', (max, nice) => expect(niceMax(max)).toBe(nice))

  it('la hauteur des barres est proportionnelle, sur une ligne de base commune', () => {
    const c = barChart(
      [
        { label: 'a', value: 10 },
        { label: 'b', value: 5 },
        { label: 'c', value: 0 },
      ],
      { width: 300, height: 240 },
    )
    expect(c.max).toBe(10)
    const plot = c.baseline - 10 // the chart's top margin
    expect(c.bars[0].height).toBe(plot)
    expect(c.bars[1].height).toBe(plot / 2)
    expect(c.bars[2].height).toBe(0)
    for (const b of c.bars) expect(b.y + b.height).toBe(c.baseline)
    expect(c.bars[1].x).toBeGreaterThan(c.bars[0].x)
  })

  it('30 jours : des dates sous les barres qui ne se chevauchent pas, des valeurs rondes sans doublon', () => {
    const days = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2026, 10, 8 + i)).toISOString().slice(0, 10))
    const c = barChart(days.map((label, i) => ({ label, value: i % 3 })))
    expect(c.width).toBe(320)
    expect(c.fontSize).toBeGreaterThanOrEqual(14)
    expect(c.dateLabels.length).toBeGreaterThanOrEqual(2)
    for (const [i, l] of c.dateLabels.entries()) {
      expect(l.label).toMatch(/^\d\d\/\d\d$/)
      expect(l.from).toBeGreaterThanOrEqual(0)
      expect(l.to).toBeLessThanOrEqual(c.width)
      if (i > 0) expect(l.from).toBeGreaterThan(c.dateLabels[i - 1].to)
    }
    expect(new Set(c.ticks.map((t) => t.value)).size).toBe(c.ticks.length)
  })
})

describe('courriel masqué (connexion, France Services, opposition par téléphone)', () => {
  it('garde la première lettre et le domaine, trois points quelle que soit la longueur', () => {
    expect(maskEmail('sophie.lambert@courriel.example')).toBe('s•••@courriel.example')
    expect(maskEmail('a@courriel.example')).toBe('a•••@courriel.example')
  })
})
