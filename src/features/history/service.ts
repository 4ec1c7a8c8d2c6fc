import type { Knex } from 'knex'
import { can, historyRowView, type HistoryRowSubject, type PolicyFacts } from '../../domain/accessPolicy'
import type { Actor } from '../../domain/actor'
import { categoryLabel } from '../../domain/documents'
import { isUuid } from '../../domain/uuid'
import type { AccessFacts } from '../../access/facts'
import { documentFacts, type DocumentRow } from '../documents/repository'
import { PROFESSIONAL_ACCESS_ACTIONS } from '../home/repository'

export type HistoryTab = 'mine' | 'others'
export type Period = '7' | '30' | '365' | 'all'
export type ActorFilter = '' | 'professional' | 'carer' | 'agent' | 'service' | 'system' | 'operator'

export interface HistoryQuery {
  tab: HistoryTab
  period: Period
  actorType: ActorFilter
  emergencyOnly: boolean
}

/** A row of the activity log as the history reads it. */
export interface HistoryRow {
  id: number
  occurred_at: Date
  actor_role: string
  actor_name: string
  actor_organisation: string | null
  action: string
  object_type: string | null
  object_id: string | null
  emergency: boolean
}

/**
 * A row as its viewer may see it: `document` names the document it is about (title and category)
 * when the viewer may see that document, or is «un document» (`{ anonymous: true }`) when it no
 * longer exists; rows the viewer may not see are never returned (SPEC §6).
 */
export interface HistoryEntry extends HistoryRow {
  document?: { title: string; category: string; categoryLabel: string } | { anonymous: true }
}

const PER_PAGE = 50
const MINE = ['patient', 'representative']
const COLUMNS = ['id', 'occurred_at', 'actor_role', 'actor_name', 'actor_organisation', 'action', 'object_type', 'object_id', 'emergency']
/** The object types whose id is a document's (the FHIR API names documents DocumentReference). */
const DOCUMENT_TYPES = new Set(['document', 'DocumentReference'])
const MESSAGE_TYPES = new Set(['conversation', 'conversations', 'message_attachment'])

function documentIdOf(row: Pick<HistoryRow, 'object_type' | 'object_id'>): string | undefined {
  return row.object_type && DOCUMENT_TYPES.has(row.object_type) && row.object_id && isUuid(row.object_id) ? row.object_id : undefined
}

/**
 * The rows `actor` may see of a page of the history, each decided by the access policy
 * (`historyRowView`) on the facts of the viewer (loaded once by the caller) and on its document's
 * facts, read for all the rows at once (one statement): a result held for a consultation d'annonce
 * leaves no row until it is released, a document invisible to representatives none in their view,
 * a carer sees what the delegation lets them see. Order kept.
 */
export async function visibleHistoryRows<R extends HistoryRow>(
  db: Knex | Knex.Transaction,
  actor: Actor,
  facts: PolicyFacts,
  rows: readonly R[],
): Promise<(R & Pick<HistoryEntry, 'document'>)[]> {
  const ids = [...new Set(rows.map(documentIdOf).filter((id): id is string => id !== undefined))]
  const docs = new Map<string, DocumentRow>()
  if (ids.length) {
    const found: DocumentRow[] = await db('documents')
      .whereIn('id', ids)
      .select(
        'id',
        'person_id',
        'category',
        'title',
        'author_kind',
        'author_account_id',
        'author_professional_id',
        'masked',
        'invisible_to_representatives',
        'held_until',
        'held_released_at',
      )
    for (const d of found) docs.set(d.id, d)
  }
  const out: (R & Pick<HistoryEntry, 'document'>)[] = []
  for (const row of rows) {
    const docId = documentIdOf(row)
    const doc = docId ? docs.get(docId) : undefined
    const subject: HistoryRowSubject = docId
      ? { about: 'document', document: doc ? documentFacts(doc) : null }
      : row.action.startsWith('message.') || (row.object_type !== null && MESSAGE_TYPES.has(row.object_type))
        ? { about: 'message' }
        : { about: 'other' }
    const view = historyRowView(actor, facts, subject)
    if (view === 'hidden') continue
    if (view === 'named' && doc)
      out.push({ ...row, document: { title: doc.title, category: doc.category, categoryLabel: categoryLabel(doc.category) } })
    else if (view === 'anonymous') out.push({ ...row, document: { anonymous: true } })
    else out.push({ ...row })
  }
  return out
}

