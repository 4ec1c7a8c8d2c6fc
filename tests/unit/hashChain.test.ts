import crypto from 'node:crypto'
import {
  ChainVerifier,
  GENESIS,
  canonicalJson,
  entryBodyAroundSeq,
  entryHash,
  verifyChain,
  type ChainedEntry,
  type StoredEntry,
} from '../../src/domain/hashChain'

function chain(n: number, key = 'personne-1'): StoredEntry[] {
  const rows: StoredEntry[] = []
  let prev = GENESIS
  for (let i = 1; i <= n; i++) {
    const e: ChainedEntry = {
      chainKey: key,
      seq: i,
      occurredAt: new Date(Date.UTC(2026, 0, i)).toISOString(),
      actorAccountId: 'a',
      actorRole: 'patient',
      actorName: 'Camille Martin',
      actorOrganisation: null,
      action: 'document.read',
      objectType: 'document',
      objectId: String(i),
      subjectPersonId: key,
      emergency: false,
      details: { titre: `doc ${i}`, b: 1, a: 2 },
    }
    const hash = entryHash(prev, e)
    rows.push({ ...e, prevHash: prev, hash })
    prev = hash
  }
  return rows
}

describe('journal chaîné', () => {
  it('sérialise de façon canonique', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}')
  })
  it('accepte une chaîne intacte', () => {
    expect(verifyChain(chain(5))).toBeUndefined()
  })
  it('détecte un contenu modifié', () => {
    const rows = chain(5)
    rows[2] = { ...rows[2], actorName: 'Quelqu’un d’autre' }
    expect(verifyChain(rows)).toEqual({ chainKey: 'personne-1', seq: 3, reason: 'hash' })
  })
  it('détecte une ligne supprimée', () => {
    const rows = chain(5)
    rows.splice(1, 1)
    expect(verifyChain(rows)).toEqual({ chainKey: 'personne-1', seq: 3, reason: 'gap' })
  })
  it('détecte une ligne recalculée sans ses suivantes', () => {
    const rows = chain(4)
    const e = { ...rows[1], action: 'document.delete' }
    rows[1] = { ...e, hash: entryHash(e.prevHash, e) }
    expect(verifyChain(rows)).toEqual({ chainKey: 'personne-1', seq: 3, reason: 'prev' })
  })
  it('vérifie plusieurs chaînes à la suite, en flux', () => {
    const v = new ChainVerifier()
    for (const r of [...chain(3, 'a'), ...chain(2, 'b')]) expect(v.push(r)).toBeUndefined()
    expect(v.chains).toBe(2)
    expect(v.rows).toBe(5)
  })
  it('découpe le corps autour de seq comme le hache la base (activity_append), même avec une clé seq dans details', () => {
    for (const details of [null, { seq: 0, titre: '"seq":0 « é »' }, { a: { seq: 12 } }]) {
      const { seq, ...rest } = { ...chain(1)[0], seq: 4321, details }
      const { before, after } = entryBodyAroundSeq(rest)
      const sqlLike = crypto.createHash('sha256').update(`${GENESIS}\n${before}${seq}${after}`, 'utf8').digest('hex')
      expect(sqlLike).toBe(entryHash(GENESIS, { ...rest, seq }))
    }
  })
})
