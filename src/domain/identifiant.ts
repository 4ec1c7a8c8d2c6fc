import { normaliseNir, validateNir } from './nir'

/**
 * The identifiant a person chooses at activation (SPEC §2): 8 to 100 characters, lower-case letters
 * without accents, digits, `.`, `-` and `_`; not a NIR, an e-mail address or an IBAN; unique (checked
 * by the service); it cannot be changed later.
 */
export const IDENTIFIANT_MIN = 8
export const IDENTIFIANT_MAX = 100

export type IdentifiantResult = { ok: true; identifiant: string } | { ok: false; message: string }

/** Whether a string is an IBAN (ISO 13616: country, 2 check digits, mod 97 = 1). */
export function isIban(input: string): boolean {
  const s = input.replace(/[\s.\-_]/g, '').toUpperCase()
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false
  const rearranged = s.slice(4) + s.slice(0, 4)
  const digits = rearranged.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55))
  return BigInt(digits) % 97n === 1n
}

/** Whether a string is a NIR: a valid one with its key, or 13 digits that start like one. */
export function looksLikeNir(input: string): boolean {
  const n = normaliseNir(input)
  if (validateNir(n).ok) return true
  return /^[12]\d{12}(\d{2})?$/.test(n)
}

export function validateIdentifiant(input: string | undefined | null): IdentifiantResult {
  const value = (input ?? '').trim()
  if (!value) return { ok: false, message: 'Choisissez un identifiant' }
  if (value.includes('@')) return { ok: false, message: "L'identifiant ne peut pas être une adresse électronique" }
  if ([...value].length < IDENTIFIANT_MIN)
    return { ok: false, message: `L'identifiant doit contenir au moins ${IDENTIFIANT_MIN} caractères` }
  if ([...value].length > IDENTIFIANT_MAX)
    return { ok: false, message: `L'identifiant doit contenir ${IDENTIFIANT_MAX} caractères au maximum` }
  if (/[A-Z]/.test(value)) return { ok: false, message: "L'identifiant doit être écrit en lettres minuscules" }
  if (/\p{L}/u.test(value.replace(/[a-z]/g, '')))
    return {
      ok: false,
      message: "L'identifiant ne doit pas contenir de lettres accentuées (é, è, ç...) : écrivez par exemple « e » au lieu de « é »",
    }
  if (/\s/.test(value)) return { ok: false, message: "L'identifiant ne doit pas contenir d'espace" }
  if (!/^[a-z0-9._-]+$/.test(value)) {
    return {
      ok: false,
      message:
        "L'identifiant ne peut contenir que des lettres minuscules sans accent, des chiffres, le point (.), le tiret (-) et le tiret bas (_)",
    }
  }
  if (looksLikeNir(value)) return { ok: false, message: "L'identifiant ne peut pas être un numéro de sécurité sociale" }
  if (isIban(value)) return { ok: false, message: "L'identifiant ne peut pas être un numéro de compte bancaire (IBAN)" }
  return { ok: true, identifiant: value }
}
