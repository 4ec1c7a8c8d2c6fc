/** Document categories and file rules (SPEC §4). Pure: no Express, no SQL. */
import { unsafeNameCharacters } from '../validation'
import { PdfActiveContentScanner, PolyglotDetector } from './contentScan'

export const PATIENT_CATEGORIES = [
  { code: 'SYNTHESE', label: 'Ma santé en résumé' },
  { code: 'ORD_SOIN', label: 'Ordonnances et soins' },
  { code: 'RADIO_SC', label: 'Radio, écho, scanner, IRM' },
  { code: 'BIOLOGIE', label: 'Résultats de biologie' },
  { code: 'CPT_REND', label: 'Comptes rendus' },
  { code: 'DEPISTAG', label: 'Prévention et dépistages' },
  { code: 'CERT_MED', label: 'Certificats médicaux' },
  { code: 'DOC_ADM', label: 'Pièces administratives' },
  { code: 'AUTR_DOC', label: 'Autres documents' },
] as const

export const SYSTEM_CATEGORIES = [
  { code: 'SYNTH_PML', label: 'Synthèse médicale' },
  { code: 'DIR_ANT', label: 'Directives anticipées' },
  { code: 'QUEST_SANTE', label: 'Questionnaire santé' },
  { code: 'CAR_VAC', label: 'Carnet de vaccination' },
  { code: 'REMB', label: 'Remboursements' },
] as const

export const CATEGORIES = [...PATIENT_CATEGORIES, ...SYSTEM_CATEGORIES]
export type CategoryCode = (typeof CATEGORIES)[number]['code']
export type PatientCategoryCode = (typeof PATIENT_CATEGORIES)[number]['code']

export function isCategory(v: unknown): v is CategoryCode {
  return typeof v === 'string' && CATEGORIES.some((c) => c.code === v)
}
export function isPatientCategory(v: unknown): v is PatientCategoryCode {
  return typeof v === 'string' && PATIENT_CATEGORIES.some((c) => c.code === v)
}
export function categoryLabel(code: string): string {
  return CATEGORIES.find((c) => c.code === code)?.label ?? code
}

export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
export const MAX_TITLE_LENGTH = 50
/** Consultation d'annonce: the patient is told after 2 weeks, the result is released after 1 month. */
export const HOLD_REMINDER_DAYS = 14
export const HOLD_DAYS = 30

export type DocumentMime = 'application/pdf' | 'image/jpeg' | 'image/png' | 'image/tiff' | 'text/plain'

export const MIME_EXTENSION: Record<DocumentMime, string> = {
  'application/pdf': 'pdf',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/tiff': 'tif',
  'text/plain': 'txt',
}
export const isDocumentMime = (mime: string): mime is DocumentMime => Object.prototype.hasOwnProperty.call(MIME_EXTENSION, mime)
export const MIME_LABEL: Record<DocumentMime, string> = {
  'application/pdf': 'PDF',
  'image/jpeg': 'image JPEG',
  'image/png': 'image PNG',
  'image/tiff': 'image TIFF',
  'text/plain': 'texte',
}

/**
 * The type from the first bytes (magic numbers). Returns 'text/plain' as a candidate when no
 * binary signature matches: the caller must then check the whole file is UTF-8 without NUL.
 */
export function sniffType(head: Buffer): DocumentMime | undefined {
  if (head.length >= 5 && head.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf'
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg'
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png'
  if (
    head.length >= 4 &&
    (head.subarray(0, 4).equals(Buffer.from([0x49, 0x49, 0x2a, 0x00])) || head.subarray(0, 4).equals(Buffer.from([0x4d, 0x4d, 0x00, 0x2a])))
  )
    return 'image/tiff'
  if (head.length === 0) return undefined
  return 'text/plain'
}

/** Streaming check that a file is valid UTF-8 without NUL (a TXT document). */
export class TextChecker {
  private decoder = new TextDecoder('utf-8', { fatal: true })
  ok = true
  push(chunk: Buffer): void {
    if (!this.ok) return
    if (chunk.includes(0)) {
      this.ok = false
      return
    }
    try {
      this.decoder.decode(chunk, { stream: true })
    } catch {
      this.ok = false
    }
  }
  end(): boolean {
    if (!this.ok) return false
    try {
      this.decoder.decode()
    } catch {
      this.ok = false
    }
    return this.ok
  }
}

/** The extension the name claims, lower-case, or ''. */
export function claimedExtension(fileName: string): string {
  const m = /\.([A-Za-z0-9]{1,5})$/.exec(fileName.trim())
  return m ? m[1].toLowerCase() : ''
}

const EXTENSIONS: Record<DocumentMime, string[]> = {
  'application/pdf': ['pdf'],
  'image/jpeg': ['jpg', 'jpeg', 'jpe'],
  'image/png': ['png'],
  'image/tiff': ['tif', 'tiff'],
  'text/plain': ['txt', 'text'],
}

/** Whether the name's extension (if any) agrees with the type found in the bytes. */
export function extensionMatches(fileName: string, mime: DocumentMime): boolean {
  const ext = claimedExtension(fileName)
  return ext === '' || EXTENSIONS[mime].includes(ext)
}

/**
 * Names that are dangerous as a file name: path parts, control characters, bidirectional controls
 * («facture\u202Efdp.exe» shows as «factureexe.pdf»), executables, reserved names. Refused, never renamed.
 */
export function dangerousFileName(fileName: string): boolean {
  if (/[\\/]/.test(fileName) || unsafeNameCharacters(fileName)) return true
  if (/^\.|\.\.|^\s*$/.test(fileName)) return true
  if (/\.(exe|bat|cmd|com|scr|js|vbs|ps1|sh|msi|jar|html?|svg|php)$/i.test(fileName)) return true
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(fileName)) return true
  return false
}

