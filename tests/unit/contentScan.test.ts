import zlib from 'node:zlib'
import { PdfActiveContentScanner, PolyglotDetector } from '../../src/domain/contentScan'
import { ContentInspector, ContentRejected } from '../../src/domain/documents'
import { simplePdf, TINY_PNG } from '../../src/infrastructure/simplePdf'

/** Feeds the bytes in chunks of `size` (names and keywords cut anywhere). */
function scan(bytes: Buffer, size = 65536) {
  const s = new PdfActiveContentScanner()
  for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size))
  return { found: s.end(), streams: s.objectStreams }
}

function polyglot(bytes: Buffer, primary: 'pdf' | 'image' | 'text', size = 4096) {
  const d = new PolyglotDetector(primary)
  for (let i = 0; i < bytes.length; i += size) d.push(bytes.subarray(i, i + size))
  return d.end()
}

/** A hand-written PDF around one object (uncompressed). */
const pdfWith = (object: string) =>
  Buffer.from(
    `%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R ${object} >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  )

/**
 * A one-page PDF as a PDF 1.5 writer saves it, optionally with active content: JavaScript run at
 * opening (a name tree), an attached file, or a launch action. With `objectStreams`, every object
 * that is not a stream goes into one object stream compressed with FlateDecode (`/Type /ObjStm`),
 * found through a cross-reference stream: the active names are then nowhere in the file's plain
 * bytes. Without, each object is written in plain sight with a classic cross-reference table.
 */
function activePdf(opts: { js?: boolean; attach?: boolean; objectStreams: boolean; launch?: boolean }): Buffer {
  const page = 'BT /F1 12 Tf 72 770 Td (Compte rendu de consultation) Tj ET'
  const objects: Record<number, string> = {
    1: `<< /Type /Catalog /Pages 2 0 R${opts.js ? ' /Names << /JavaScript 6 0 R >>' : ''}${opts.attach ? ' /Names << /EmbeddedFiles 6 0 R >>' : ''}${opts.launch ? ' /OpenAction 6 0 R' : ''} >>`,
    2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    3: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    5: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  }
  if (opts.js) Object.assign(objects, { 6: '<< /Names [(main) 7 0 R] >>', 7: '<< /S /JavaScript /JS (app.alert\\("bonjour"\\)) >>' })
  if (opts.attach)
    Object.assign(objects, {
      6: '<< /Names [(note.txt) 7 0 R] >>',
      7: '<< /Type /Filespec /F (note.txt) /UF (note.txt) /EF << /F 8 0 R >> >>',
    })
  if (opts.launch) Object.assign(objects, { 6: '<< /S /Launch /F (calc.exe) >>' })
  // Streams are never inside an object stream: the page's content, the attached file itself.
  const streams: Record<number, string> = { 4: `<< /Length ${page.length} >>\nstream\n${page}\nendstream` }
  if (opts.attach) streams[8] = '<< /Type /EmbeddedFile /Subtype /text#2Fplain /Length 6 >>\nstream\nsecret\nendstream'
  let out = '%PDF-1.5\n%\xe2\xe3\xcf\xd3\n'
  const offsets = new Map<number, number>()
  const write = (num: number, body: string) => {
    offsets.set(num, Buffer.byteLength(out, 'latin1'))
    out += `${num} 0 obj\n${body}\nendobj\n`
  }
  for (const [num, body] of Object.entries(streams)) write(Number(num), body)
  const plain = Object.entries(objects).map(([num, body]) => [Number(num), body] as const)
  const size = Math.max(...plain.map(([n]) => n), ...Object.keys(streams).map(Number)) + 3
  if (!opts.objectStreams) {
    for (const [num, body] of plain) write(num, body)
    const xref = Buffer.byteLength(out, 'latin1')
    out += `xref\n0 ${size}\n0000000000 65535 f \n`
    for (let n = 1; n < size; n++) out += `${String(offsets.get(n) ?? 0).padStart(10, '0')} ${offsets.has(n) ? '00000 n' : '65535 f'} \n`
    out += `trailer\n<< /Size ${size} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
    return Buffer.from(out, 'latin1')
  }
  const objStm = size - 2
  const xrefStm = size - 1
  let header = ''
  let body = ''
  for (const [num, text] of plain) {
    header += `${num} ${body.length} `
    body += `${text}\n`
  }
  const packed = zlib.deflateSync(Buffer.from(header + body, 'latin1')).toString('latin1')
  write(
    objStm,
    `<< /Type /ObjStm /N ${plain.length} /First ${header.length} /Filter /FlateDecode /Length ${packed.length} >>\nstream\n${packed}\nendstream`,
  )
  // The cross-reference stream: type 1 = at an offset, type 2 = inside the object stream (its index).
  const entries = Buffer.alloc(size * 7)
  const entry = (num: number, type: 1 | 2, field2: number, field3: number) => {
    entries.writeUInt8(type, num * 7)
    entries.writeUInt32BE(field2, num * 7 + 1)
    entries.writeUInt16BE(field3, num * 7 + 5)
  }
  plain.forEach(([num], i) => entry(num, 2, objStm, i))
  offsets.set(xrefStm, Buffer.byteLength(out, 'latin1'))
  for (const [num, offset] of offsets) entry(num, 1, offset, 0)
  const xref = offsets.get(xrefStm)!
  out += `${xrefStm} 0 obj\n<< /Type /XRef /Size ${size} /W [1 4 2] /Root 1 0 R /Length ${entries.length} >>\nstream\n${entries.toString('latin1')}\nendstream\nendobj\n`
  out += `startxref\n${xref}\n%%EOF\n`
  return Buffer.from(out, 'latin1')
}

