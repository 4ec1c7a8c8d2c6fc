import crypto from 'node:crypto'
import { binaryTuples, openChunk, rechunk, sealChunk } from '../../src/infrastructure/documentStore'

/** A binary COPY stream as PostgreSQL sends it: signature, flags, extension, tuples, trailer. */
function copyStream(tuples: Buffer[][]): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(4), Buffer.from([0, 0, 0, 2, 0xaa, 0xbb])]
  for (const t of tuples) {
    const n = Buffer.alloc(2)
    n.writeInt16BE(t.length)
    parts.push(n)
    for (const f of t) {
      const len = Buffer.alloc(4)
      len.writeInt32BE(f.length)
      parts.push(len, f)
    }
  }
  parts.push(Buffer.from([0xff, 0xff]))
  return Buffer.concat(parts)
}

async function* pieces(buf: Buffer, max: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < buf.length;) {
    const n = 1 + Math.floor(Math.random() * max)
    yield buf.subarray(at, at + n)
    at += n
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('document store: binary COPY parsing and chunk sealing', () => {
  const seq = (i: number) => {
    const b = Buffer.alloc(4)
    b.writeInt32BE(i)
    return b
  }
  const tuples = [
    [seq(0), crypto.randomBytes(1000)],
    [seq(1), Buffer.alloc(0)],
    [seq(2), crypto.randomBytes(70_000)],
  ]

  it.each([1, 3, 7, 4096, 1 << 20])('parses tuples whatever the cut of the stream (pieces up to %i bytes)', async (max) => {
    const got = await collect(binaryTuples(pieces(copyStream(tuples), max)))
    expect(got).toHaveLength(3)
    got.forEach((t, i) => {
      expect(t[0].equals(tuples[i][0])).toBe(true)
      expect(t[1].equals(tuples[i][1])).toBe(true)
    })
  })

  it('a stream cut before its trailer is an error, never a short file', async () => {
    const whole = copyStream(tuples)
    await expect(collect(binaryTuples(pieces(whole.subarray(0, whole.length - 10), 100)))).rejects.toThrow('flux COPY incomplet')
  })

  it('rechunk cuts to exact sizes; a sealed chunk opens only at its own place', async () => {
    const data = crypto.randomBytes(1000)
    const chunks = await collect(rechunk(pieces(data, 77), 256))
    expect(chunks.map((c) => c.length)).toEqual([256, 256, 256, 232])
    expect(Buffer.concat(chunks).equals(data)).toBe(true)
    const key = crypto.randomBytes(32)
    const sealed = sealChunk(key, 'doc', 3, chunks[0])
    expect(openChunk(key, 'doc', 3, sealed).equals(chunks[0])).toBe(true)
    expect(() => openChunk(key, 'doc', 2, sealed)).toThrow()
    expect(() => openChunk(key, 'autre', 3, sealed)).toThrow()
  })
})