/** A safe download name from a title and the type: ASCII letters, digits, dashes; the right extension. */
export function safeFileName(title: string, mime: DocumentMime): string {
  const base =
    title
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'document'
  return `${base}.${MIME_EXTENSION[mime]}`
}

/** Types shown inside the page (the others are only downloaded). */
export function previewable(mime: string): 'pdf' | 'image' | 'text' | undefined {
  if (mime === 'application/pdf') return 'pdf'
  if (mime === 'image/jpeg' || mime === 'image/png') return 'image'
  if (mime === 'text/plain') return 'text'
  return undefined
}

export type ContentRejection = 'empty' | 'too_large' | 'type' | 'type_mismatch' | 'bad_name' | 'active_content' | 'polyglot'

/** A file refused by the document rules (thrown from inside a transaction, so it rolls back). */
export class ContentRejected extends Error {
  constructor(readonly reason: ContentRejection) {
    super(`fichier refusé : ${reason}`)
    this.name = 'ContentRejected'
  }
}

/**
 * The document rules for a file streamed chunk by chunk (a document or a message attachment):
 * safe name, 10 Mo, type from the bytes, TXT really UTF-8, a PDF without active content
 * (JavaScript, launch action, embedded file), bytes of one type only (no polyglot), the name's
 * extension agreeing with the type. `inspect` fits DocumentStore.write; `finish` gives the type once
 * everything is written (the caller's transaction rolls back on any refusal).
 */
export class ContentInspector {
  private mime: DocumentMime | undefined
  private text = new TextChecker()
  private pdf: PdfActiveContentScanner | undefined
  private polyglot: PolyglotDetector | undefined
  constructor(
    private readonly fileName?: string,
    private readonly maxBytes = MAX_DOCUMENT_BYTES,
  ) {
    if (fileName !== undefined && dangerousFileName(fileName)) throw new ContentRejected('bad_name')
  }
  /** The type found in the first bytes (after the first chunk). */
  get type(): DocumentMime | undefined {
    return this.mime
  }
  inspect = (chunk: Buffer, index: number, total: number): void => {
    if (total > this.maxBytes) throw new ContentRejected('too_large')
    if (index === 0) {
      this.mime = sniffType(chunk)
      if (!this.mime) throw new ContentRejected('empty')
      if (this.mime === 'application/pdf') this.pdf = new PdfActiveContentScanner()
      this.polyglot = new PolyglotDetector(this.mime === 'application/pdf' ? 'pdf' : this.mime === 'text/plain' ? 'text' : 'image')
    }
    if (this.mime === 'text/plain') this.text.push(chunk)
    if (this.pdf) {
      this.pdf.push(chunk)
      if (this.pdf.found) throw new ContentRejected('active_content')
    }
    this.polyglot?.push(chunk)
  }
  finish(size: number): DocumentMime {
    if (size === 0 || !this.mime) throw new ContentRejected('empty')
    if (this.mime === 'text/plain' && !this.text.end()) throw new ContentRejected('type')
    if (this.pdf?.end()) throw new ContentRejected('active_content')
    if (this.polyglot?.end()) throw new ContentRejected('polyglot')
    if (this.fileName && !extensionMatches(this.fileName, this.mime)) throw new ContentRejected('type_mismatch')
    return this.mime
  }
}
