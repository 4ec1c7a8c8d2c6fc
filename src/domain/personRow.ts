import { nirMatchesBirthDate, validateNir } from './nir'

/** The largest insured-persons import file accepted (its upload route, src/middleware/uploads.ts). */
export const PERSON_IMPORT_MAX_BYTES = 512 * 1024 * 1024

/**
 * One line of an insured-persons import file (CSV, `;` or `,` separated, with a header line).
 * Pure rules: a line is either a clean person or a list of faults, one per column, in French.
 */
export const IMPORT_COLUMNS = [
  'nir',
  'nom',
  'prenoms',
  'sexe',
  'date_naissance',
  'lieu_naissance',
  'adresse_ligne1',
  'adresse_ligne2',
  'code_postal',
  'ville',
  'courriel',
  'mobile',
] as const
export const REQUIRED_COLUMNS = ['nir', 'nom', 'prenoms', 'sexe', 'date_naissance'] as const

export interface PersonRow {
  nir: string
  last_name: string
  first_names: string
  sex: 'F' | 'M'
  birth_date: string
  birth_place: string | null
  address_line1: string | null
  address_line2: string | null
  postcode: string | null
  city: string | null
  email: string | null
  mobile: string | null
}

export interface RowFault {
  column: string
  message: string
}

export type RowResult = { ok: true; person: PersonRow } | { ok: false; faults: RowFault[] }

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/
const POSTCODE = /^(\d{5}|2[AB]\d{3}|98\d{3})$/
const MAX: Record<string, number> = {
  nom: 100,
  prenoms: 150,
  lieu_naissance: 100,
  adresse_ligne1: 150,
  adresse_ligne2: 150,
  code_postal: 10,
  ville: 100,
  courriel: 254,
}

/** The header's faults: missing required columns (then no line is read). */
export function checkHeader(columns: string[]): string[] {
  const names = columns.map((c) => c.trim().toLowerCase())
  return REQUIRED_COLUMNS.filter((c) => !names.includes(c)).map((c) => `La colonne «${c}» est absente de la première ligne du fichier`)
}

function digits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
}

/** 'YYYY-MM-DD' or 'DD/MM/YYYY' → 'YYYY-MM-DD', or null when it is not a real date. */
export function parseImportDate(raw: string): string | null {
  // Fast path, the usual form: 'YYYY-MM-DD' checked by hand (no regular expression, no Date).
  if (
    raw.length === 10 &&
    raw.charCodeAt(4) === 45 &&
    raw.charCodeAt(7) === 45 &&
    digits(raw, 0, 4) &&
    digits(raw, 5, 7) &&
    digits(raw, 8, 10)
  ) {
    const y = Number(raw.slice(0, 4))
    const m = Number(raw.slice(5, 7))
    const d = Number(raw.slice(8, 10))
    if (y < 100) return null // as below: Date.UTC reads years 0 to 99 as 1900 to 1999
    return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m) ? raw : null
  }
  let y: number, m: number, d: number
  let match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw)
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])]
  else if ((match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(raw))) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])]
  else return null
  const date = new Date(Date.UTC(y, m - 1, d))
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/** French mobile: 06/07 + 8 digits, or +33 6/7 + 8 digits; stored as +33…. */
export function normaliseMobile(raw: string): string | null {
  const s = raw.replace(/[\s.\-()]/g, '')
  const m = /^(?:\+33|0033|0)([67]\d{8})$/.exec(s)
  return m ? `+33${m[1]}` : null
}

/** A cell, trimmed ('' when the column is absent). */
const cell = (raw: string | undefined): string => (raw === undefined ? '' : raw.trim())

function tooLong(faults: RowFault[], column: string, value: string): void {
  const max = MAX[column]
  if (value.length > max) faults.push({ column, message: `Ce champ dépasse ${max} caractères` })
}

/**
 * The rules of one line. Called once per line of a million-line import: each cell is read and trimmed
 * once, and nothing is allocated for a clean line but the person itself.
 */
