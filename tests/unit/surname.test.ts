import { normaliseSurname, sameSurname } from '../../src/domain/surname'

// One rule for every door where someone types a surname (France Services counter, professional
// portal, secure messaging, opposition by phone): these cases were once spread over four copies
// that disagreed on «Cœur» / «Coeur».
describe('matching a person by surname', () => {
  it.each<[string, string, boolean]>([
    // case, accents, surrounding spaces
    ['Dupont', 'Dupont', true],
    ['DUPONT', 'Dupont', true],
    [' dupont ', 'Dupont', true],
    ['Lefevre', 'Lefèvre', true],
    ['Lévêque', 'LEVEQUE', true],
    ['benali', 'Benali', true],
    // ligatures, both ways and in capitals
    ['Coeur', 'Cœur', true],
    ['Cœur', 'Coeur', true],
    ['COEUR', 'CŒUR', true],
    ['Laetitia', 'Lætitia', true],
    ['AEBERHARD', 'Æberhard', true],
    ['Strauss', 'Strauß', true],
    ['Sorensen', 'Sørensen', true],
    // hyphens, apostrophes (straight and curly), spaces and dots
    ['D Oppose Eleonore', "D'Oppose-Éléonore", true],
    ['Dupont-Martin', 'dupont martin', true],
    ["N'Diaye", 'n diaye', true],
    ['N’Diaye', "N'Diaye", true],
    ['Le Gall-Durand', 'legall durand', true],
    ['St. Martin', 'Saint-Martin', false],
    // different names
    ['Martin', 'Martine', false],
    ['Dupond', 'Dupont', false],
    ['Dupont Martin', 'Dupont', false],
    ['Cour', 'Cœur', false],
    // nothing typed, or only separators, never matches
    ['', 'Dupont', false],
    ['Martin', '', false],
    [" -' ", " '- ", false],
  ])('%s / %s → %s', (typed, onFile, expected) => {
    expect(sameSurname(typed, onFile)).toBe(expected)
  })

  it('normalises accents, ligatures, case, spaces, hyphens and apostrophes', () => {
    expect(normaliseSurname("  N'Diaye-Müller ")).toBe('ndiayemuller')
    expect(normaliseSurname('Cœur')).toBe('coeur')
    expect(normaliseSurname('CŒUR')).toBe('coeur')
    expect(normaliseSurname('Æ')).toBe('ae')
  })

  it('keeps letters of other scripts instead of dropping the whole name', () => {
    expect(normaliseSurname('Иванов')).toBe('иванов')
    expect(sameSurname('ИВАНОВ', 'Иванов')).toBe(true)
    expect(sameSurname('Иванов', 'Петров')).toBe(false)
  })
})
