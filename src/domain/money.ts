/**
 * Money is kept in cents (integers). Pages show euros the French way: «1 234,56 €», with a narrow
 * no-break space between thousands and a no-break space before the sign.
 */
const NNBSP = '\u202f'
const NBSP = '\u00a0'

export function formatEuros(cents: number): string {
  if (!Number.isInteger(cents)) throw new Error('Montant en centimes attendu')
  const sign = cents < 0 ? '-' : ''
  const abs = Math.abs(cents)
  const euros = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, NNBSP)
  return `${sign}${euros},${String(abs % 100).padStart(2, '0')}${NBSP}€`
}

/**
 * Reads an amount in euros as written in a file or a form: «25», «25,5», «25,50», «25.50»,
 * «1 234,56», optionally followed by «€». Returns cents, or null when it is not an amount.
 * Negative amounts are refused.
 */
export function parseEuros(input: string): number | null {
  const s = input.replace(/[\s\u00a0\u202f]/g, '').replace(/€$/, '')
  const m = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(s)
  if (!m) return null
  const cents = Number(m[1]) * 100 + (m[2] ? Number(m[2].padEnd(2, '0')) : 0)
  return Number.isSafeInteger(cents) && cents <= 2_000_000_000 ? cents : null
}
