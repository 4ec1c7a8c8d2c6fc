import type { Knex } from 'knex'
import { can } from '../../domain/accessPolicy'
import type { Actor } from '../../domain/actor'
import type { AccessFacts } from '../access/facts'
import type { ManagedChild } from '../children/service'
import type { HistoryEntry } from '../history/service'
import { homeRepository } from './repository'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The patient home page's blocks, read in one round trip (see the repository). Same data and same
 * decisions as `children.managed`, `children.invitations` and `history.lastProfessionalAccesses`:
 * the last accesses are shown only if the access policy lets the actor read the subject's history.
 */
export function createHomeService(deps: { db: Knex; access: AccessFacts }) {
  const { db, access } = deps
  return {
    async patientHome(actor: Actor): Promise<{ children: ManagedChild[]; invitations: { id: string; childName: string; childBirthDate: string; invitedBy: string; expiresAt: Date }[]; lastAccesses: HistoryEntry[] }> {
      const subject = actor.acting?.personId ?? actor.personId
      if (!actor.personId || !subject || !UUID.test(actor.personId) || !UUID.test(subject)) {
        return { children: [], invitations: [], lastAccesses: [] }
      }
      const rows = await homeRepository.patientHome(db, actor.personId, subject, !actor.acting)
      const facts = rows.person ? await access.factsFrom(db, actor, rows.person, new Date(), subject) : undefined
      const allowed = facts !== undefined && can(actor, 'read', { type: 'history' }, facts)
      return {
        children: rows.children.map((c) => ({ ...c, since: new Date(c.since) })),
        invitations: rows.invitations.map((i) => ({ ...i, expiresAt: new Date(i.expiresAt) })),
        lastAccesses: allowed ? rows.lastAccesses.map((h) => ({ ...h, occurred_at: new Date(h.occurred_at) })) : [],
      }
    },
  }
}

export type HomeService = ReturnType<typeof createHomeService>