describe('PDF : contenu actif refusé, lu au fil des octets', () => {
  it('laisse passer un PDF simple, d’un seul bloc ou octet par octet', () => {
    const pdf = simplePdf(['Compte rendu', 'Tension 12/8'])
    expect(scan(pdf).found).toBeUndefined()
    expect(scan(pdf, 1).found).toBeUndefined()
  })

  it.each([
    ['/OpenAction << /S /JavaScript /JS (app.alert(1)) >>', 'JavaScript'],
    ['/AA << /O << /JS (x) >> >>', 'JS'],
    ['/OpenAction << /S /Launch /F (calc.exe) >>', 'Launch'],
    ['/Names << /EmbeddedFiles 3 0 R >>', 'EmbeddedFiles'],
    ['/X << /Type /EmbeddedFile >>', 'EmbeddedFile'],
    // Names written with #xx escapes are the same names.
    ['/OpenAction << /S /J#61vaScr#69pt /JS (x) >>', 'JavaScript'],
    ['/OpenAction<</S/Launch/F(x)>>', 'Launch'],
    // An escape as the first byte, and a name escaped throughout (the longest one: 39 bytes).
    ['/OpenAction << /S /#4Aava#53cript >>', 'JavaScript'],
    ['/Names << /#45#6D#62#65#64#64#65#64#46#69#6C#65#73 3 0 R >>', 'EmbeddedFiles'],
  ])('trouve %s', (object, name) => {
    expect(scan(pdfWith(object)).found).toBe(name)
    // Cut in pieces of 3 bytes: a name across two chunks is still read.
    expect(scan(pdfWith(object), 3).found).toBe(name)
  })

  it('ne confond pas un nom plus long ni du texte qui en contient un', () => {
    expect(scan(pdfWith('/JSX 1 /JavaScriptLike 2 /MyLaunch 3')).found).toBeUndefined()
  })

  it('dans les données brutes d’un flux, seuls les noms longs comptent (/JS peut naître du hasard des octets compressés)', () => {
    const stream = (bytes: string) =>
      Buffer.from(`%PDF-1.7\n4 0 obj\n<< /Length ${bytes.length} >>\nstream\n${bytes}\nendstream\nendobj\n%%EOF\n`, 'latin1')
    expect(scan(stream('\x8a\x01/JS \x9c\xff')).found).toBeUndefined()
    expect(scan(stream('\x8a\x01/JavaScript \x9c\xff')).found).toBe('JavaScript')
  })

  it('reconnaît le mot « stream » suivi de CRLF, coupé n’importe où, et pas celui de « endstream »', () => {
    // In the stream's data, /JS is not counted; outside, after its «endstream», it is.
    const pdf = (after: string) =>
      Buffer.from(`%PDF-1.7\n4 0 obj\n<< /Length 9 >>\r\nstream\r\n\x8a/JS \x9c\xff\r\nendstream\nendobj\n${after}%%EOF\n`, 'latin1')
    for (const size of [1, 2, 5, 7, 65536]) {
      expect(scan(pdf(''), size).found).toBeUndefined()
      expect(scan(pdf('5 0 obj\n<< /JS (x) >>\nendobj\n'), size).found).toBe('JS')
    }
  })

  it('lit les flux d’objets compressés (FlateDecode) : JavaScript, fichier joint ou lancement cachés dedans sont trouvés', async () => {
    const clean = activePdf({ objectStreams: true })
    expect(scan(clean)).toEqual({ found: undefined, streams: { read: 1, unread: 0 } })
    // The same reading whatever the cuts (the dictionary before a stream, keywords across two chunks).
    for (const size of [1, 2, 3, 8, 9, 10, 13, 100, 4095, 4096, 4097]) expect(scan(clean, size)).toEqual(scan(clean))
    for (const [opts, hidden, names] of [
      [{ js: true }, 'JavaScript', ['JavaScript']],
      // The attached file's own stream says /EmbeddedFile in plain sight; /EmbeddedFiles (the catalog's
      // name tree) is inside the compressed object stream.
      [{ attach: true }, 'EmbeddedFiles', ['EmbeddedFile', 'EmbeddedFiles']],
      [{ launch: true }, 'Launch', ['Launch']],
    ] as const) {
      const pdf = activePdf({ ...opts, objectStreams: true })
      // Hidden from a plain reading of the bytes (compressed)...
      expect(pdf.includes(Buffer.from(`/${hidden} `)) || pdf.includes(Buffer.from(`/${hidden}/`))).toBe(false)
      // ...found, whatever the chunks.
      expect(names).toContain(scan(pdf).found)
      expect(names).toContain(scan(pdf, 7).found)
      // And without object streams, in plain sight.
      expect(names).toContain(scan(activePdf({ ...opts, objectStreams: false })).found)
    }
    // The JavaScript case is found only through the inflated object stream.
    for (const size of [1, 9, 4097]) expect(scan(activePdf({ js: true, objectStreams: true }), size).found).toBe('JavaScript')
    const js = scan(activePdf({ js: true, objectStreams: true }))
    expect(js).toEqual({ found: 'JavaScript', streams: { read: 1, unread: 0 } })
  })

  it('dit honnêtement ce qu’il n’a pas pu lire : un flux d’objets avec un autre filtre', () => {
    const hidden = zlib.deflateSync(Buffer.from('1 0 << /S /JavaScript /JS (x) >>')).toString('latin1')
    const hex = Buffer.from(hidden, 'latin1').toString('hex')
    const pdf = Buffer.from(
      `%PDF-1.7\n5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter [/ASCIIHexDecode /FlateDecode] /Length ${hex.length} >>\nstream\n${hex}\nendstream\nendobj\n%%EOF\n`,
      'latin1',
    )
    expect(scan(pdf)).toEqual({ found: undefined, streams: { read: 0, unread: 1 } })
  })
})

