import { validateNir } from '../../domain/nir'
import { checkCodeFormat } from '../../domain/provisionalCode'
import { addError, checkDate, dateParts, type DateParts, type FormErrors } from '../../validation'
import { type FormBody } from '../../middleware/forms'

/** What a person typed in the identity fields, kept to show the form again (never the code in a page title or log). */
export interface IdentityValues {
  code?: string
  nir?: string
  birthDate?: DateParts
}

/** Reads and checks the provisional code field; returns the normalised code. */
export function readCode(body: FormBody, errors: FormErrors): string | undefined {
  const r = checkCodeFormat(String(body.code ?? ''))
  if (!r.ok) {
    addError(errors, 'code', r.message)
    return undefined
  }
  return r.code
}

/**
 * Reads and checks the NIR and the date of birth (three boxes, `birthDate-day`...). `number`: how the messages
 * name the number when it is not the reader's own (see `validateNir`).
 */
export function readNirAndBirthDate(body: FormBody, errors: FormErrors, number?: string): { nir?: string; birthDate?: string } {
  const nirCheck = validateNir(String(body.nir ?? ''), number)
  if (!nirCheck.ok) addError(errors, 'nir', nirCheck.message)
  const d = checkDate(dateParts(body, 'birthDate'), 'la date de naissance', { notFuture: true })
  if (!d.ok && !errors.fields.birthDate) {
    addError(errors, 'birthDate', d.message, `birthDate-${d.part}`)
    // Which box to mark in red (the date input macro reads it).
    Object.assign(errors.fields.birthDate, { part: d.part })
  }
  return { nir: nirCheck.ok ? nirCheck.nir : undefined, birthDate: d.ok ? d.value : undefined }
}

export function identityValues(body: FormBody, withCode = false): IdentityValues {
  return {
    code: withCode ? String(body.code ?? '').slice(0, 40) : undefined,
    nir: String(body.nir ?? '').slice(0, 40),
    birthDate: dateParts(body, 'birthDate'),
  }
}

/** A French e-mail address check, simple and permissive (the verification code proves it). */
export function checkEmail(input: string): { ok: true; email: string } | { ok: false; message: string } {
  const email = input.trim()
  if (!email) return { ok: false, message: 'Saisissez votre adresse électronique' }
  if (email.length > 254) return { ok: false, message: "L'adresse électronique doit contenir 254 caractères au maximum" }
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    return { ok: false, message: 'Saisissez une adresse électronique valide, par exemple nom@exemple.fr' }
  return { ok: true, email: email.toLowerCase() }
}

/** A French mobile number: 06 or 07 followed by 8 digits (spaces, dots allowed), or +33 6/7. */
export function checkMobile(input: string): { ok: true; mobile: string | null } | { ok: false; message: string } {
  const raw = input.trim()
  if (!raw) return { ok: true, mobile: null }
  const digits = raw
    .replace(/[\s.\-()]/g, '')
    .replace(/^\+33/, '0')
    .replace(/^0033/, '0')
  if (!/^0[67]\d{8}$/.test(digits))
    return { ok: false, message: 'Saisissez un numéro de mobile français valide, par exemple 06 12 34 56 78' }
  return { ok: true, mobile: digits }
}
