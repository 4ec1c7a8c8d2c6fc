/**
 * Secure messaging rules that need no database (SPEC §9). Who may do what is in accessPolicy.ts.
 */
export const MAX_MESSAGE_LENGTH = 5000
export const MAX_SUBJECT_LENGTH = 100
export const MAX_CLOSE_REASON_LENGTH = 300

/**
 * A message as typed: browsers send line breaks as CRLF while the character count (and the
 * person) count one character per line break, so the server counts the same way.
 */
export function normaliseMessage(raw: unknown): string {
  return typeof raw === 'string' ? raw.replace(/\r\n?/g, '\n').trim() : ''
}

/** 5000 → «5 000» with a no-break space, as French writes numbers. */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')
}

/** The error for a message body, or null when it is fine. */
export function messageError(body: string): string | null {
  if (!body) return 'Saisissez votre message'
  const length = [...body].length
  if (length > MAX_MESSAGE_LENGTH) {
    return `Le message doit contenir ${thousands(MAX_MESSAGE_LENGTH)} caractères au maximum (il en contient ${thousands(length)})`
  }
  return null
}

export function subjectError(subject: string): string | null {
  if (!subject) return "Saisissez l'objet du message"
  if ([...subject].length > MAX_SUBJECT_LENGTH) return `L'objet doit contenir ${MAX_SUBJECT_LENGTH} caractères au maximum`
  return null
}

export function closeReasonError(reason: string): string | null {
  if (!reason) return 'Indiquez pourquoi vous clôturez la conversation'
  if ([...reason].length > MAX_CLOSE_REASON_LENGTH) return `Le motif doit contenir ${MAX_CLOSE_REASON_LENGTH} caractères au maximum`
  return null
}

export type MessageSide = 'professional' | 'patient' | 'representative' | 'carer'

/** The title an attachment gets from the name it came with (no path, no control characters). */
export function attachmentTitle(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? ''
  // eslint-disable-next-line no-control-regex -- control characters are what this expression looks for
  const clean = base.replace(/[\x00-\x1f\x7f]/g, '').trim()
  return (clean || 'Pièce jointe').slice(0, 120)
}

/** A document title (50 characters at most) from an attachment's title, without its extension. */
export function documentTitleFromAttachment(title: string, max = 50): string {
  const noExt = title.replace(/\.[A-Za-z0-9]{1,5}$/, '').trim() || 'Pièce jointe'
  return [...noExt].slice(0, max).join('').trim()
}
