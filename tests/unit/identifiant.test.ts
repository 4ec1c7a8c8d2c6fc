import { isIban, looksLikeNir, validateIdentifiant } from '../../src/domain/identifiant'

describe('identifiant', () => {
  it.each([['jean.dupont'], ['camille_martin-75'], ['abcdefgh'], ['a'.repeat(100)], ['12345678'], ['j.dupont.1950']])(
    'accepte « %s »',
    (id) => {
      expect(validateIdentifiant(id)).toEqual({ ok: true, identifiant: id })
    },
  )

  it.each([
    ['', 'Choisissez un identifiant'],
    ['   ', 'Choisissez un identifiant'],
    ['jean.du', "L'identifiant doit contenir au moins 8 caractères"],
    ['a'.repeat(101), "L'identifiant doit contenir 100 caractères au maximum"],
    ['Jean.Dupont', "L'identifiant doit être écrit en lettres minuscules"],
    ['hélène.durand', "L'identifiant ne doit pas contenir de lettres accentuées (é, è, ç...) : écrivez par exemple « e » au lieu de « é »"],
    ['françois.b', "L'identifiant ne doit pas contenir de lettres accentuées (é, è, ç...) : écrivez par exemple « e » au lieu de « é »"],
    ['jean dupont', "L'identifiant ne doit pas contenir d'espace"],
    [
      'jean+dupont',
      "L'identifiant ne peut contenir que des lettres minuscules sans accent, des chiffres, le point (.), le tiret (-) et le tiret bas (_)",
    ],
    [
      'jean.dupont!',
      "L'identifiant ne peut contenir que des lettres minuscules sans accent, des chiffres, le point (.), le tiret (-) et le tiret bas (_)",
    ],
    ['jean.dupont@courriel.example', "L'identifiant ne peut pas être une adresse électronique"],
    ['150116912304532', "L'identifiant ne peut pas être un numéro de sécurité sociale"],
    ['1.50.11.69.123.045.32', "L'identifiant ne peut pas être un numéro de sécurité sociale"],
    ['1501169123045', "L'identifiant ne peut pas être un numéro de sécurité sociale"],
    ['fr7630006000011234567890189', "L'identifiant ne peut pas être un numéro de compte bancaire (IBAN)"],
    ['fr76-3000-6000-0112-3456-7890-189', "L'identifiant ne peut pas être un numéro de compte bancaire (IBAN)"],
  ])('refuse « %s » : %s', (id, message) => {
    expect(validateIdentifiant(id)).toEqual({ ok: false, message })
  })

  it.each([
    ['FR7630006000011234567890189', true],
    ['FR76 3000 6000 0112 3456 7890 189', true],
    ['FR7630006000011234567890188', false],
    ['DE89370400440532013000', true],
    ['jean.dupont', false],
  ])('IBAN %s : %s', (s, expected) => {
    expect(isIban(s)).toBe(expected)
  })

  it.each([
    ['268037505612363', true],
    ['2680375056123', true],
    ['12345678', false],
    ['368037505612363', false],
  ])('NIR %s : %s', (s, expected) => {
    expect(looksLikeNir(s)).toBe(expected)
  })
})
