import type { Knex } from 'knex'
import { can } from '../../domain/accessPolicy'
import type { Actor } from '../../domain/actor'
import type { AccessFacts } from '../../access/facts'
import type { ManagedChild } from '../children/service'
import { visibleHistoryRows, type HistoryEntry, type HistoryService } from '../history/service'
import type { ActorPageRead } from '../../access/relations'
import { LAST_ACCESSES_READ, homeRepository, type PatientHomeRows } from './repository'
import { isUuid } from '../../domain/uuid'

export interface PatientHome {
  children: ManagedChild[]
  invitations: { id: string; childName: string; childBirthDate: string; childSex: string; invitedBy: string; expiresAt: Date }[]
  /** Null when the viewer may not read the history (the page then says nothing about it, rather than a false «aucun»). */
  lastAccesses: HistoryEntry[] | null
}

const LAST_ACCESSES_SHOWN = 3

/**
 * The patient home page's blocks, read in one round trip (see the repository), or with the actor in
 * the same round trip as the actor's own read (`actorPageRead`). Same data and same
 * decisions as `children.managed`, `children.invitations` and `history.lastProfessionalAccesses`:
 * the last accesses are shown only if the access policy lets the actor read the subject's history.
 */
export function createHomeService(deps: { db: Knex; access: AccessFacts; history?: Pick<HistoryService, 'lastAccessesFrom'> }) {
  const { db, access } = deps
  // The rows read with the actor by `actorPageRead`, for the request that read them (and only it).
  const readWithActor = new WeakMap<object, PatientHomeRows>()
  const readHomeWithActor = homeRepository.homeWithActorReader(db)
  const actorPageRead: ActorPageRead = {
    path: '/mon-espace',
    kind: 'patient',
    async read(request, accountId) {
      if (!isUuid(accountId)) return undefined
      const row = await readHomeWithActor(accountId)
      if (!row) return undefined
      const { children, invitations, person, lastAccesses, ...actor } = row
      readWithActor.set(request, { children, invitations, person, lastAccesses })
      return actor
    },
  }
  return {
    /** GET /mon-espace of a patient on their own space: the actor and the page in one statement. */
    actorPageRead,
    /**
     * `request`: the request whose actor was read with the page (`actorPageRead`), if it was; the
     * access policy decides on those rows exactly as on rows read here.
     */
    async patientHome(actor: Actor, request?: object): Promise<PatientHome> {
      const pre = request ? readWithActor.get(request) : undefined
      if (pre && request) readWithActor.delete(request)
      if (pre && actor.personId && !actor.acting) return fromRows(actor, pre, actor.personId)
      const subject = actor.acting?.personId ?? actor.personId
      if (!actor.personId || !subject || !isUuid(actor.personId) || !isUuid(subject)) {
        return { children: [], invitations: [], lastAccesses: null }
      }
      return fromRows(actor, await homeRepository.patientHome(db, actor.personId, subject, !actor.acting), subject)
    },
  }

  async function fromRows(actor: Actor, rows: PatientHomeRows, subject: string): Promise<PatientHome> {
    const facts = rows.person ? await access.factsFrom(db, actor, rows.person, new Date(), subject) : undefined
    let lastAccesses: HistoryEntry[] | null = null
    if (facts !== undefined && can(actor, 'read', { type: 'history' }, facts)) {
      // The same row-by-row decisions as the history (a held result, a document hidden from the viewer leave no row).
      const read = rows.lastAccesses.map((h) => ({ ...h, occurred_at: new Date(h.occurred_at) }))
      lastAccesses = (await visibleHistoryRows(db, actor, facts, read)).slice(0, LAST_ACCESSES_SHOWN)
      if (lastAccesses.length < LAST_ACCESSES_SHOWN && read.length >= LAST_ACCESSES_READ && deps.history)
        lastAccesses = await deps.history.lastAccessesFrom(actor, facts, subject, LAST_ACCESSES_SHOWN)
    }
    return {
      children: rows.children.map((c) => ({ ...c, since: new Date(c.since) })),
      invitations: rows.invitations.map((i) => ({ ...i, expiresAt: new Date(i.expiresAt) })),
      lastAccesses,
    }
  }
}
