import { bornOn, de, elides, le } from '../../src/domain/french'

describe('élision en français', () => {
  it.each([
    ['Inès', "d'Inès"],
    ['Léo', 'de Léo'],
    ['Hélène Faure', "d'Hélène Faure"],
    ['Émile', "d'Émile"],
    ['Chloé', 'de Chloé'],
    ['Yves', "d'Yves"],
    ['  Aïcha ', "d'Aïcha"],
    ['Œdipe', "d'Œdipe"],
  ])('de %s → %s', (name, expected) => {
    expect(de(name)).toBe(expected)
  })

  it("le/l' devant un nom", () => {
    expect(le('enfant')).toBe("l'enfant")
    expect(le('dossier')).toBe('le dossier')
    expect(le('hôpital')).toBe("l'hôpital")
    expect(`le profil ${de('Inès')}`).toBe("le profil d'Inès")
  })

  it('ne coupe pas sur une consonne', () => {
    expect(elides('Bernard')).toBe(false)
    expect(elides('')).toBe(false)
  })

  it('« Née le » ou « Né le » selon le sexe', () => {
    expect(bornOn('F')).toBe('Née le')
    expect(bornOn('M')).toBe('Né le')
    expect(bornOn(null)).toBe('Né(e) le')
  })
})
