import fs from 'node:fs'
import yauzl from 'yauzl'

/** The entries of a ZIP (a file's path or its bytes), read with a real ZIP reader (yauzl), each checked against its size and CRC. */
export function unzip(source: string | Buffer): Promise<Map<string, Buffer>> {
  const buf = typeof source === 'string' ? fs.readFileSync(source) : source
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('ZIP illisible'))
      const out = new Map<string, Buffer>()
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('entrée de ZIP illisible'))
          const parts: Buffer[] = []
          stream.on('data', (c: Buffer) => parts.push(c))
          stream.on('error', reject)
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(parts))
            zip.readEntry()
          })
        })
      })
      zip.on('end', () => resolve(out))
      zip.on('error', reject)
      zip.readEntry()
    })
  })
}
