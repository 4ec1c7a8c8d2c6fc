import { ZxcvbnFactory, type ZxcvbnResult } from '@zxcvbn-ts/core'
import * as common from '@zxcvbn-ts/language-common'
import * as fr from '@zxcvbn-ts/language-fr'

/**
 * Password rules (SPEC §2): at least 12 characters, at most 128, spaces allowed, no composition
 * rule; refused when common (zxcvbn-ts with its common and French dictionaries) or when it contains
 * the person's names, date of birth (usual forms), NIR or identifiant. Each refusal has its own message.
 */
export const PASSWORD_MIN = 12
export const PASSWORD_MAX = 128
/** zxcvbn scores below this are refused (3 = «safely unguessable» against online attacks, ≥ 10⁸ guesses). */
export const PASSWORD_MIN_SCORE = 3

export interface PasswordContext {
  firstNames?: string
  lastName?: string
  /** YYYY-MM-DD */
  birthDate?: string
  nir?: string
  identifiant?: string
}

export type PasswordRefusal = 'empty' | 'too_short' | 'too_long' | 'name' | 'birth_date' | 'nir' | 'identifiant' | 'common'

export const PASSWORD_MESSAGES: Record<PasswordRefusal, string> = {
  empty: 'Choisissez un mot de passe',
  too_short: `Le mot de passe doit contenir au moins ${PASSWORD_MIN} caractères`,
  too_long: `Le mot de passe doit contenir ${PASSWORD_MAX} caractères au maximum`,
  name: 'Le mot de passe ne doit pas contenir votre nom ou votre prénom',
  birth_date: 'Le mot de passe ne doit pas contenir votre date de naissance',
  nir: 'Le mot de passe ne doit pas contenir votre numéro de sécurité sociale',
  identifiant: 'Le mot de passe ne doit pas contenir votre identifiant',
  common:
    'Ce mot de passe est trop courant ou trop facile à deviner. Choisissez par exemple une phrase de plusieurs mots que vous retiendrez facilement',
}

export type PasswordCheck = { ok: true } | { ok: false; reason: PasswordRefusal; message: string }

const MONTHS = ['janvier', 'fevrier', 'mars', 'avril', 'mai', 'juin', 'juillet', 'aout', 'septembre', 'octobre', 'novembre', 'decembre']

/** Lower case, accents removed, only letters and digits kept: «Élodie-Marie 02/11» → «elodiemarie0211». */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
}

/** The usual ways of writing a date of birth, as digit strings and with the month in words. */
export function birthDateForms(birthDate: string): { digits: string[]; words: string[] } {
  const [y, m, d] = birthDate.split('-')
  const yy = y.slice(2)
  const dn = String(Number(d))
  const mn = String(Number(m))
  const digits = new Set([`${d}${m}${y}`, `${d}${m}${yy}`, `${y}${m}${d}`, `${yy}${m}${d}`, `${dn}${mn}${y}`, `${m}${d}${y}`])
  const month = MONTHS[Number(m) - 1]
  const words = new Set([`${dn}${month}${y}`, `${d}${month}${y}`, `${dn}${month}${yy}`, `${d}${month}${yy}`])
  return { digits: [...digits], words: [...words] }
}

let estimator: ZxcvbnFactory | undefined
function zxcvbn(password: string): ZxcvbnResult {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...fr.dictionary },
    graphs: common.adjacencyGraphs,
    translations: fr.translations,
    // Only the beginning is estimated: a long password is strong anyway, and the estimate's cost grows with the length.
    maxLength: 64,
  })
  return estimator.check(password)
}

/** The strength estimate (0 to 4) of a password, for tests and for the rule below. */
export function passwordScore(password: string): number {
  return zxcvbn(password).score
}

export function checkPassword(password: string | undefined | null, ctx: PasswordContext = {}): PasswordCheck {
  const refuse = (reason: PasswordRefusal): PasswordCheck => ({ ok: false, reason, message: PASSWORD_MESSAGES[reason] })
  const pw = (password ?? '').normalize('NFC')
  if (!pw) return refuse('empty')
  const length = [...pw].length
  if (length < PASSWORD_MIN) return refuse('too_short')
  if (length > PASSWORD_MAX) return refuse('too_long')
  const folded = fold(pw)
  const digits = pw.replace(/\D/g, '')

  const names = [ctx.firstNames, ctx.lastName]
    .filter((n): n is string => Boolean(n))
    .flatMap((n) => n.split(/[\s'’-]+/))
    .map(fold)
    .filter((n) => n.length >= 3)
  if (names.some((n) => folded.includes(n))) return refuse('name')

  if (ctx.birthDate && /^\d{4}-\d{2}-\d{2}$/.test(ctx.birthDate)) {
    const forms = birthDateForms(ctx.birthDate)
    if (forms.digits.some((f) => digits.includes(f)) || forms.words.some((f) => folded.includes(f))) return refuse('birth_date')
  }

  if (ctx.nir) {
    const nir = ctx.nir.replace(/\D/g, '')
    if (nir.length >= 13 && digits.includes(nir.slice(0, 13))) return refuse('nir')
  }

  if (ctx.identifiant) {
    const id = fold(ctx.identifiant)
    if (id.length >= 3 && folded.includes(id)) return refuse('identifiant')
  }

  if (zxcvbn(pw).score < PASSWORD_MIN_SCORE) return refuse('common')
  return { ok: true }
}
