import { formatEuros, parseEuros } from '../../src/domain/money'

describe('montants en euros', () => {
  it.each([
    [0, '0,00\u00a0€'],
    [5, '0,05\u00a0€'],
    [2000, '20,00\u00a0€'],
    [2345, '23,45\u00a0€'],
    [123456, '1\u202f234,56\u00a0€'],
    [123456789, '1\u202f234\u202f567,89\u00a0€'],
    [-1550, '-15,50\u00a0€'],
  ])('%d centimes → %s', (cents, text) => {
    expect(formatEuros(cents)).toBe(text)
  })

  it('refuse un montant qui ne serait pas en centimes', () => {
    expect(() => formatEuros(12.5)).toThrow()
  })

  it.each([
    ['25', 2500],
    ['25,5', 2550],
    ['25,50', 2550],
    ['25.05', 2505],
    ['1 234,56', 123456],
    ['1\u202f234,56 €', 123456],
    ['0', 0],
    ['', null],
    ['-5,00', null],
    ['12,345', null],
    ['douze', null],
    ['1e3', null],
    ['25,', null],
  ])('%j → %s', (input, cents) => {
    expect(parseEuros(input)).toBe(cents)
  })
})
