import { fileSize } from '../../src/domain/fileSize'

describe('taille d’un fichier en français', () => {
  it.each([
    [0, '0 octet'],
    [1, '1 octet'],
    [605, '605 octets'],
    [1023, '1023 octets'],
    [1024, '1 Ko'],
    [1536, '2 Ko'],
    [850 * 1024, '850 Ko'],
    [1023 * 1024, '1023 Ko'],
    [1024 * 1024 - 100, '1,0 Mo'],
    [1024 * 1024, '1,0 Mo'],
    [Math.round(12.34 * 1024 * 1024), '12,3 Mo'],
  ])('%i octets : «%s»', (bytes, label) => {
    expect(fileSize(bytes)).toBe(label)
  })
})
