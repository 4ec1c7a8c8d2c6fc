import { groupedUuid, uuidGroup } from '../../src/domain/groupedUuid'

describe('groupedUuid', () => {
  it('a UUID of version 8 (RFC 9562) whose first 48 bits are those of its group', () => {
    const g = uuidGroup()
    const a = groupedUuid(g)
    const b = groupedUuid(g)
    for (const id of [a, b]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a.slice(0, 13)).toBe(b.slice(0, 13))
    expect(a).not.toBe(b)
  })

  it('groups are spread over the whole uuid space (both halves reached)', () => {
    const firsts = new Set(Array.from({ length: 200 }, () => uuidGroup()[0] < '8'))
    expect(firsts).toEqual(new Set([true, false]))
  })
})