export function validatePersonRow(record: Record<string, string | undefined>, today: string): RowResult {
  const faults: RowFault[] = []
  const nirRaw = cell(record.nir)
  const nom = cell(record.nom)
  const prenoms = cell(record.prenoms)
  const lieu = cell(record.lieu_naissance)
  const ligne1 = cell(record.adresse_ligne1)
  const ligne2 = cell(record.adresse_ligne2)
  const codePostal = cell(record.code_postal)
  const ville = cell(record.ville)
  const courriel = cell(record.courriel)
  const mobileRaw = cell(record.mobile)

  const nirCheck = validateNir(nirRaw, 'le numéro de sécurité sociale')
  if (!nirCheck.ok) faults.push({ column: 'nir', message: nirRaw ? nirCheck.message : 'Le numéro de sécurité sociale est absent' })

  if (!nom) faults.push({ column: 'nom', message: 'Le nom est absent' })
  if (!prenoms) faults.push({ column: 'prenoms', message: 'Le prénom est absent' })
  // In the order of MAX.
  tooLong(faults, 'nom', nom)
  tooLong(faults, 'prenoms', prenoms)
  tooLong(faults, 'lieu_naissance', lieu)
  tooLong(faults, 'adresse_ligne1', ligne1)
  tooLong(faults, 'adresse_ligne2', ligne2)
  tooLong(faults, 'code_postal', codePostal)
  tooLong(faults, 'ville', ville)
  tooLong(faults, 'courriel', courriel)

  const sexRaw = cell(record.sexe).toUpperCase()
  const sex = sexRaw === 'F' || sexRaw === '2' ? 'F' : sexRaw === 'M' || sexRaw === 'H' || sexRaw === '1' ? 'M' : null
  if (!sex) faults.push({ column: 'sexe', message: sexRaw ? 'Le sexe doit être F ou M' : 'Le sexe est absent' })

  const birth = cell(record.date_naissance)
  const birthDate = birth ? parseImportDate(birth) : null
  if (!birth) faults.push({ column: 'date_naissance', message: 'La date de naissance est absente' })
  else if (!birthDate)
    faults.push({ column: 'date_naissance', message: 'La date de naissance doit être une vraie date, au format AAAA-MM-JJ ou JJ/MM/AAAA' })
  else if (birthDate > today) faults.push({ column: 'date_naissance', message: 'La date de naissance est dans le futur' })
  else if (birthDate < '1890-01-01') faults.push({ column: 'date_naissance', message: 'La date de naissance est antérieure à 1890' })

  if (nirCheck.ok && birthDate && !nirMatchesBirthDate(nirCheck.nir, birthDate)) {
    faults.push({ column: 'nir', message: "Le numéro de sécurité sociale ne correspond pas à l'année ou au mois de naissance" })
  }
  if (nirCheck.ok && sex && (nirCheck.nir[0] === '1') !== (sex === 'M')) {
    faults.push({ column: 'sexe', message: 'Le sexe ne correspond pas au premier chiffre du numéro de sécurité sociale' })
  }

  if (courriel && !EMAIL.test(courriel))
    faults.push({ column: 'courriel', message: "L'adresse électronique n'est pas valide (par exemple nom@domaine.fr)" })
  const mobile = mobileRaw ? normaliseMobile(mobileRaw) : null
  if (mobileRaw && !mobile)
    faults.push({ column: 'mobile', message: 'Le numéro de mobile doit être un numéro français (06 ou 07 suivi de 8 chiffres)' })
  if (codePostal && !POSTCODE.test(codePostal)) faults.push({ column: 'code_postal', message: 'Le code postal doit contenir 5 chiffres' })

  if (faults.length || !nirCheck.ok || !sex || !birthDate) return { ok: false, faults }
  return {
    ok: true,
    person: {
      nir: nirCheck.nir,
      last_name: nom,
      first_names: prenoms,
      sex,
      birth_date: birthDate,
      birth_place: lieu || null,
      address_line1: ligne1 || null,
      address_line2: ligne2 || null,
      postcode: codePostal || null,
      city: ville || null,
      email: courriel ? courriel.toLowerCase() : null,
      mobile,
    },
  }
}

const NEEDS_ESCAPE = /[\\\t\n\r]/

/** A value for PostgreSQL COPY text format (tab-separated): \N for null, escapes for \, tab, newlines. */
export function copyField(value: string | null): string {
  if (value === null) return '\\N'
  if (!NEEDS_ESCAPE.test(value)) return value
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
}
