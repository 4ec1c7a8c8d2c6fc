import crypto from 'node:crypto'

/** One-time codes of the second factor: 6 digits, 10 minutes, single use, 5 tries. */
export const OTP_VALIDITY_MS = 10 * 60 * 1000
export const OTP_MAX_ATTEMPTS = 5

export function generateOtp(): string {
  return String(crypto.randomInt(0, 1_000_000)).padStart(6, '0')
}

export function hashOtp(key: Buffer, challengeId: string, code: string): string {
  return crypto.createHmac('sha256', key).update(`${challengeId}:${code}`).digest('hex')
}

export function otpMatches(key: Buffer, challengeId: string, typed: string, storedHash: string): boolean {
  const a = Buffer.from(hashOtp(key, challengeId, typed), 'hex')
  const b = Buffer.from(storedHash, 'hex')
  return a.length === b.length && crypto.timingSafeEqual(a, b)
}

export function normaliseOtp(input: string | undefined): string {
  return (input ?? '').replace(/[\s-]/g, '')
}

/**
 * 'camille.martin@courriel.example' → 'c•••@courriel.example': the first letter and the domain, three
 * dots whatever the length (the length is not told, and the address fits a phone's width); the one
 * rule of the sign-in, France Services and the phone opposition. '0612345678' → '06 •• •• •• 78'.
 */
export function maskEmail(email: string): string {
  const [local, domain] = email.split('@')
  return `${local.slice(0, 1)}•••@${domain ?? ''}`
}

export function maskPhone(phone: string): string {
  const d = phone.replace(/\D/g, '')
  return `${d.slice(0, 2)} •• •• •• ${d.slice(-2)}`
}
