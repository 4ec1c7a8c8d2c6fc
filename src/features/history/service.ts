import type { Knex } from 'knex'
import { can } from '../../domain/accessPolicy'
import type { Actor } from '../../domain/actor'
import { ForbiddenError, NotFoundError } from '../../errors'
import type { AccessFacts } from '../access/facts'

export type HistoryTab = 'mine' | 'others'
export type Period = '7' | '30' | '365' | 'all'
export type ActorFilter = '' | 'professional' | 'carer' | 'agent' | 'service' | 'system' | 'operator'

export interface HistoryQuery {
  tab: HistoryTab
  period: Period
  actorType: ActorFilter
  emergencyOnly: boolean
}

export interface HistoryEntry {
  id: number
  occurred_at: Date
  actor_role: string
  actor_name: string
  actor_organisation: string | null
  action: string
  object_type: string | null
  emergency: boolean
}

const PER_PAGE = 50
const MINE = ['patient', 'representative']

/** «Historique d'activité» (SPEC §6): the rows of a person's space, read with the indexes on (subject, time). */
export function createHistoryService(deps: { db: Knex; access: AccessFacts }) {
  const { db, access } = deps

  async function assertCanRead(actor: Actor, personId: string): Promise<void> {
    const facts = await access.loadFacts(db, actor, personId)
    if (!facts) throw new NotFoundError()
    if (!can(actor, 'read', { type: 'history' }, facts)) throw new ForbiddenError()
  }

  return {
    async list(actor: Actor, personId: string, q: HistoryQuery, page = 1, now = new Date()) {
      await assertCanRead(actor, personId)
      const base = db('activity_log').where({ subject_person_id: personId })
      if (q.tab === 'mine') base.whereIn('actor_role', MINE)
      else {
        base.whereNotIn('actor_role', MINE)
        if (q.actorType) base.where({ actor_role: q.actorType })
      }
      if (q.period !== 'all') base.where('occurred_at', '>=', new Date(now.getTime() - Number(q.period) * 24 * 3600 * 1000))
      if (q.emergencyOnly) base.where({ emergency: true })
      // One more row than a page tells whether there is a next page, without counting millions of rows.
      const rows: HistoryEntry[] = await base
        .select('id', 'occurred_at', 'actor_role', 'actor_name', 'actor_organisation', 'action', 'object_type', 'emergency')
        .orderBy([
          { column: 'occurred_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
      return { rows: rows.slice(0, PER_PAGE), hasNext: rows.length > PER_PAGE, page }
    },

    /** The last accesses by professionals, for the home page of the space. */
    async lastProfessionalAccesses(actor: Actor, personId: string, limit = 3): Promise<HistoryEntry[]> {
      const facts = await access.loadFacts(db, actor, personId)
      if (!facts || !can(actor, 'read', { type: 'history' }, facts)) return []
      return db('activity_log')
        .where({ subject_person_id: personId, actor_role: 'professional' })
        .whereIn('action', ['document.list', 'document.read', 'document.download', 'emergency.access', 'careteam.consent'])
        .select('id', 'occurred_at', 'actor_role', 'actor_name', 'actor_organisation', 'action', 'object_type', 'emergency')
        .orderBy([
          { column: 'occurred_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit)
    },
  }
}

export type HistoryService = ReturnType<typeof createHistoryService>
