import crypto from 'node:crypto'
import { newDataKey, open, seal, unwrapDataKey } from '../../src/infrastructure/crypto'

const master = crypto.randomBytes(32)

describe('AES-256-GCM', () => {
  it('scelle et ouvre', () => {
    const s = seal(master, 'code H8RD2VNC6JQE')
    expect(s.toString('utf8')).not.toContain('H8RD')
    expect(open(master, s).toString()).toBe('code H8RD2VNC6JQE')
  })
  it('refuse un contenu altéré ou une autre clé', () => {
    const s = seal(master, 'secret')
    const altered = Buffer.from(s)
    altered[altered.length - 1] ^= 1
    expect(() => open(master, altered)).toThrow()
    expect(() => open(crypto.randomBytes(32), s)).toThrow()
  })
  it('enveloppe une clé de données par la clé maîtresse', () => {
    const { key, wrapped } = newDataKey(master)
    expect(key).toHaveLength(32)
    expect(unwrapDataKey(master, wrapped).equals(key)).toBe(true)
  })
})
