import { de } from '../../domain/french'
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib'
import type { CarerRights } from '../../domain/accessPolicy'
import { frenchDate } from '../../validation'

export interface AttestationInput {
  kind: 'acceptance' | 'revocation'
  personName: string
  carerName: string
  startsOn: string
  endsOn: string | null
  at: Date
  reference: string
  revokedBy?: 'person' | 'carer' | 'closure'
  /** The rights of the delegation (all three when absent). */
  rights?: CarerRights
}

/** What the carer may do during the delegation, as a sentence of the attestation. */
function rightsSentence(r: CarerRights): string {
  const can = [
    r.read ? 'consulter les données et les documents' : '',
    r.write ? 'en ajouter et les modifier' : '',
    r.messages ? 'échanger des messages avec les professionnels de santé' : '',
  ].filter(Boolean)
  const list = can.length > 1 ? `${can.slice(0, -1).join(', ')} et ${can[can.length - 1]}` : can[0]
  return `Pendant la période indiquée, l’aidant peut ${list}.`
}

/** The PDF attestation of a delegation (SPEC §3): at acceptance and at its end. No health data. */
export async function attestationPdf(a: AttestationInput): Promise<Buffer> {
  const doc = await PDFDocument.create()
  doc.setTitle(a.kind === 'acceptance' ? 'Attestation de désignation d’un aidant' : 'Attestation de fin de délégation d’un aidant')
  doc.setAuthor('Mon espace santé')
  doc.setLanguage('fr-FR')
  doc.setCreationDate(a.at)
  doc.setModificationDate(a.at)
  const page = doc.addPage([595.28, 841.89])
  const font = await doc.embedFont(StandardFonts.Helvetica)
  const bold = await doc.embedFont(StandardFonts.HelveticaBold)
  let y = 780
  const line = (text: string, opts: { size?: number; bold?: boolean; gap?: number } = {}) => {
    const size = opts.size ?? 12
    const f = opts.bold ? bold : font
    // Wrap at the page width.
    const words = text.split(' ')
    let current = ''
    for (const w of words) {
      const next = current ? `${current} ${w}` : w
      if (f.widthOfTextAtSize(next, size) > 495 && current) {
        page.drawText(current, { x: 50, y, size, font: f, color: rgb(0, 0, 0) })
        y -= size + 6
        current = w
      } else current = next
    }
    if (current) page.drawText(current, { x: 50, y, size, font: f, color: rgb(0, 0, 0) })
    y -= size + (opts.gap ?? 10)
  }
  const when = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' }).format(a.at)
  line('Mon espace santé – Assurance Maladie', { size: 10 })
  line(a.kind === 'acceptance' ? 'Attestation de désignation d’un aidant' : 'Attestation de fin de délégation', {
    size: 18,
    bold: true,
    gap: 20,
  })
  line(`Référence : ${a.reference}`, { bold: true })
  line(`Personne aidée : ${a.personName}`)
  line(`Aidant : ${a.carerName}`)
  line(`Période : du ${frenchDate(a.startsOn)}${a.endsOn ? ` au ${frenchDate(a.endsOn)}` : ', sans date de fin'}`, { gap: 20 })
  if (a.kind === 'acceptance') {
    line(`Le ${when}, ${a.carerName} a accepté d’être l’aidant ${de(a.personName).replace("'", '’')} dans Mon espace santé.`)
    line(rightsSentence(a.rights ?? { read: true, write: true, messages: true }))
    line(
      'L’aidant ne peut pas fermer le profil, changer l’identifiant, le mot de passe ou les coordonnées, gérer les aidants, télécharger ni supprimer des données. Chacune de ses actions est inscrite dans l’historique.',
      { gap: 20 },
    )
  } else {
    line(
      `Le ${when}, la délégation a pris fin ${a.revokedBy === 'carer' ? 'à la demande de l’aidant' : a.revokedBy === 'closure' ? 'avec la fermeture de l’un des deux profils' : 'à la demande de la personne aidée'}.`,
    )
    line('L’aidant n’a plus accès au profil de la personne aidée.', { gap: 20 })
  }
  line('Une question ? Appelez le 3422.', { size: 10 })
  return Buffer.from(await doc.save({ useObjectStreams: false }))
}
