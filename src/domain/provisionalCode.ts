import crypto from 'node:crypto'

/**
 * Provisional codes: 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U),
 * drawn from a CSPRNG, shown in groups of 4, typed with or without spaces or dashes in any case,
 * stored only as a keyed hash (HMAC-SHA-256), single use, valid 6 weeks.
 */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ'
export const CODE_LENGTH = 12
export const CODE_VALIDITY_DAYS = 42

const LIMIT = 256 - (256 % CODE_ALPHABET.length) // rejection sampling keeps the draw uniform

/** Generates `count` codes at once (one call to the CSPRNG for the batch). */
export function generateCodes(count: number): string[] {
  const out = new Array<string>(count)
  const alphabet = Buffer.from(CODE_ALPHABET, 'latin1')
  const code = Buffer.alloc(CODE_LENGTH)
  let buf = crypto.randomBytes(count * CODE_LENGTH * 2)
  let pos = 0
  for (let i = 0; i < count; i++) {
    let n = 0
    while (n < CODE_LENGTH) {
      if (pos >= buf.length) {
        buf = crypto.randomBytes(count * CODE_LENGTH)
        pos = 0
      }
      const b = buf[pos++]
      if (b < LIMIT) code[n++] = alphabet[b % CODE_ALPHABET.length]
    }
    out[i] = code.toString('latin1')
  }
  return out
}

export function generateCode(): string {
  return generateCodes(1)[0]
}

export function normaliseCode(input: string): string {
  return input.replace(/[\s\-_.]/g, '').toUpperCase()
}

export type CodeFormat = { ok: true; code: string } | { ok: false; message: string }

export function checkCodeFormat(input: string | undefined | null): CodeFormat {
  const code = normaliseCode(input ?? '')
  if (!code) return { ok: false, message: 'Saisissez votre code provisoire' }
  if (code.length !== CODE_LENGTH) {
    return { ok: false, message: `Le code provisoire contient 12 caractères (vous en avez saisi ${code.length})` }
  }
  if (![...code].every((c) => CODE_ALPHABET.includes(c))) {
    return {
      ok: false,
      message: 'Le code provisoire ne contient que des chiffres de 2 à 9 et des lettres (jamais O, I, L ni U) : vérifiez votre saisie',
    }
  }
  return { ok: true, code }
}

/** 'H8RD2VNC6JQE' → 'H8RD 2VNC 6JQE' */
export function formatCode(code: string): string {
  return normaliseCode(code).replace(/(.{4})(?=.)/g, '$1 ')
}

export function hashCode(key: Buffer, code: string): string {
  return crypto.createHmac('sha256', key).update(normaliseCode(code)).digest('hex')
}

/** Compares a typed code with a stored hash in constant time. */
export function codeMatches(key: Buffer, typed: string, storedHash: string): boolean {
  const a = Buffer.from(hashCode(key, typed), 'hex')
  const b = Buffer.from(storedHash, 'hex')
  return a.length === b.length && crypto.timingSafeEqual(a, b)
}
