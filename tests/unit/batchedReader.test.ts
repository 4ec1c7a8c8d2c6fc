import { batchedReader } from '../../src/infrastructure/roundTrips'

describe('batchedReader : les lectures demandées ensemble partagent une instruction', () => {
  it('une seule lecture pour les clés du même tour, un résultat par clé dans l’ordre, même pour des clés égales', async () => {
    const calls: string[][] = []
    const read = batchedReader(async (keys: string[]) => {
      calls.push(keys)
      return keys.map((k, i) => `${k}#${i}`)
    })
    const results = await Promise.all([read('a'), read('b'), read('a')])
    expect(calls).toEqual([['a', 'b', 'a']])
    expect(results).toEqual(['a#0', 'b#1', 'a#2'])
    // A later turn: a new statement, never an earlier result.
    expect(await read('a')).toBe('a#0')
    expect(calls).toHaveLength(2)
  })

  it('au plus `max` clés par instruction', async () => {
    const sizes: number[] = []
    const read = batchedReader(async (keys: number[]) => {
      sizes.push(keys.length)
      return keys.map((k) => k * 2)
    }, 2)
    expect(await Promise.all([1, 2, 3, 4, 5].map(read))).toEqual([2, 4, 6, 8, 10])
    expect(sizes).toEqual([2, 2, 1])
  })

  it("une erreur de l'instruction, ou un nombre de résultats faux, rejette chaque appelant", async () => {
    const failing = batchedReader(async (_keys: string[]): Promise<string[]> => {
      throw new Error('base indisponible')
    })
    const outcomes = await Promise.allSettled([failing('a'), failing('b')])
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected'])
    const short = batchedReader(async (_keys: string[]) => ['seul'])
    await expect(Promise.all([short('a'), short('b')])).rejects.toThrow('un résultat par clé')
  })
})
