/**
 * A streaming CSV reader (RFC 4180) for large imports: text is pushed chunk by chunk and every
 * complete record is handed over at once, so memory holds one chunk plus one unfinished record.
 *  - separator `;` or `,`, guessed from the first record (the one used more often outside quotes);
 *  - fields may be quoted: `"a;b"`, `"He said ""yes"""`, and a quoted field may span lines;
 *  - line ends \n or \r\n; blank lines are skipped; a byte-order mark at the start is dropped;
 *  - records without any quote (nearly all of them) are split with `String.split`, the rest go
 *    through a small state machine.
 * A record is numbered from 1 (the header) in the order read; a record with a quoted line break
 * counts once. An unclosed quote at the end of the file, or one record longer than `maxRecord`
 * characters, is reported as a fault of that record (`malformed`), never thrown.
 */
export interface CsvRecord {
  cells: string[]
  /** 1 for the first record (the header). */
  number: number
  /** Set when the record is not well-formed CSV (the cells are what could be read). */
  malformed?: 'unclosed_quote' | 'too_long'
}

export class CsvReader {
  delimiter: ';' | ',' | undefined
  private carry = ''
  private count = 0
  private started = false
  private skipping = false

  constructor(private readonly opts: { maxRecord?: number } = {}) {}

  /** Pushes text; returns the complete records it finished. */
  push(text: string, out: CsvRecord[] = []): CsvRecord[] {
    let buf = this.carry + text
    this.carry = ''
    if (!this.started) {
      if (!buf) return out
      this.started = true
      if (buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1)
    }
    this.scan(buf, false, out)
    return out
  }

  /** The end of the input: the last record, even without a final line break. */
  end(out: CsvRecord[] = []): CsvRecord[] {
    const buf = this.carry
    this.carry = ''
    if (buf) this.scan(buf, true, out)
    return out
  }

  private scan(buf: string, final: boolean, out: CsvRecord[]): void {
    const max = this.opts.maxRecord ?? 1 << 20
    let pos = 0
    const n = buf.length
    if (this.skipping) {
      // The rest of a record already reported as too long: skip to the next line break.
      const nl = buf.indexOf('\n')
      if (nl < 0) return
      this.skipping = false
      pos = nl + 1
    }
    while (pos < n) {
      let nl = buf.indexOf('\n', pos)
      if (nl < 0 && !final) {
        this.keep(buf, pos, max, out)
        return
      }
      if (nl < 0) nl = n
      const quote = buf.indexOf('"', pos)
      if (quote < 0 || quote > nl) {
        // Fast path: a record without quotes.
        let lineEnd = nl
        if (lineEnd > pos && buf.charCodeAt(lineEnd - 1) === 13) lineEnd--
        const line = buf.slice(pos, lineEnd)
        pos = nl + 1
        if (!line.trim()) continue
        if (!this.delimiter) this.delimiter = guessDelimiter(line)
        out.push({ cells: line.split(this.delimiter), number: ++this.count })
        continue
      }
      const r = this.quoted(buf, pos, final)
      if (!r) {
        this.keep(buf, pos, max, out)
        return
      }
      pos = r.next
      if (r.cells.length === 1 && !r.cells[0].trim() && !r.malformed) continue
      const rec: CsvRecord = { cells: r.cells, number: ++this.count }
      if (r.malformed) rec.malformed = r.malformed
      out.push(rec)
    }
  }

  /** Keeps an unfinished record for the next chunk, unless it is already too long. */
  private keep(buf: string, pos: number, max: number, out: CsvRecord[]): void {
    if (buf.length - pos > max) {
      out.push({ cells: [], number: ++this.count, malformed: 'too_long' })
      this.skipping = true
      const nl = buf.indexOf('\n', pos + max)
      if (nl >= 0) {
        this.skipping = false
        this.scan(buf.slice(nl + 1), false, out)
      }
      return
    }
    this.carry = buf.slice(pos)
  }

  /** One record with quotes, from `start`; undefined when it needs more text. */
  private quoted(buf: string, start: number, final: boolean): { cells: string[]; next: number; malformed?: 'unclosed_quote' } | undefined {
    if (!this.delimiter) {
      const nl = buf.indexOf('\n', start)
      this.delimiter = guessDelimiter(buf.slice(start, nl < 0 ? buf.length : nl))
    }
    const d = this.delimiter.charCodeAt(0)
    const cells: string[] = []
    let field = ''
    let i = start
    const n = buf.length
    for (;;) {
      // At the start of a field.
      if (i < n && buf.charCodeAt(i) === 34) {
        i++
        let closed = false
        while (i < n) {
          const q = buf.indexOf('"', i)
          if (q < 0) {
            field += buf.slice(i)
            i = n
            break
          }
          field += buf.slice(i, q)
          if (q + 1 < n && buf.charCodeAt(q + 1) === 34) {
            field += '"'
            i = q + 2
            continue
          }
          if (q + 1 >= n && !final) return undefined // `"` at the very end: a `""` may follow
          i = q + 1
          closed = true
          break
        }
        if (!closed) {
          if (!final) return undefined
          cells.push(field)
          return { cells, next: n, malformed: 'unclosed_quote' }
        }
      }
      // Unquoted part (or what follows a closing quote, kept as typed): up to the separator or the line end.
      let j = i
      while (j < n) {
        const c = buf.charCodeAt(j)
        if (c === d || c === 10) break
        j++
      }
      if (j >= n && !final) return undefined
      let piece = buf.slice(i, j)
      if ((j >= n || buf.charCodeAt(j) === 10) && piece.endsWith('\r')) piece = piece.slice(0, -1)
      field += piece
      cells.push(field)
      field = ''
      if (j >= n) return { cells, next: n }
      if (buf.charCodeAt(j) === 10) return { cells, next: j + 1 }
      i = j + 1
    }
  }
}

function guessDelimiter(line: string): ';' | ',' {
  let semi = 0
  let comma = 0
  let inQuotes = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === '"') inQuotes = !inQuotes
    else if (!inQuotes && c === ';') semi++
    else if (!inQuotes && c === ',') comma++
  }
  return comma > semi ? ',' : ';'
}
