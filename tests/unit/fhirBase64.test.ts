import { isBase64 } from '../../src/domain/fhir'

describe('isBase64: the content of a posted DocumentReference', () => {
  test('what Buffer writes in base64 is accepted, whatever its length (padding 0, 1 or 2)', () => {
    for (let n = 1; n <= 12; n++) expect(isBase64(Buffer.alloc(n, 0xfb).toString('base64'))).toBe(true)
  })

  test('anything else is refused', () => {
    for (const bad of ['', '***', 'abc', 'ab=c', '=abc', 'a===', 'abc==', 'ab-_', 'ab c', 'YWJj\n', 'YQ==YQ==', 'éééé'])
      expect([bad, isBase64(bad)]).toEqual([bad, false])
  })

  test('a 14 Mo document is checked in one pass, without exhausting the regular-expression stack', () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 7).toString('base64')
    expect(isBase64(big)).toBe(true)
    expect(isBase64(`${big.slice(0, -4)}YQ*=`)).toBe(false)
  })
})
