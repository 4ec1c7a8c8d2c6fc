import zlib from 'node:zlib'

/**
 * Checks of an uploaded file's bytes beyond its type, as they stream (no file is ever held whole):
 *  - a PDF must carry nothing active: no JavaScript (`/JS`, `/JavaScript`), no launch action
 *    (`/Launch`), no embedded file (`/EmbeddedFile`, `/EmbeddedFiles`). Names are read as PDF names
 *    (`/Java#53cript` is `/JavaScript`), across chunk boundaries, and inside the object streams
 *    (`/Type /ObjStm`) compressed with FlateDecode alone, which are inflated (up to a bound) and read
 *    the same way. Not seen: object streams with another filter or encrypted (an encrypted PDF's
 *    streams cannot be read without its key), and content beyond the bound of an object stream;
 *  - a file must not be of two types at once (a polyglot): an image or a text whose first 1024 bytes
 *    hold a PDF header (PDF readers look there), a file that ends with a valid ZIP directory (a ZIP
 *    reader opens it from its end), a binary file whose first 1024 bytes hold HTML or SVG.
 * Pure: no I/O; `push` each chunk in order, then `end()`.
 */

/** The names that make a PDF active. */
const ACTIVE_NAMES = new Set(['JS', 'JavaScript', 'Launch', 'EmbeddedFile', 'EmbeddedFiles'])

/** PDF delimiters and white space: a name ends at any of these. */
const NAME_END = new Uint8Array(256)
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25]) NAME_END[c] = 1
const SLASH = 0x2f
const MAX_NAME = 127

const decodeName = (raw: string): string => raw.replace(/#([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))

/**
 * Reads PDF names from a byte stream and remembers the first active one. `longOnly`: inside raw stream
 * data (compressed images, fonts...), where three random bytes could spell `/JS`, only the long names
 * count (`/JavaScript`, `/Launch`, `/EmbeddedFile(s)`: a JavaScript action always names `/JavaScript`).
 */
class NameScanner {
  private inName = false
  private name = ''
  found: string | undefined
  constructor(private readonly longOnly = false) {}
  push(chunk: Buffer): void {
    let i = 0
    while (i < chunk.length && !this.found) {
      if (!this.inName) {
        const j = chunk.indexOf(SLASH, i)
        if (j < 0) return
        this.inName = true
        this.name = ''
        i = j + 1
        continue
      }
      // The name's bytes up to its end (or the chunk's), read at once.
      let k = i
      while (k < chunk.length && !NAME_END[chunk[k]]) k++
      if (this.name.length <= MAX_NAME * 3) this.name += chunk.toString('latin1', i, Math.min(k, i + MAX_NAME * 3 + 1))
      if (k === chunk.length) return
      this.endName()
      // A slash both ends this name and starts the next one.
      i = chunk[k] === SLASH ? k : k + 1
    }
  }
  end(): void {
    if (this.inName) this.endName()
  }
  private endName() {
    this.inName = false
    if (this.name.length === 0 || this.name.length > MAX_NAME * 3) return
    const name = decodeName(this.name)
    if (ACTIVE_NAMES.has(name) && !(this.longOnly && name.length < 6)) this.found = name
  }
}

/** The names of a stretch of PDF text (a dictionary), decoded. */
function namesIn(text: string): string[] {
  return [...text.matchAll(/\/([^\s/[\]<>(){}%]+)/g)].map((m) => decodeName(m[1]))
}

/** Largest object stream collected, and largest inflated, for the scan (beyond: not read). */
const MAX_OBJSTM_BYTES = 8 * 1024 * 1024
const MAX_INFLATED_BYTES = 32 * 1024 * 1024
const STREAM_KEYWORD = /(?<!end)stream\r?\n/g
const WINDOW = 4096

/** Finds active names in a PDF: outside its streams, in its raw stream data, in its FlateDecode object streams. */
export class PdfActiveContentScanner {
  private outside = new NameScanner()
  private inside = new NameScanner(true)
  /** The last bytes seen (the context of the next chunk), and where the unread ones start in it. */
  private window = Buffer.alloc(0)
  private resumeAt = 0
  private inStream = false
  /** Bytes of an object stream being collected (until `endstream`). */
  private objStm: Buffer[] | undefined
  private objStmSize = 0
  private inner: string | undefined
  /** How many object streams were inflated and read, and how many could not be (for tests and logs). */
  readonly objectStreams = { read: 0, unread: 0 }

  get found(): string | undefined {
    return this.outside.found ?? this.inside.found ?? this.inner
  }

  push(chunk: Buffer): void {
    if (this.found) return
    const data = Buffer.concat([this.window, chunk])
    const text = data.toString('latin1')
    let from = this.resumeAt
    for (;;) {
      if (this.inStream) {
        const end = text.indexOf('endstream', from)
        // Without it yet, keep the last bytes back: «endstream» may be cut in two.
        const stop = end < 0 ? Math.max(from, data.length - 9) : end
        const part = data.subarray(from, stop)
        this.inside.push(part)
        if (this.objStm) this.collect(part)
        if (end < 0) {
          this.window = Buffer.from(data.subarray(stop))
          this.resumeAt = 0
          return
        }
        this.inside.end()
        this.inStream = false
        if (this.objStm) this.readObjectStream()
        if (this.found) return
        from = end + 9
        continue
      }
      STREAM_KEYWORD.lastIndex = from
      const m = STREAM_KEYWORD.exec(text)
      if (!m) break
      const start = m.index + m[0].length
      this.outside.push(data.subarray(from, start))
      if (this.found) return
      this.inStream = true
      if (this.isFlateObjectStream(text.slice(Math.max(0, m.index - WINDOW), m.index))) {
        this.objStm = []
        this.objStmSize = 0
      }
      from = start
    }
    // Outside any stream: read all but the last bytes (a «stream» keyword may be cut in two), keep
    // the last WINDOW bytes as the context of the next chunk (the dictionary before a stream).
    const stop = Math.max(from, data.length - 8)
    this.outside.push(data.subarray(from, stop))
    const keepFrom = Math.max(0, data.length - WINDOW)
    this.window = Buffer.from(data.subarray(keepFrom))
    this.resumeAt = stop - keepFrom
  }

  end(): string | undefined {
    if (!this.found) {
      const rest = this.window.subarray(this.resumeAt)
      if (this.inStream) this.inside.push(rest)
      else this.outside.push(rest)
      this.outside.end()
      this.inside.end()
    }
    return this.found
  }

  private collect(part: Buffer) {
    this.objStmSize += part.length
    if (this.objStmSize <= MAX_OBJSTM_BYTES) this.objStm!.push(Buffer.from(part))
  }

  /** The dictionary before a `stream` keyword: an object stream compressed with FlateDecode alone? */
  private isFlateObjectStream(before: string): boolean {
    const obj = before.lastIndexOf(' obj')
    const dict = obj >= 0 ? before.slice(obj) : before
    const names = namesIn(dict)
    if (!names.includes('ObjStm')) return false
    const filters = names.filter((n) => n.endsWith('Decode') || n === 'Crypt')
    if (filters.length === 1 && filters[0] === 'FlateDecode') return true
    this.objectStreams.unread++
    return false
  }

  private readObjectStream() {
    const raw = Buffer.concat(this.objStm ?? [])
    this.objStm = undefined
    if (this.objStmSize > MAX_OBJSTM_BYTES) {
      this.objectStreams.unread++
      return
    }
    let inflated: Buffer
    try {
      // A truncated or padded stream still gives what it holds.
      inflated = zlib.inflateSync(raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: MAX_INFLATED_BYTES })
    } catch {
      this.objectStreams.unread++
      return
    }
    this.objectStreams.read++
    const inner = new NameScanner()
    inner.push(inflated)
    inner.end()
    if (inner.found) this.inner = inner.found
  }
}

