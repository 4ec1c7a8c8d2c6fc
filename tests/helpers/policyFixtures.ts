import type { Actor } from '../../src/domain/actor'

/** The people of the access-policy unit tables: one patient space P, someone else's OTHER. */
export const NOW = new Date('2026-11-24T10:00:00Z')
export const P = '11111111-1111-1111-1111-111111111111'
export const OTHER = '22222222-2222-2222-2222-222222222222'
export const PRO = 'pro-1'

export const actors: Record<'patient' | 'rep' | 'carer' | 'pro' | 'agent' | 'operator', Actor> = {
  patient: { accountId: 'a-pat', kind: 'patient', displayName: 'Camille', personId: P },
  rep: {
    accountId: 'a-rep',
    kind: 'patient',
    displayName: 'Parent',
    personId: OTHER,
    acting: { personId: P, as: 'representative', displayName: 'Léo' },
  },
  carer: {
    accountId: 'a-car',
    kind: 'patient',
    displayName: 'Aidant',
    personId: OTHER,
    acting: { personId: P, as: 'carer', displayName: 'X' },
  },
  pro: { accountId: 'a-pro', kind: 'professional', displayName: 'Dr', professionalId: PRO, profession: 'MEDECIN' },
  agent: { accountId: 'a-ag', kind: 'agent', displayName: 'Nadia' },
  operator: { accountId: 'a-op', kind: 'operator', displayName: 'Louis' },
}
