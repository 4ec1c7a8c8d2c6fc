import { de } from '../../domain/french'
import type { CarerRights } from '../../domain/accessPolicy'
import { renderPdf } from '../../infrastructure/pdf'
import { frenchDate, frenchDateTime } from '../../domain/parisTime'

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

/**
 * The PDF attestation of a delegation (SPEC §3): at acceptance and at its end. No health data.
 * A tagged PDF (headings and paragraphs in the structure tree, real text, French, its title shown),
 * drawn by the same pdfkit renderer as the medical profile's summary (docs/decisions/0004-one-pdf-library.md).
 */
export function attestationPdf(a: AttestationInput): Promise<Buffer> {
  const when = frenchDateTime(a.at)
  const period = `du ${frenchDate(a.startsOn)}${a.endsOn ? ` au ${frenchDate(a.endsOn)}` : ', sans date de fin'}`
  const why =
    a.revokedBy === 'carer'
      ? 'à la demande de l’aidant'
      : a.revokedBy === 'closure'
        ? 'avec la fermeture de l’un des deux profils'
        : 'à la demande de la personne aidée'
  return renderPdf(
    {
      title: a.kind === 'acceptance' ? 'Attestation de désignation d’un aidant' : 'Attestation de fin de délégation d’un aidant',
      subtitle: 'Mon espace santé – Assurance Maladie',
      sections: [
        {
          heading: 'La délégation',
          lines: [
            ['Référence', a.reference],
            ['Personne aidée', a.personName],
            ['Aidant', a.carerName],
            ['Période', period],
          ],
        },
        a.kind === 'acceptance'
          ? {
              heading: 'Ce que l’aidant peut faire',
              lines: [
                `Le ${when}, ${a.carerName} a accepté d’être l’aidant ${de(a.personName).replace("'", '’')} dans Mon espace santé.`,
                rightsSentence(a.rights ?? { read: true, write: true, messages: true }),
                'L’aidant ne peut pas fermer le profil, changer l’identifiant, le mot de passe ou les coordonnées, gérer les aidants, télécharger ni supprimer des données. Chacune de ses actions est inscrite dans l’historique.',
              ],
            }
          : {
              heading: 'Fin de la délégation',
              lines: [`Le ${when}, la délégation a pris fin ${why}.`, 'L’aidant n’a plus accès au profil de la personne aidée.'],
            },
      ],
      footer: 'Une question ? Appelez le 3422.',
    },
    a.at,
  )
}
