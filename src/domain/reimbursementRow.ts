import { validateNir } from './nir'
import { parseEuros } from './money'

/**
 * One line of a reimbursement file sent by a caisse (SPEC §10, §12). The file is CSV, separator
 * «;» (a «,» separator is accepted too), UTF-8, a header line naming the columns (any order):
 *   reference;nir;date_soins;acte;type_soins;professionnel;montant_paye;montant_rembourse
 * and, optional, `code_acte` (the act's code in its nomenclature: CCAM `QEQK004`, NGAP…). Dates as 2026-03-14 or 14/03/2026; amounts in euros («25,00»). A reference identifies a
 * reimbursement: importing it again changes nothing (the import is idempotent).
 */
/** The largest reimbursement file accepted (its upload route, src/middleware/uploads.ts). */
export const REIMBURSEMENT_IMPORT_MAX_BYTES = 50 * 1024 * 1024

export const CARE_TYPES = {
  consultation: 'Consultation',
  pharmacie: 'Pharmacie',
  biologie: 'Analyses de biologie',
  imagerie: 'Imagerie',
  hospitalisation: 'Hospitalisation',
  dentaire: 'Soins dentaires',
  optique: 'Optique',
  auxiliaire: 'Soins infirmiers et kinésithérapie',
  autre: 'Autres soins',
} as const
export type CareType = keyof typeof CARE_TYPES

export function isCareType(v: string): v is CareType {
  return Object.prototype.hasOwnProperty.call(CARE_TYPES, v)
}

export const COLUMNS = [
  'reference',
  'nir',
  'date_soins',
  'acte',
  'type_soins',
  'professionnel',
  'montant_paye',
  'montant_rembourse',
] as const
/** Columns a file may add. */
export const OPTIONAL_COLUMNS = ['code_acte'] as const
export type Column = (typeof COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number]

export interface ReimbursementRow {
  reference: string
  nir: string
  careDate: string
  act: string
  careType: CareType
  professional: string
  amountPaidCents: number
  amountReimbursedCents: number
  /** The act's code (CCAM, NGAP…), when the file gives one. */
  actCode?: string | null
}

export type RowCheck = { ok: true; row: ReimbursementRow } | { ok: false; message: string }

/** Splits one CSV line; fields may be quoted with "" (a doubled quote inside is one quote). */
export function splitCsvLine(line: string, separator: string): string[] | null {
  const out: string[] = []
  let i = 0
  let field = ''
  let quoted = false
  let wasQuoted = false
  while (i < line.length) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"'
        i += 2
        continue
      }
      if (c === '"') {
        quoted = false
        i++
        continue
      }
      field += c
      i++
      continue
    }
    if (c === '"' && field === '' && !wasQuoted) {
      quoted = true
      wasQuoted = true
      i++
      continue
    }
    if (c === separator) {
      out.push(field)
      field = ''
      wasQuoted = false
      i++
      continue
    }
    if (wasQuoted) return null // text after a closing quote
    field += c
    i++
  }
  if (quoted) return null // unterminated quote
  out.push(field)
  return out
}

export type HeaderCheck = { ok: true; separator: string; index: Partial<Record<Column, number>> } | { ok: false; message: string }

/** Reads the header line: which separator, where each column is; every column required. */
export function readHeader(line: string): HeaderCheck {
  const clean = line.replace(/^\ufeff/, '')
  const separator = clean.includes(';') ? ';' : ','
  const names = (splitCsvLine(clean, separator) ?? []).map((n) => n.trim().toLowerCase())
  const index: Partial<Record<Column, number>> = {}
  const missing: string[] = []
  for (const c of COLUMNS) {
    const at = names.indexOf(c)
    if (at < 0) missing.push(c)
    else index[c] = at
  }
  if (missing.length)
    return { ok: false, message: `La ligne d'en-tête doit nommer les colonnes ${COLUMNS.join(';')} (il manque : ${missing.join(', ')})` }
  for (const c of OPTIONAL_COLUMNS) {
    const at = names.indexOf(c)
    if (at >= 0) index[c] = at
  }
  return { ok: true, separator, index }
}

function readDate(v: string, today: string): string | null {
  let y: number, m: number, d: number
  let match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v)
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])]
  else {
    match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v)
    if (!match) return null
    ;[d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])]
  }
  const date = new Date(Date.UTC(y, m - 1, d))
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d || y < 1990) return null
  const iso = date.toISOString().slice(0, 10)
  return iso > today ? null : iso
}

/** Validates one data line (already split). Messages are French and name the column. */
export function checkRow(fields: string[] | null, header: { index: Partial<Record<Column, number>> }, today: string): RowCheck {
  if (!fields) return { ok: false, message: 'Ligne mal formée (guillemets non fermés ou mal placés)' }
  const get = (c: Column) => (header.index[c] === undefined ? '' : (fields[header.index[c]] ?? '')).trim()
  const reference = get('reference')
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{3,39}$/.test(reference))
    return { ok: false, message: 'reference : 4 à 40 lettres, chiffres, tirets ou soulignés attendus' }
  const nir = validateNir(get('nir'), 'le numéro de sécurité sociale')
  if (!nir.ok) return { ok: false, message: `nir : ${nir.message}` }
  const careDate = readDate(get('date_soins'), today)
  if (!careDate) return { ok: false, message: 'date_soins : une vraie date passée attendue (AAAA-MM-JJ ou JJ/MM/AAAA)' }
  const act = get('acte')
  if (!act || act.length > 200) return { ok: false, message: 'acte : un libellé de 1 à 200 caractères attendu' }
  const careType = get('type_soins').toLowerCase()
  if (!isCareType(careType))
    return { ok: false, message: `type_soins : une de ces valeurs attendue : ${Object.keys(CARE_TYPES).join(', ')}` }
  const professional = get('professionnel')
  if (!professional || professional.length > 200) return { ok: false, message: 'professionnel : un nom de 1 à 200 caractères attendu' }
  const paid = parseEuros(get('montant_paye'))
  if (paid === null) return { ok: false, message: 'montant_paye : un montant en euros attendu (par exemple 25,00)' }
  const reimbursed = parseEuros(get('montant_rembourse'))
  if (reimbursed === null) return { ok: false, message: 'montant_rembourse : un montant en euros attendu (par exemple 17,50)' }
  if (reimbursed > paid) return { ok: false, message: 'montant_rembourse : ne peut pas dépasser montant_paye' }
  const actCode = get('code_acte').toUpperCase()
  if (actCode && !/^[A-Z0-9]{2,13}$/.test(actCode))
    return { ok: false, message: "code_acte : le code de l'acte (CCAM, NGAP…), 2 à 13 lettres ou chiffres, ou rien" }
  return {
    ok: true,
    row: {
      reference,
      nir: nir.nir,
      careDate,
      act,
      careType,
      professional,
      amountPaidCents: paid,
      amountReimbursedCents: reimbursed,
      ...(actCode ? { actCode } : {}),
    },
  }
}
