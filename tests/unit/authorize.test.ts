import { createAuthorize, enforce } from '../../src/access/authorize'
import { DEFAULT_SETTINGS, type DocumentFacts, type PolicyFacts, type Relation } from '../../src/domain/accessPolicy'
import type { Actor } from '../../src/domain/actor'
import { ForbiddenError, NotFoundError } from '../../src/errors'

/** src/access/authorize.ts: load the facts, ask the pure policy, answer 404 or 403. */
const camille: Actor = { accountId: 'a1', kind: 'patient', displayName: 'Camille Martin', personId: 'p-camille' }
const asLeo: Actor = { ...camille, acting: { personId: 'p-leo', as: 'representative', displayName: 'Léo Martin' } }
const agent: Actor = { accountId: 'a2', kind: 'agent', displayName: 'Nadia Roux' }

const facts = (personId: string, relation: Relation): PolicyFacts => ({
  personId,
  spaceState: 'activated',
  relation,
  settings: { ...DEFAULT_SETTINGS },
  now: new Date('2026-06-01T10:00:00Z'),
})

// The facts as the loader would read them: Camille is herself on her space, Léo's representative on his.
const loaded: string[] = []
const { authorize, authorizeSubject, factsOf, allows } = createAuthorize(async (_db, actor, personId) => {
  loaded.push(personId)
  if (personId === 'p-camille') return facts(personId, actor.personId === personId && !actor.acting ? { kind: 'self' } : { kind: 'none' })
  if (personId === 'p-leo')
    return facts(personId, actor.acting?.personId === personId ? { kind: 'representative', childAge: 11 } : { kind: 'none' })
  return undefined
})
const db = {} as never // the loader above reads nothing

describe('authorize (src/access)', () => {
  beforeEach(() => (loaded.length = 0))

  it('rend les faits quand la politique autorise, sur l’espace demandé', async () => {
    const f = await authorize(db, camille, 'read', { type: 'history' }, 'p-camille')
    expect(f.relation).toEqual({ kind: 'self' })
    expect(loaded).toEqual(['p-camille'])
  })

  it('403 quand la politique refuse, avec le message donné', async () => {
    const refused = authorize(db, camille, 'read', { type: 'history' }, 'p-leo', { message: 'Pas ce profil.' })
    await expect(refused).rejects.toBeInstanceOf(ForbiddenError)
    await expect(authorize(db, camille, 'read', { type: 'history' }, 'p-leo', { message: 'Pas ce profil.' })).rejects.toThrow(
      'Pas ce profil.',
    )
  })

  it('404 pour une personne inconnue, et pour un document que l’acteur ne peut pas connaître', async () => {
    await expect(authorize(db, camille, 'read', { type: 'history' }, 'p-inconnue')).rejects.toBeInstanceOf(NotFoundError)
    await expect(factsOf(db, camille, 'p-inconnue')).rejects.toBeInstanceOf(NotFoundError)
    const document: DocumentFacts = {
      personId: 'p-leo',
      authorKind: 'professional',
      authorAccountId: 'x',
      authorProfessionalId: 'pro-1',
      category: 'CR_CONSULT',
      masked: false,
      invisibleToRepresentatives: true,
      heldUntil: null,
      heldReleasedAt: null,
    }
    const f = await factsOf(db, asLeo, 'p-leo')
    expect(() => enforce(asLeo, 'read', { type: 'document', document }, f)).toThrow(NotFoundError)
  })

  it('authorizeSubject : l’espace regardé (le sien, ou celui de l’enfant après « Changer de profil »), 403 sans espace', async () => {
    expect((await authorizeSubject(db, camille, 'list', { type: 'agenda' })).personId).toBe('p-camille')
    expect((await authorizeSubject(db, asLeo, 'list', { type: 'agenda' })).personId).toBe('p-leo')
    await expect(authorizeSubject(db, agent, 'list', { type: 'agenda' }, { message: 'Aucun espace.' })).rejects.toThrow('Aucun espace.')
    expect(loaded).toEqual(['p-camille', 'p-leo'])
  })

  it('allows répond oui ou non sans lever d’erreur', async () => {
    expect(await allows(db, camille, 'read', { type: 'history' }, 'p-camille')).toBe(true)
    expect(await allows(db, camille, 'read', { type: 'history' }, 'p-leo')).toBe(false)
    expect(await allows(db, camille, 'read', { type: 'history' }, undefined)).toBe(false)
    expect(await allows(db, camille, 'read', { type: 'history' }, 'p-inconnue')).toBe(false)
  })
})