/** The second type a file's bytes also match, if any (see the module's comment). */
export type PolyglotKind = 'pdf' | 'zip' | 'html'

const HEAD = 1024
const ZIP_TAIL = 22 + 65535

export class PolyglotDetector {
  private head = Buffer.alloc(0)
  private tail = Buffer.alloc(0)
  private size = 0
  constructor(private readonly primary: 'pdf' | 'image' | 'text') {}

  push(chunk: Buffer): void {
    if (this.head.length < HEAD) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD - this.head.length)])
    this.size += chunk.length
    this.tail = chunk.length >= ZIP_TAIL ? Buffer.from(chunk.subarray(chunk.length - ZIP_TAIL)) : Buffer.concat([this.tail, chunk])
    if (this.tail.length > ZIP_TAIL) this.tail = Buffer.from(this.tail.subarray(this.tail.length - ZIP_TAIL))
  }

  end(): PolyglotKind | undefined {
    const head = this.head.toString('latin1')
    // A PDF reader opens any file with «%PDF-» in its first 1024 bytes.
    if (this.primary !== 'pdf' && head.includes('%PDF-')) return 'pdf'
    if (this.primary !== 'text' && /<(html|script|svg|!doctype\s+html)[\s>/]/i.test(head)) return 'html'
    if (this.zipDirectoryAtEnd()) return 'zip'
    return undefined
  }

  /** A ZIP «end of central directory» record whose comment ends exactly at the end of the file. */
  private zipDirectoryAtEnd(): boolean {
    const t = this.tail
    for (let i = t.length - 22; i >= 0; i--) {
      if (t[i] === 0x50 && t[i + 1] === 0x4b && t[i + 2] === 0x05 && t[i + 3] === 0x06) {
        const commentLength = t.readUInt16LE(i + 20)
        if (i + 22 + commentLength === t.length) return true
      }
    }
    return false
  }
}
