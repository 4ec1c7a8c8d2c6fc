import {
  CODE_ALPHABET,
  checkCodeFormat,
  codeMatches,
  formatCode,
  generateCodes,
  hashCode,
  normaliseCode,
} from '../../src/domain/provisionalCode'

const KEY = Buffer.from('cle-de-test-cle-de-test-cle-de-test')

describe('codes provisoires', () => {
  it('génère des codes de 12 caractères sans caractères ambigus', () => {
    const codes = generateCodes(2000)
    expect(new Set(codes).size).toBe(2000)
    for (const c of codes) {
      expect(c).toMatch(/^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{12}$/)
    }
    for (const ambiguous of ['0', 'O', '1', 'I', 'L', 'U']) expect(CODE_ALPHABET).not.toContain(ambiguous)
  })

  it('tire chaque caractère de façon à peu près uniforme', () => {
    const counts = new Map<string, number>()
    for (const c of generateCodes(5000).join('')) counts.set(c, (counts.get(c) ?? 0) + 1)
    const expected = (5000 * 12) / CODE_ALPHABET.length
    for (const ch of CODE_ALPHABET) {
      expect(counts.get(ch)).toBeGreaterThan(expected * 0.85)
      expect(counts.get(ch)).toBeLessThan(expected * 1.15)
    }
  })

  it.each([
    ['7K3M Q9TX 4WPB', '7K3MQ9TX4WPB'],
    ['7k3m-q9tx-4wpb', '7K3MQ9TX4WPB'],
    [' h8rd2vnc6jqe ', 'H8RD2VNC6JQE'],
  ])('accepte « %s » avec ou sans espaces, tirets, majuscules', (input, code) => {
    expect(checkCodeFormat(input)).toEqual({ ok: true, code })
    expect(normaliseCode(input)).toBe(code)
  })

  it.each([
    ['', 'Saisissez votre code provisoire'],
    ['7K3M Q9TX 4WP', 'Le code provisoire contient 12 caractères (vous en avez saisi 11)'],
    [
      '7K3M Q9TX 4WPO',
      'Le code provisoire ne contient que des chiffres de 2 à 9 et des lettres (jamais O, I, L ni U) : vérifiez votre saisie',
    ],
  ])('refuse « %s »', (input, message) => {
    expect(checkCodeFormat(input)).toEqual({ ok: false, message })
  })

  it('ne garde qu’un hachage à clé, comparé en temps constant', () => {
    const h = hashCode(KEY, '7K3MQ9TX4WPB')
    expect(h).toMatch(/^[0-9a-f]{64}$/)
    expect(h).not.toContain('7K3M')
    expect(hashCode(Buffer.from('une-autre-cle-une-autre-cle-xxxxx'), '7K3MQ9TX4WPB')).not.toBe(h)
    expect(codeMatches(KEY, '7k3m q9tx 4wpb', h)).toBe(true)
    expect(codeMatches(KEY, '7K3MQ9TX4WPC', h)).toBe(false)
  })

  it('affiche par groupes de 4', () => {
    expect(formatCode('H8RD2VNC6JQE')).toBe('H8RD 2VNC 6JQE')
  })
})
