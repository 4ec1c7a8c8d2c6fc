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
/**
 * A name can only decode to an active one if its raw bytes start with the first letter of one
 * (J, L, E) or with an escape (`#`), and are at most three bytes per letter of the longest one: the
 * others are skipped without building a string (in 10 Mo of compressed data, tens of thousands of
 * random «names»).
 */
const MAY_BE_ACTIVE = new Uint8Array(256)
for (const c of 'JLE#') MAY_BE_ACTIVE[c.charCodeAt(0)] = 1
const MAX_ACTIVE_RAW = 3 * Math.max(...[...ACTIVE_NAMES].map((n) => n.length))

const decodeName = (raw: string): string => raw.replace(/#([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))

/**
 * Reads PDF names from a byte stream and remembers the first active one. `longOnly`: inside raw stream
 * data (compressed images, fonts...), where three random bytes could spell `/JS`, only the long names
 * count (`/JavaScript`, `/Launch`, `/EmbeddedFile(s)`: a JavaScript action always names `/JavaScript`).
 */
class NameScanner {
  private inName = false
  /** The name's first byte was seen: `skip` says whether it can still be an active one. */
  private started = false
  private skip = false
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
        this.started = false
        this.name = ''
        i = j + 1
        continue
      }
      if (!this.started) {
        this.started = true
        this.skip = !MAY_BE_ACTIVE[chunk[i]]
      }
      // The name's bytes up to its end (or the chunk's), read at once.
      let k = i
      while (k < chunk.length && !NAME_END[chunk[k]]) k++
      if (!this.skip) {
        if (this.name.length + (k - i) > MAX_ACTIVE_RAW) this.skip = true
        else this.name += chunk.toString('latin1', i, k)
      }
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
    if (this.skip || this.name.length === 0) return
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
const WINDOW = 4096

/**
 * The last bytes of what came before (at most WINDOW) followed by the new chunk, read as one stretch
 * of bytes without copying the chunk: a copy per chunk would be 10 Mo more for the garbage collector
 * on each 10 Mo upload. Positions count from the start of `head`.
 */
class Joined {
  readonly length: number
  constructor(
    private readonly head: Buffer,
    private readonly body: Buffer,
  ) {
    this.length = head.length + body.length
  }
  byte(i: number): number | undefined {
    return i < this.head.length ? this.head[i] : this.body[i - this.head.length]
  }
  /** Where `word` next starts from `from`, or -1 (a word cut between head and body is found). */
  indexOf(word: string, from: number): number {
    const h = this.head.length
    if (from < h) {
      // The unread end of the head and the body's first bytes (fewer than the word): a small copy.
      const seam = Buffer.concat([this.head.subarray(from), this.body.subarray(0, word.length - 1)])
      const i = seam.indexOf(word, 0, 'latin1')
      if (i >= 0) return from + i
    }
    const j = this.body.indexOf(word, Math.max(0, from - h), 'latin1')
    return j < 0 ? -1 : h + j
  }
  /** The bytes from `a` to `b`, as at most two pieces (not copied). */
  pieces(a: number, b: number): Buffer[] {
    const h = this.head.length
    const out: Buffer[] = []
    if (a < h && a < b) out.push(this.head.subarray(a, Math.min(b, h)))
    if (b > h && b > a) out.push(this.body.subarray(Math.max(0, a - h), b - h))
    return out
  }
  /** A copy of a short stretch (the context kept for the next chunk). */
  copy(a: number, b = this.length): Buffer {
    return Buffer.concat(this.pieces(a, b))
  }
}

/**
 * The next `stream` keyword that opens a stream's data (not the one of `endstream`; followed by LF
 * or CRLF) from `from`: where the keyword starts and where the data starts.
 */
function nextStreamKeyword(data: Joined, from: number): { at: number; start: number } | undefined {
  for (let at = data.indexOf('stream', from); at >= 0; at = data.indexOf('stream', at + 1)) {
    if (data.byte(at - 3) === 0x65 && data.byte(at - 2) === 0x6e && data.byte(at - 1) === 0x64) continue // «end»
    const nl = at + 6
    if (data.byte(nl) === 0x0a) return { at, start: nl + 1 }
    if (data.byte(nl) === 0x0d && data.byte(nl + 1) === 0x0a) return { at, start: nl + 2 }
  }
  return undefined
}

/** Finds active names in a PDF: outside its streams, in its raw stream data, in its FlateDecode object streams. */
export class PdfActiveContentScanner {
  private outside = new NameScanner()
  private inside = new NameScanner(true)
  /** The last bytes seen (the context of the next chunk), and where the unread ones start in it. */
  private window: Buffer = Buffer.alloc(0)
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
    const data = new Joined(this.window, chunk)
    let from = this.resumeAt
    for (;;) {
      if (this.inStream) {
        const end = data.indexOf('endstream', from)
        // Without it yet, keep the last bytes back: «endstream» may be cut in two.
        const stop = end < 0 ? Math.max(from, data.length - 9) : end
        for (const part of data.pieces(from, stop)) {
          this.inside.push(part)
          if (this.objStm) this.collect(part)
        }
        if (end < 0) {
          this.window = data.copy(stop)
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
      const m = nextStreamKeyword(data, from)
      if (!m) break
      const start = m.start
      for (const part of data.pieces(from, start)) this.outside.push(part)
      if (this.found) return
      this.inStream = true
      if (this.isFlateObjectStream(data.copy(Math.max(0, m.at - WINDOW), m.at).toString('latin1'))) {
        this.objStm = []
        this.objStmSize = 0
      }
      from = start
    }
    // Outside any stream: read all but the last bytes (a «stream» keyword may be cut in two), keep
    // the last WINDOW bytes as the context of the next chunk (the dictionary before a stream).
    const stop = Math.max(from, data.length - 8)
    for (const part of data.pieces(from, stop)) this.outside.push(part)
    const keepFrom = Math.max(0, data.length - WINDOW)
    this.window = data.copy(keepFrom)
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
  /** The last pieces pushed, at least ZIP_TAIL bytes when there are: views, not copies (a pushed piece is not changed after). */
  private tail: Buffer[] = []
  private tailLength = 0
  private size = 0
  constructor(private readonly primary: 'pdf' | 'image' | 'text') {}

  push(chunk: Buffer): void {
    if (this.head.length < HEAD) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD - this.head.length)])
    this.size += chunk.length
    this.tail.push(chunk)
    this.tailLength += chunk.length
    while (this.tailLength - this.tail[0].length >= ZIP_TAIL) this.tailLength -= this.tail.shift()!.length
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
    const all = Buffer.concat(this.tail, this.tailLength)
    const t = all.subarray(Math.max(0, all.length - ZIP_TAIL))
    for (let i = t.length - 22; i >= 0; i--) {
      if (t[i] === 0x50 && t[i + 1] === 0x4b && t[i + 2] === 0x05 && t[i + 3] === 0x06) {
        const commentLength = t.readUInt16LE(i + 20)
        if (i + 22 + commentLength === t.length) return true
      }
    }
    return false
  }
}
