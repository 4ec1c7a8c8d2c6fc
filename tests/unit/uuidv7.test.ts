import { uuidv7 } from '../../src/domain/uuidv7'

describe('uuidv7', () => {
  it('a version 7 UUID (RFC 9562) carrying the time in milliseconds', () => {
    const at = Date.UTC(2026, 10, 24, 12, 0, 0, 123)
    const id = uuidv7(at)
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at)
  })

  it('ids made later sort after, and ids of the same millisecond differ', () => {
    const a = uuidv7(1_000_000)
    const b = uuidv7(1_000_000)
    const c = uuidv7(1_000_001)
    expect(a).not.toBe(b)
    expect(a < c && b < c).toBe(true)
  })
})
