import PDFDocument from 'pdfkit'

export interface PdfSection {
  heading: string
  /** Each line a paragraph; `[label, value]` is written «label : value». */
  lines: (string | [string, string])[]
}

export interface PdfContent {
  title: string
  subtitle: string
  sections: PdfSection[]
  footer: string
}

/** Characters the standard PDF fonts (WinAnsi) cannot draw are replaced by close ones. */
function safe(s: string): string {
  return s
    .replace(/[\u202f\u00a0]/g, ' ')
    .replace(/[’]/g, "'")
    .replace(/[^\x20-\x7e\u00a0-\u00ff\u0152\u0153\u0178\u20ac«»…–—œŒ'"]/g, '?')
}

/**
 * A tagged PDF (headings and paragraphs in the structure tree, real text, French language, the
 * title shown in the reader's window bar) generated with pdfkit, returned as bytes.
 */
export function renderPdf(content: PdfContent, createdAt = new Date()): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    pdfVersion: '1.7',
    tagged: true,
    lang: 'fr-FR',
    displayTitle: true,
    info: { Title: safe(content.title), Author: 'Mon espace santé', Subject: safe(content.subtitle), CreationDate: createdAt },
  })
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  const root = doc.struct('Document')
  doc.addStructure(root)
  root.add(doc.struct('H1', {}, () => doc.font('Helvetica-Bold').fontSize(20).fillColor('#0b0c0c').text(safe(content.title))))
  root.add(doc.struct('P', {}, () => doc.font('Helvetica').fontSize(11).fillColor('#383f43').text(safe(content.subtitle)).moveDown()))
  for (const s of content.sections) {
    root.add(doc.struct('H2', {}, () => doc.font('Helvetica-Bold').fontSize(14).fillColor('#0b0c0c').moveDown(0.5).text(safe(s.heading))))
    for (const line of s.lines) {
      root.add(
        doc.struct('P', {}, () => {
          doc.fontSize(11).fillColor('#0b0c0c')
          if (Array.isArray(line)) {
            doc
              .font('Helvetica-Bold')
              .text(`${safe(line[0])} : `, { continued: true })
              .font('Helvetica')
              .text(safe(line[1]))
          } else {
            doc.font('Helvetica').text(safe(line))
          }
        }),
      )
    }
  }
  root.add(doc.struct('P', {}, () => doc.moveDown().font('Helvetica').fontSize(9).fillColor('#383f43').text(safe(content.footer))))
  root.end()
  doc.end()
  return done
}
