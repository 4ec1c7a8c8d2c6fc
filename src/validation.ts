import { frenchDate, isoDate } from './domain/parisTime'

/**
 * Shared helpers for forms: errors in the shapes govuk-frontend macros expect
 * (an error per field next to it, and the list for the error summary at the top).
 */
export interface FieldError {
  text: string
}
export interface FormErrors {
  /** field name → its message, for `errorMessage` of the macro. */
  fields: Record<string, FieldError>
  /** in page order, for govukErrorSummary `errorList` (href = '#' + id of the field). */
  list: { text: string; href: string }[]
  /** A sentence above the list, for govukErrorSummary `descriptionText` (see `compactSummary`). */
  description?: string
}

export function emptyErrors(): FormErrors {
  return { fields: {}, list: [] }
}

/** Adds an error for a field (first one wins). `anchor` is the id to focus, defaults to the field name. */
export function addError(errors: FormErrors, field: string, text: string, anchor = field): FormErrors {
  if (!errors.fields[field]) {
    errors.fields[field] = { text }
    errors.list.push({ text, href: `#${anchor}` })
  }
  return errors
}

/** More errors than this and the summary is compact (`compactSummary`). */
export const SUMMARY_MAX_LISTED = 4

/**
 * A long error summary pushes the page's h1 (which follows it, as govuk-frontend places it) off a phone's first
 * screen: a questionnaire sent empty lists every question. Past `SUMMARY_MAX_LISTED` errors, the summary says how
 * many there are (`describe`) and links to the first one only; every field keeps its own message next to it.
 */
export function compactSummary(
  errors: FormErrors,
  describe: (count: number) => string = (n) => `Il y a ${n} erreurs, chacune signalée au champ à corriger. La première :`,
): FormErrors {
  if (errors.list.length <= SUMMARY_MAX_LISTED) return errors
  return { ...errors, description: describe(errors.list.length), list: errors.list.slice(0, 1) }
}

export function hasErrors(errors: FormErrors): boolean {
  return errors.list.length > 0
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

export interface DateParts {
  day?: string
  month?: string
  year?: string
}

/** Whether a value whose type is not known (a parsed body, JSON) is an object whose fields can be read. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null
}

/** Reads the three fields of a govuk date input (`name-day`, `name-month`, `name-year`). */
export function dateParts(body: Record<string, unknown> | undefined, name: string): DateParts {
  const v = (k: string) => {
    const raw = body?.[`${name}-${k}`]
    return typeof raw === 'string' ? raw.trim() : undefined
  }
  return { day: v('day'), month: v('month'), year: v('year') }
}

export type DateCheck = { ok: true; value: string; date: Date } | { ok: false; message: string; part: 'day' | 'month' | 'year' }

/**
 * Validates a date typed in three boxes. Messages follow the GOV.UK pattern, in French.
 * `label` is the lower-case name of the date («la date de naissance»).
 */
export function checkDate(
  parts: DateParts,
  label: string,
  opts: { notFuture?: boolean; notBefore?: string; today?: Date } = {},
): DateCheck {
  const { day = '', month = '', year = '' } = parts
  const Label = label.charAt(0).toUpperCase() + label.slice(1)
  if (!day && !month && !year) return { ok: false, message: `Saisissez ${label}`, part: 'day' }
  if (!day) return { ok: false, message: `${Label} doit comporter un jour`, part: 'day' }
  if (!month) return { ok: false, message: `${Label} doit comporter un mois`, part: 'month' }
  if (!year) return { ok: false, message: `${Label} doit comporter une année`, part: 'year' }
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) {
    const part = !/^\d{1,2}$/.test(day) ? 'day' : !/^\d{1,2}$/.test(month) ? 'month' : 'year'
    return { ok: false, message: `${Label} doit être une vraie date, en chiffres (par exemple 27 3 2007)`, part }
  }
  const d = Number(day)
  const m = Number(month)
  const y = Number(year)
  const date = new Date(Date.UTC(y, m - 1, d))
  if (m < 1 || m > 12) return { ok: false, message: `${Label} doit être une vraie date`, part: 'month' }
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return { ok: false, message: `${Label} doit être une vraie date`, part: 'day' }
  }
  if (y < 1890) return { ok: false, message: `${Label} doit être postérieure à 1890`, part: 'year' }
  const value = `${pad(y, 4)}-${pad(m)}-${pad(d)}`
  if (opts.notFuture && value > isoDate(opts.today ?? new Date())) {
    return { ok: false, message: `${Label} doit être dans le passé ou aujourd'hui`, part: 'day' }
  }
  if (opts.notBefore && value < opts.notBefore) {
    return { ok: false, message: `${Label} ne peut pas être antérieure au ${frenchDate(opts.notBefore)}`, part: 'day' }
  }
  return { ok: true, value, date }
}

/**
 * Control characters nobody types in a form (tab and line breaks excepted): NUL, the other C0
 * controls, DEL and the C1 controls. A form field holding one is refused as a whole (400).
 */
// eslint-disable-next-line no-control-regex -- control characters are what this expression looks for
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/
/**
 * The bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): they
 * can make a text read differently from what it holds («Trojan Source»), in a title, a subject, a
 * message or a note another person reads. Removed from every text field.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g
/** The same, plus the bidirectional marks (LRM, RLM, ALM): none belongs in a file name. */
const BIDI_IN_NAME = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/

/** The answer to a form holding a control character (a 400 page). */
export const CONTROL_CHARACTERS_MESSAGE =
  'Le formulaire contient des caractères non autorisés (caractères de contrôle). Corrigez la saisie et réessayez.'

export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value)
}

/** A text field as kept: without bidirectional controls (see BIDI_CONTROLS). */
export function withoutBidiControls(value: string): string {
  return value.replace(BIDI_CONTROLS, '')
}

/** A file name holding a control or bidirectional character: refused (never renamed behind the person's back). */
export function unsafeNameCharacters(fileName: string): boolean {
  return CONTROL_CHARACTERS.test(fileName) || BIDI_IN_NAME.test(fileName)
}

/**
 * Every text field of a form, in one place: a control character refuses the form (the answer is a
 * 400 page), bidirectional controls are removed. Returns the cleaned value, or undefined when refused.
 * Applied to every urlencoded body (src/middleware/forms.ts) and every field of a multipart form
 * (src/middleware/multipart.ts), so titles, subjects, messages and notes all pass through it.
 */
export function cleanFormText(value: string): string | undefined {
  if (hasControlCharacters(value)) return undefined
  return withoutBidiControls(value)
}
