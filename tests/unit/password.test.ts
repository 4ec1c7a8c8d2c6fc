import { birthDateForms, checkPassword, PASSWORD_MESSAGES, passwordScore } from '../../src/domain/password'

const JEAN = { firstNames: 'Jean', lastName: 'Dupont', birthDate: '1950-11-02', nir: '150116912304532', identifiant: 'jdupont.lyon' }
const AICHA = { firstNames: 'Aïcha', lastName: 'Benali', birthDate: '1990-07-21', nir: '290071305532170', identifiant: 'aicha.b13' }

describe('règles du mot de passe', () => {
  it.each([
    ['Tulipe-Verte-Montagne-42', JEAN],
    ['un chat gris dort sur le radiateur', JEAN],
    ['Quatre bateaux bleus à Lorient', JEAN],
    ['x'.repeat(3) + ' Pivoine Ardoise Girafe 88', AICHA],
    ['Des espaces sont permis ici aussi', AICHA],
  ])('accepte « %s »', (pw, ctx) => {
    expect(checkPassword(pw, ctx)).toEqual({ ok: true })
  })

  it.each([
    ['', JEAN, 'empty'],
    ['court-11car', JEAN, 'too_short'],
    ['Oiseau bleu', JEAN, 'too_short'],
    ['a'.repeat(129), JEAN, 'too_long'],
    ['Jean aime les tulipes rouges', JEAN, 'name'],
    ['dupont-vert-montagne-88', JEAN, 'name'],
    ['Parapluie AÏCHA orange 77', AICHA, 'name'],
    ['benali.parapluie.orange', AICHA, 'name'],
    ['Pivoine-Ardoise-02111950', JEAN, 'birth_date'],
    ['Pivoine-Ardoise-02/11/1950', JEAN, 'birth_date'],
    ['Pivoine-Ardoise-02.11.50', JEAN, 'birth_date'],
    ['Pivoine-Ardoise-19501102', JEAN, 'birth_date'],
    ['Pivoine-Ardoise-2-11-1950', JEAN, 'birth_date'],
    ['Pivoine 2 novembre 1950 ardoise', JEAN, 'birth_date'],
    ['Girafe-Ardoise-21 juillet 90', AICHA, 'birth_date'],
    ['Girafe 1 50 11 69 123 045 32', JEAN, 'nir'],
    ['Girafe-1501169123045-pivoine', JEAN, 'nir'],
    ['JDupont.Lyon-Girafe-Pivoine', { ...JEAN, lastName: 'Durand' }, 'identifiant'],
    ['motdepasse123', JEAN, 'common'],
    ['azertyuiop123', JEAN, 'common'],
    ['password1234', JEAN, 'common'],
    ['aaaaaaaaaaaa', JEAN, 'common'],
    ['bonjour12345', JEAN, 'common'],
    ['123456789012', JEAN, 'common'],
    ['marseille13000', JEAN, 'common'],
  ] as const)('refuse « %s » (%s)', (pw, ctx, reason) => {
    expect(checkPassword(pw, ctx)).toEqual({ ok: false, reason, message: PASSWORD_MESSAGES[reason] })
  })

  it('a un message différent pour chaque refus', () => {
    const messages = Object.values(PASSWORD_MESSAGES)
    expect(new Set(messages).size).toBe(messages.length)
    for (const m of messages) expect(m).not.toContain('’')
  })

  it('compte les caractères, pas les octets (12 caractères accentués suffisent)', () => {
    expect(checkPassword('éééééééééééé').ok === false && (checkPassword('éééééééééééé') as { reason: string }).reason).toBe('common')
    expect((checkPassword('ééééééééééé') as { reason: string }).reason).toBe('too_short')
  })

  it('accepte 128 caractères', () => {
    const long = 'Kx9 pivoine Lm2 ardoise '.repeat(6).slice(0, 128)
    expect(checkPassword(long, JEAN)).toEqual({ ok: true })
  })

  it('donne les formes usuelles de la date de naissance', () => {
    const f = birthDateForms('1950-11-02')
    expect(f.digits).toEqual(expect.arrayContaining(['02111950', '021150', '19501102', '2111950']))
    expect(f.words).toEqual(expect.arrayContaining(['2novembre1950']))
  })

  it('note les mots de passe courants sous le seuil', () => {
    expect(passwordScore('azerty123456')).toBeLessThan(3)
    expect(passwordScore('Tulipe-Verte-Montagne-42')).toBeGreaterThanOrEqual(3)
  })
})
