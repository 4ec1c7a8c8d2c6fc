import zlib from 'node:zlib'

/**
 * What a PDF says and how it is built, read from its bytes for tests (no PDF library: the one we ship
 * writes, it does not read). Enough for the PDFs pdfkit draws with its standard fonts: content streams
 * compressed with FlateDecode, text shown with `TJ` arrays of hexadecimal strings in WinAnsi.
 */
export interface PdfFacts {
  /** The shown text, in drawing order, lines joined by a space and runs of spaces made one. */
  text: string
  /** The document is marked as tagged (`/Marked true`) and its catalog has a structure tree. */
  tagged: boolean
  /** The document's language (`/Lang`). */
  lang: string | undefined
  /** The structure elements' types, as written (`H1`, `P`…, the root `Document` after its children). */
  structure: string[]
  /** Marked-content sequences in the pages that point into the structure tree (`BDC` with an `/MCID`). */
  markedContent: number
  /** The viewer shows the title rather than the file name. */
  displayTitle: boolean
}

const winAnsi = new TextDecoder('windows-1252')

export function readPdf(bytes: Buffer): PdfFacts {
  const raw = bytes.toString('latin1')
  const shown: string[] = []
  let markedContent = 0
  const streamStart = /stream\r?\n/g
  for (let m = streamStart.exec(raw); m; m = streamStart.exec(raw)) {
    const start = m.index + m[0].length
    const end = raw.indexOf('endstream', start)
    if (end < 0) break
    let content: string
    try {
      content = zlib.inflateSync(Buffer.from(raw.slice(start, end), 'latin1')).toString('latin1')
    } catch {
      content = raw.slice(start, end)
    }
    markedContent += (content.match(/\/MCID \d+\s*>>\s*BDC/g) ?? []).length
    for (const tj of content.matchAll(/\[((?:<[0-9a-fA-F]*>|[-\d.\s])*)\]\s*TJ/g)) {
      const hex = [...tj[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]).join('')
      shown.push(winAnsi.decode(Buffer.from(hex, 'hex')))
    }
    streamStart.lastIndex = end
  }
  return {
    text: shown.join(' ').replace(/\s+/g, ' ').trim(),
    tagged: /\/Marked true\b/.test(raw) && /\/StructTreeRoot \d+ 0 R/.test(raw),
    lang: /\/Lang \(([^)]*)\)/.exec(raw)?.[1],
    structure: [...raw.matchAll(/\/S \/(\w+)\s*\n\/P \d+ 0 R/g)].map((s) => s[1]),
    markedContent,
    displayTitle: /\/DisplayDocTitle true/.test(raw),
  }
}
