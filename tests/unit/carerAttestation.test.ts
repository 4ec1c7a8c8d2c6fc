import { attestationPdf } from '../../src/features/carers/attestation'
import { readPdf } from '../helpers/pdfText'

const base = {
  personName: 'Camille Martin',
  carerName: 'Hélène Faure',
  startsOn: '2026-03-02',
  endsOn: '2026-09-30',
  at: new Date('2026-03-02T09:30:00Z'),
  reference: 'AID-7K3M-Q9TX',
}

describe('attestation d’aidant : un PDF balisé et accessible (pdfkit)', () => {
  it('à l’acceptation : balisé, en français, titre affiché, avec la délégation et les droits', async () => {
    const pdf = await attestationPdf({ ...base, kind: 'acceptance', rights: { read: true, write: false, messages: true } })
    expect(pdf.subarray(0, 8).toString('latin1')).toBe('%PDF-1.7')
    const facts = readPdf(pdf)
    expect(facts.tagged).toBe(true)
    expect(facts.lang).toBe('fr-FR')
    expect(facts.displayTitle).toBe(true)
    // A heading, then paragraphs and sub-headings, each tied to the drawn text by a marked-content sequence.
    const elements = facts.structure.filter((s) => s !== 'Document')
    expect(facts.structure).toContain('Document')
    expect(elements.slice(0, 3)).toEqual(['H1', 'P', 'H2'])
    expect(elements.filter((s) => s === 'H2')).toHaveLength(2)
    expect(facts.markedContent).toBe(elements.length)
    expect(facts.text).toContain("Attestation de désignation d'un aidant")
    expect(facts.text).toContain('Référence : AID-7K3M-Q9TX')
    expect(facts.text).toContain('Personne aidée : Camille Martin')
    expect(facts.text).toContain('Aidant : Hélène Faure')
    expect(facts.text).toContain('Période : du 2 mars 2026 au 30 septembre 2026')
    expect(facts.text).toContain("Le 2 mars 2026 à 10:30, Hélène Faure a accepté d'être l'aidant de Camille Martin dans Mon espace santé.")
    expect(facts.text).toContain(
      "Pendant la période indiquée, l'aidant peut consulter les données et les documents et échanger des messages avec les professionnels de santé.",
    )
    expect(facts.text).not.toContain('en ajouter et les modifier')
    expect(facts.text).toContain('Une question ? Appelez le 3422.')
    // Real text, no picture of text.
    expect(pdf.toString('latin1')).not.toContain('/Subtype /Image')
  })

  it('à la fin : dit pourquoi la délégation a pris fin, sans date de fin si elle n’en avait pas', async () => {
    const facts = readPdf(await attestationPdf({ ...base, endsOn: null, kind: 'revocation', revokedBy: 'carer' }))
    expect(facts.tagged).toBe(true)
    expect(facts.text).toContain("Attestation de fin de délégation d'un aidant")
    expect(facts.text).toContain('Période : du 2 mars 2026, sans date de fin')
    expect(facts.text).toContain("la délégation a pris fin à la demande de l'aidant.")
    expect(facts.text).toContain("L'aidant n'a plus accès au profil de la personne aidée.")
    expect(facts.text).not.toContain('a accepté')
  })
})