/** «Historique d'activité» (SPEC §6): the rows of a person's space, read with the indexes on (subject, time). */
export function createHistoryService(deps: { db: Knex; access: AccessFacts }) {
  const { db, access } = deps

  function readableFacts(actor: Actor, personId: string): Promise<PolicyFacts> {
    return access.authorize(db, actor, 'read', { type: 'history' }, personId)
  }

  /**
   * The visible rows from the `skip`-th one, at most `want`: raw rows are read in chunks and
   * decided chunk by chunk (a page is the same size whatever was hidden, so nothing shows a gap).
   */
  async function visibleSlice(
    actor: Actor,
    facts: PolicyFacts,
    query: () => Knex.QueryBuilder,
    skip: number,
    want: number,
  ): Promise<HistoryEntry[]> {
    const out: HistoryEntry[] = []
    let skipped = 0
    let offset = 0
    // The first chunk is what is needed when nothing is hidden (the usual case), with a small margin.
    let chunk = skip + want + 10
    for (;;) {
      const raw: HistoryRow[] = await query()
        .select(COLUMNS)
        .orderBy([
          { column: 'occurred_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(chunk)
        .offset(offset)
      for (const row of await visibleHistoryRows(db, actor, facts, raw)) {
        if (skipped < skip) skipped++
        else if (out.length < want) out.push(row)
      }
      if (out.length >= want || raw.length < chunk) return out
      offset += raw.length
      chunk = 500
    }
  }

  return {
    async list(actor: Actor, personId: string, q: HistoryQuery, page = 1, now = new Date()) {
      const facts = await readableFacts(actor, personId)
      const base = () => {
        const b = db('activity_log').where({ subject_person_id: personId })
        if (q.tab === 'mine') b.whereIn('actor_role', MINE)
        else {
          b.whereNotIn('actor_role', MINE)
          if (q.actorType) b.where({ actor_role: q.actorType })
        }
        if (q.period !== 'all') b.where('occurred_at', '>=', new Date(now.getTime() - Number(q.period) * 24 * 3600 * 1000))
        if (q.emergencyOnly) b.where({ emergency: true })
        return b
      }
      // One more row than a page tells whether there is a next page, without counting millions of rows.
      const rows = await visibleSlice(actor, facts, base, (page - 1) * PER_PAGE, PER_PAGE + 1)
      return { rows: rows.slice(0, PER_PAGE), hasNext: rows.length > PER_PAGE, page }
    },

    /** The last accesses by professionals, for the home page of the space (the same decisions, row by row). */
    async lastProfessionalAccesses(actor: Actor, personId: string, limit = 3): Promise<HistoryEntry[]> {
      const facts = await access.loadFacts(db, actor, personId)
      if (!facts || !can(actor, 'read', { type: 'history' }, facts)) return []
      return lastAccessesFrom(actor, facts, personId, limit)
    },

    /** As `lastProfessionalAccesses`, on facts the caller already loaded (the home page). */
    lastAccessesFrom,
  }

  function lastAccessesFrom(actor: Actor, facts: PolicyFacts, personId: string, limit = 3): Promise<HistoryEntry[]> {
    const base = () =>
      db('activity_log').where({ subject_person_id: personId, actor_role: 'professional' }).whereIn('action', PROFESSIONAL_ACCESS_ACTIONS)
    return visibleSlice(actor, facts, base, 0, limit)
  }
}

export type HistoryService = ReturnType<typeof createHistoryService>
