import { formatNir, maskNir, nirKey, nirMatchesBirthDate, validateNir } from '../../src/domain/nir'

describe('NIR', () => {
  it.each([
    ['2 68 03 75 056 123 63', '268037505612363'],
    ['1 50 11 69 123 045 32', '150116912304532'],
    ['290071305532170', '290071305532170'],
    ['1-85-04-33-063-210-36', '185043306321036'],
    ['1 15 06 75 056 089 76', '115067505608976'],
  ])('accepte %s', (input, nir) => {
    expect(validateNir(input)).toEqual({ ok: true, nir })
  })

  it('calcule la clé corse avec 2A = 19 et 2B = 18', () => {
    const a = '1850' + '2A' + '0' // placeholder to build below
    expect(a).toHaveLength(7)
    const corsicaA = '185042A004012'
    const corsicaB = '185042B004012'
    expect(nirKey(corsicaA)).toBe(97 - Number(1850419004012n % 97n))
    expect(nirKey(corsicaB)).toBe(97 - Number(1850418004012n % 97n))
    const keyA = String(nirKey(corsicaA)).padStart(2, '0')
    expect(validateNir(`${corsicaA}${keyA}`)).toEqual({ ok: true, nir: `${corsicaA}${keyA}` })
    expect(validateNir(`${corsicaB}${keyA}`).ok).toBe(nirKey(corsicaB) === nirKey(corsicaA))
  })

  it.each([
    ['', 'Saisissez votre numéro de sécurité sociale'],
    ['2 68 03 75 056 123 64', 'La clé de votre numéro de sécurité sociale ne correspond pas'],
    ['2680375056123', 'Le numéro de sécurité sociale doit contenir 15 caractères, clé comprise (vous en avez saisi 13)'],
    ['368037505612363', 'Le numéro de sécurité sociale doit commencer par 1 ou 2'],
    ['268137505612363', "Le mois de naissance du numéro de sécurité sociale n'est pas valide (4e et 5e chiffres)"],
    ['268004305612363', "Le mois de naissance du numéro de sécurité sociale n'est pas valide (4e et 5e chiffres)"],
    ['268032005612363', "Le département de naissance du numéro de sécurité sociale n'est pas valide (6e et 7e caractères)"],
    ['26803750560001A', 'Le numéro de sécurité sociale ne doit contenir que des chiffres après le département'],
    ['268037505600063', "Le numéro d'ordre du numéro de sécurité sociale n'est pas valide"],
    ['2680375O5612363', 'Le numéro de sécurité sociale ne doit contenir que des chiffres (et 2A ou 2B pour la Corse)'],
  ])('refuse « %s » : %s', (input, message) => {
    expect(validateNir(input)).toEqual({ ok: false, message })
  })

  it("le numéro de quelqu'un d'autre : les messages disent à qui il est, pas « votre numéro »", () => {
    expect(validateNir('', 'son numéro de sécurité sociale')).toEqual({ ok: false, message: 'Saisissez son numéro de sécurité sociale' })
    expect(validateNir('2 68 03 75 056 123 64', 'son numéro de sécurité sociale')).toEqual({
      ok: false,
      message: 'La clé de son numéro de sécurité sociale ne correspond pas',
    })
    expect(validateNir('2 68 03 75 056 123 64', 'le numéro de sécurité sociale du patient')).toEqual({
      ok: false,
      message: 'La clé du numéro de sécurité sociale du patient ne correspond pas',
    })
    expect(validateNir('', 'le numéro de sécurité sociale')).toEqual({ ok: false, message: 'Saisissez le numéro de sécurité sociale' })
  })

  it('accepte les mois spéciaux utilisés par l’INSEE (20 à 42, 50 à 99)', () => {
    for (const month of ['20', '42', '50', '99']) {
      const first = `168${month}75056123`
      const key = String(nirKey(first)).padStart(2, '0')
      expect(validateNir(first + key).ok).toBe(true)
    }
    const first = '16843750561 23'.replace(' ', '')
    expect(validateNir(first + String(nirKey(first)).padStart(2, '0')).ok).toBe(false)
  })

  it('met en forme et masque', () => {
    expect(formatNir('268037505612363')).toBe('2 68 03 75 056 123 63')
    expect(maskNir('268037505612363')).toBe('2 •• •• •• ••• ••• 63')
  })

  it('vérifie la cohérence avec la date de naissance', () => {
    expect(nirMatchesBirthDate('268037505612363', '1968-03-14')).toBe(true)
    expect(nirMatchesBirthDate('268037505612363', '1968-04-14')).toBe(false)
    expect(nirMatchesBirthDate('268037505612363', '1969-03-14')).toBe(false)
  })
})
