import { luhnValid, validateRpps } from '../../src/domain/rpps'

describe('RPPS', () => {
  it.each(['10100012342', '10100023455', '10100034569', '10100045672'])('accepte le numéro de démonstration %s', (rpps) => {
    expect(validateRpps(rpps)).toEqual({ ok: true, rpps })
  })
  it.each([
    ['', 'Saisissez votre numéro RPPS'],
    ['1010001234', 'Le numéro RPPS contient 11 chiffres'],
    ['1010001234a', 'Le numéro RPPS contient 11 chiffres'],
    ['10100012343', "Le numéro RPPS n'est pas valide : vérifiez le dernier chiffre"],
  ])('refuse « %s »', (input, message) => {
    expect(validateRpps(input)).toEqual({ ok: false, message })
  })
  it('applique la formule de Luhn', () => {
    expect(luhnValid('79927398713')).toBe(true)
    expect(luhnValid('79927398710')).toBe(false)
  })
})