describe('fichiers de deux types à la fois (polyglottes)', () => {
  const pdf = simplePdf(['Résultat'])
  const zipTail = (comment = '') => {
    const eocd = Buffer.alloc(22)
    eocd.writeUInt32LE(0x06054b50, 0)
    eocd.writeUInt16LE(Buffer.byteLength(comment), 20)
    return Buffer.concat([Buffer.from('PK\x03\x04fichier'), eocd, Buffer.from(comment)])
  }

  it('laisse passer des fichiers ordinaires', () => {
    expect(polyglot(pdf, 'pdf')).toBeUndefined()
    expect(polyglot(TINY_PNG, 'image')).toBeUndefined()
    expect(polyglot(Buffer.from('Rendez-vous chez le dentiste le 3 mars <html> ?'), 'text')).toBeUndefined()
  })

  it('refuse une image ou un texte qui porte aussi un PDF, un fichier qui finit par une archive ZIP, du HTML dans un binaire', () => {
    expect(polyglot(Buffer.concat([TINY_PNG, pdf]), 'image')).toBe('pdf')
    expect(polyglot(Buffer.concat([Buffer.from('Note\n'), pdf]), 'text')).toBe('pdf')
    expect(polyglot(Buffer.concat([TINY_PNG, zipTail()]), 'image')).toBe('zip')
    expect(polyglot(Buffer.concat([pdf, zipTail('un commentaire')]), 'pdf', 5)).toBe('zip')
    expect(polyglot(Buffer.concat([TINY_PNG, Buffer.from('<script>alert(1)</script>')]), 'image')).toBe('html')
    // A ZIP signature in the middle of the bytes, not a directory that ends the file: not a ZIP.
    expect(polyglot(Buffer.concat([TINY_PNG, zipTail(), Buffer.from('suite')]), 'image')).toBeUndefined()
  })

  it('ContentInspector applique ces règles (refus avec sa raison)', async () => {
    const inspect = (bytes: Buffer, name: string) => {
      const i = new ContentInspector(name)
      i.inspect(bytes, 0, bytes.length)
      return i.finish(bytes.length)
    }
    expect(inspect(pdf, 'a.pdf')).toBe('application/pdf')
    const reason = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        return (err as ContentRejected).reason
      }
      return 'accepté'
    }
    expect(reason(() => inspect(pdfWith('/OpenAction << /S /JavaScript /JS (x) >>'), 'a.pdf'))).toBe('active_content')
    expect(reason(() => inspect(Buffer.concat([TINY_PNG, pdf]), 'a.png'))).toBe('polyglot')
    expect(reason(() => new ContentInspector('facture\u202Efdp.exe'))).toBe('bad_name')
  })
})
