import { checkChoice, consentState, grantedCategories, parseRequestKey, requestLabel, type ServiceVersion } from '../../src/domain/consent'

const v1: ServiceVersion = {
  version: 1,
  requests: [
    { category: 'mesures', access: 'write' },
    { category: 'traitements', access: 'read' },
  ],
}
const v2: ServiceVersion = { version: 2, requests: [...v1.requests, { category: 'profil', access: 'read' }] }
const v3: ServiceVersion = { version: 3, requests: [{ category: 'traitements', access: 'read' }] }

describe('consentement à un service connecté', () => {
  it.each([
    ['pas de consentement : rien', v1, null, [], false],
    [
      'tout accordé, même version',
      v1,
      { version: 1, asked: ['mesures:write', 'traitements:read'], granted: ['mesures:write', 'traitements:read'] },
      ['mesures:write', 'traitements:read'],
      false,
    ],
    [
      'une seule case cochée',
      v1,
      { version: 1, asked: ['mesures:write', 'traitements:read'], granted: ['traitements:read'] },
      ['traitements:read'],
      false,
    ],
    [
      'nouvelle demande : pas accordée, nouvel accord demandé',
      v2,
      { version: 1, asked: ['mesures:write', 'traitements:read'], granted: ['mesures:write', 'traitements:read'] },
      ['mesures:write', 'traitements:read'],
      true,
    ],
    [
      'refus ancien : reste refusé sans redemander',
      v2,
      { version: 2, asked: ['mesures:write', 'traitements:read', 'profil:read'], granted: ['mesures:write'] },
      ['mesures:write'],
      false,
    ],
    [
      'demande retirée : plus accordée, rien à redemander',
      v3,
      { version: 1, asked: ['mesures:write', 'traitements:read'], granted: ['mesures:write', 'traitements:read'] },
      ['traitements:read'],
      false,
    ],
    [
      'refusé en version 1 et toujours demandé en version 2 : pas redemandé',
      v2,
      { version: 1, asked: ['mesures:write', 'traitements:read'], granted: ['traitements:read'] },
      ['traitements:read'],
      true,
    ],
  ] as const)('%s', (_label, current, consent, effective, needs) => {
    const s = consentState(current, consent ? { ...consent, asked: [...consent.asked], granted: [...consent.granted] } : null)
    expect(s.effective).toEqual(effective)
    expect(s.needsReconsent).toBe(needs)
    if (needs) expect(s.newRequests).toEqual(['profil:read'])
  })

  it.each([
    [[], false, 'Cochez au moins une autorisation pour connecter ce service'],
    [['profil:read'], false, 'Choisissez parmi les autorisations proposées'],
    [['mesures:write', 'inconnu'], false, 'Choisissez parmi les autorisations proposées'],
    [['traitements:read', 'mesures:write', 'traitements:read'], true, ['mesures:write', 'traitements:read']],
  ] as const)('les cases cochées %j', (ticked, ok, expected) => {
    const r = checkChoice(v1, [...ticked])
    expect(r.ok).toBe(ok)
    if (r.ok) expect(r.granted).toEqual(expected)
    else expect(r.message).toBe(expected)
  })

  it('lit les clés et les libellés', () => {
    expect(parseRequestKey('mesures:read')).toEqual({ category: 'mesures', access: 'read' })
    expect(parseRequestKey('mesures:delete')).toBeNull()
    expect(parseRequestKey('secret:read')).toBeNull()
    expect(parseRequestKey('mesures:read:x')).toBeNull()
    expect(parseRequestKey('__proto__:read')).toBeNull()
    expect(requestLabel({ category: 'traitements', access: 'write' })).toBe('Ajouter ou modifier : Traitements')
    expect(grantedCategories(['vaccinations:read', 'bad'])).toEqual([{ category: 'vaccinations', access: 'read' }])
  })
})
