import type { Knex } from 'knex'
import type { DocumentFacts } from '../../domain/accessPolicy'
import type { DocumentMime } from '../../domain/documents'

export interface DocumentRow {
  id: string
  person_id: string
  category: string
  title: string
  document_date: string
  /** Only ever the type sniffed from the content (documents.fileDocument). */
  mime: DocumentMime
  size_bytes: number
  file_name: string
  author_kind: DocumentFacts['authorKind']
  author_account_id: string | null
  author_professional_id: string | null
  author_name: string
  author_profession: string | null
  author_organisation: string | null
  masked: boolean
  invisible_to_representatives: boolean
  held_until: Date | null
  held_released_at: Date | null
  held_reminder_sent_at: Date | null
  wrapped_key: Buffer
  /** Where the sealed chunks are in the object store; null: still in `document_chunks`. */
  object_key: string | null
  chunk_size: number
  chunk_count: number
  created_at: Date
  updated_at: Date
}

/** The columns `documentFacts` reads: select them wherever a document's access is decided. */
export const DOCUMENT_FACT_COLUMNS = [
  'person_id',
  'category',
  'author_kind',
  'author_account_id',
  'author_professional_id',
  'masked',
  'invisible_to_representatives',
  'held_until',
  'held_released_at',
] as const

export function documentFacts(row: DocumentRow): DocumentFacts {
  return {
    personId: row.person_id,
    category: row.category,
    authorKind: row.author_kind,
    authorAccountId: row.author_account_id,
    authorProfessionalId: row.author_professional_id,
    masked: row.masked,
    invisibleToRepresentatives: row.invisible_to_representatives,
    heldUntil: row.held_until ? new Date(row.held_until) : null,
    heldReleasedAt: row.held_released_at ? new Date(row.held_released_at) : null,
  }
}

export interface ListQuery {
  category?: string
  author?: 'me' | 'professionals'
  masked?: boolean
  sort: 'date_desc' | 'date_asc' | 'title'
}

/** What a listing must leave out for the actor (the policy's rules for a list, as SQL filters). */
export interface ListScope {
  /** Hide documents held for a consultation d'annonce (patient side). */
  hideHeldAt?: Date
  hideInvisibleToRepresentatives?: boolean
  /** Professional: only these categories; masked only if `maskedAllowed` or authored by `authorProfessionalId`. */
  categories?: readonly string[]
  maskedAllowed?: boolean
  authorProfessionalId?: string
}

const LIST_COLUMNS = [
  'id',
  'person_id',
  'category',
  'title',
  'document_date',
  'mime',
  'size_bytes',
  'file_name',
  'author_kind',
  'author_account_id',
  'author_professional_id',
  'author_name',
  'author_profession',
  'author_organisation',
  'masked',
  'invisible_to_representatives',
  'held_until',
  'held_released_at',
  'held_reminder_sent_at',
  'chunk_size',
  'chunk_count',
  'created_at',
  'updated_at',
]

export const documentsRepository = {
  /** What a filing professional's documents say of them by default: specialty and establishment. */
  professionalAuthor: (db: Knex, professionalId: string): Promise<{ specialty: string | null; establishment: string | null } | undefined> =>
    db('professionals').where({ id: professionalId }).first('specialty', 'establishment'),

  async insert(trx: Knex.Transaction, row: Partial<DocumentRow>): Promise<string> {
    const [r] = await trx('documents').insert(row).returning<{ id: string }[]>('id')
    return r.id
  },

  async find(db: Knex | Knex.Transaction, id: string, opts: { lock?: boolean } = {}): Promise<DocumentRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined
    const q = db<DocumentRow>('documents').where({ id }).first()
    if (opts.lock) q.forUpdate()
    return q
  },

  async update(trx: Knex.Transaction, id: string, patch: Partial<DocumentRow>): Promise<void> {
    await trx('documents')
      .where({ id })
      .update({ ...patch, updated_at: trx.fn.now() })
  },

  async remove(trx: Knex.Transaction, id: string): Promise<void> {
    await trx('documents').where({ id }).del()
  },

  /** One page of a person's documents, with the total, filtered by the query and the actor's scope. */
  async list(
    db: Knex | Knex.Transaction,
    personId: string,
    q: ListQuery,
    scope: ListScope,
    page: number,
    perPage: number,
  ): Promise<{ rows: DocumentRow[]; total: number }> {
    const base = db('documents').where({ person_id: personId })
    if (q.category) base.where({ category: q.category })
    if (q.author === 'me') base.whereNot({ author_kind: 'professional' })
    if (q.author === 'professionals') base.where({ author_kind: 'professional' })
    if (q.masked !== undefined) base.where({ masked: q.masked })
    if (scope.hideHeldAt)
      base.where((w) => void w.whereNull('held_until').orWhereNotNull('held_released_at').orWhere('held_until', '<=', scope.hideHeldAt!))
    if (scope.hideInvisibleToRepresentatives) base.where({ invisible_to_representatives: false })
    if (scope.categories) {
      const cats = scope.categories
      base.where((w) => {
        w.whereIn('category', cats)
        if (scope.authorProfessionalId) w.orWhere({ author_professional_id: scope.authorProfessionalId })
      })
    }
    if (scope.maskedAllowed === false) {
      base.where((w) => {
        w.where({ masked: false })
        if (scope.authorProfessionalId) w.orWhere({ author_professional_id: scope.authorProfessionalId })
      })
    }
    const [{ count }] = await base.clone().count<{ count: string }[]>({ count: '*' })
    const order =
      q.sort === 'title'
        ? [
            { column: 'title', order: 'asc' as const },
            { column: 'document_date', order: 'desc' as const },
          ]
        : [
            { column: 'document_date', order: q.sort === 'date_asc' ? ('asc' as const) : ('desc' as const) },
            { column: 'created_at', order: q.sort === 'date_asc' ? ('asc' as const) : ('desc' as const) },
          ]
    const rows = await base
      .select<DocumentRow[]>(LIST_COLUMNS)
      .orderBy(order)
      .limit(perPage)
      .offset((page - 1) * perPage)
    return { rows, total: Number(count) }
  },
}
