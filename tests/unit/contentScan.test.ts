import zlib from 'node:zlib'
import { PDFDocument, PDFName, PDFString } from 'pdf-lib'
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

async function libPdf(opts: { js?: boolean; attach?: boolean; objectStreams: boolean; launch?: boolean }): Promise<Buffer> {
  const doc = await PDFDocument.create()
  doc.addPage().drawText('Compte rendu de consultation')
  if (opts.js) doc.addJavaScript('main', 'app.alert("bonjour")')
  if (opts.attach) await doc.attach(Buffer.from('secret'), 'note.txt', { mimeType: 'text/plain' })
  if (opts.launch) {
    const action = doc.context.obj({ S: 'Launch', F: PDFString.of('calc.exe') })
    doc.catalog.set(PDFName.of('OpenAction'), doc.context.register(action))
  }
  return Buffer.from(await doc.save({ useObjectStreams: opts.objectStreams }))
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

  it('lit les flux d’objets compressés (FlateDecode) : JavaScript, fichier joint ou lancement cachés dedans sont trouvés', async () => {
    const clean = await libPdf({ objectStreams: true })
    expect(scan(clean)).toEqual({ found: undefined, streams: { read: 1, unread: 0 } })
    for (const [opts, hidden, names] of [
      [{ js: true }, 'JavaScript', ['JavaScript']],
      // The attached file's own stream says /EmbeddedFile in plain sight; /EmbeddedFiles (the catalog's
      // name tree) is inside the compressed object stream.
      [{ attach: true }, 'EmbeddedFiles', ['EmbeddedFile', 'EmbeddedFiles']],
      [{ launch: true }, 'Launch', ['Launch']],
    ] as const) {
      const pdf = await libPdf({ ...opts, objectStreams: true })
      // Hidden from a plain reading of the bytes (compressed)...
      expect(pdf.includes(Buffer.from(`/${hidden} `)) || pdf.includes(Buffer.from(`/${hidden}/`))).toBe(false)
      // ...found, whatever the chunks.
      expect(names).toContain(scan(pdf).found)
      expect(names).toContain(scan(pdf, 7).found)
      // And without object streams, in plain sight.
      expect(names).toContain(scan(await libPdf({ ...opts, objectStreams: false })).found)
    }
    // The JavaScript case is found only through the inflated object stream.
    const js = scan(await libPdf({ js: true, objectStreams: true }))
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
