import type { Knex } from 'knex'
import type { ConversationFacts } from '../../domain/accessPolicy'
import type { MessageSide } from '../../domain/messaging'
import { isUuid } from '../../domain/uuid'

type Q = Knex | Knex.Transaction

export interface ConversationRow {
  id: string
  person_id: string
  professional_id: string
  subject_sealed: Buffer
  wrapped_key: Buffer
  status: 'open' | 'closed'
  closed_at: Date | null
  close_reason: string | null
  patient_archived_at: Date | null
  professional_archived_at: Date | null
  created_at: Date
  last_message_at: Date
}

export interface ConversationListRow extends ConversationRow {
  pro_title: string | null
  pro_first_name: string
  pro_last_name: string
  pro_specialty: string | null
  pro_establishment: string | null
  patient_first_names: string
  patient_last_name: string
  unread: number
}

export interface MessageRow {
  id: string
  conversation_id: string
  author_side: MessageSide
  author_account_id: string | null
  author_name: string
  body_sealed: Buffer
  created_at: Date
  read_at: Date | null
}

export interface AttachmentRow {
  id: string
  message_id: string
  title: string
  mime: string
  size_bytes: number
  file_name: string
  wrapped_key: Buffer
  chunk_size: number
  chunk_count: number
  created_at: Date
}

export const conversationFacts = (c: Pick<ConversationRow, 'person_id' | 'professional_id' | 'status'>): ConversationFacts => ({
  personId: c.person_id,
  professionalId: c.professional_id,
  status: c.status,
})

/** Unread for a side = messages written by the other side and not read yet. */
function unreadSub(q: Q, side: 'patient' | 'professional') {
  const m = q('messages as m').count('*').whereRaw('m.conversation_id = c.id').whereNull('m.read_at')
  if (side === 'patient') m.where('m.author_side', 'professional')
  else m.whereNot('m.author_side', 'professional')
  return m.as('unread')
}

/** SQL only: conversations, messages, attachments (SPEC §9). */
export const messagingRepository = {
  async findPersonByIdentity(
    q: Q,
    nir: string,
    birthDate: string,
  ): Promise<{ id: string; last_name: string; first_names: string; state: string | null } | undefined> {
    return q('insured_persons as p')
      .leftJoin('spaces as s', 's.person_id', 'p.id')
      .where({ 'p.nir': nir, 'p.birth_date': birthDate })
      .first('p.id', 'p.last_name', 'p.first_names', 's.state')
  },

  async findPerson(q: Q, id: string): Promise<{ id: string; last_name: string; first_names: string } | undefined> {
    if (!isUuid(id)) return undefined
    return q('insured_persons').where({ id }).first('id', 'last_name', 'first_names')
  },

  async find(q: Q, id: string, opts: { lock?: boolean } = {}): Promise<ConversationRow | undefined> {
    if (!isUuid(id)) return undefined
    const query = q<ConversationRow>('conversations').where({ id }).first()
    if (opts.lock) query.forUpdate()
    return query
  },

  async insertConversation(
    q: Q,
    row: { person_id: string; professional_id: string; subject_sealed: Buffer; wrapped_key: Buffer },
  ): Promise<string> {
    const [r] = await q('conversations').insert(row).returning<{ id: string }[]>('id')
    return r.id
  },

  async updateConversation(q: Q, id: string, patch: Partial<Omit<ConversationRow, 'id'>>): Promise<void> {
    await q('conversations').where({ id }).update(patch)
  },

  async insertMessage(
    q: Q,
    row: { conversation_id: string; author_side: MessageSide; author_account_id: string | null; author_name: string; body_sealed: Buffer },
  ): Promise<{ id: string; created_at: Date }> {
    const [r] = await q('messages').insert(row).returning<{ id: string; created_at: Date }[]>(['id', 'created_at'])
    return r
  },

  async messages(q: Q, conversationId: string): Promise<MessageRow[]> {
    return q('messages')
      .where({ conversation_id: conversationId })
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
  },

  async markRead(q: Q, conversationId: string, readerSide: 'patient' | 'professional', at: Date): Promise<number> {
    const query = q('messages').where({ conversation_id: conversationId }).whereNull('read_at')
    if (readerSide === 'patient') query.where('author_side', 'professional')
    else query.whereNot('author_side', 'professional')
    return query.update({ read_at: at })
  },

  /** The conversations of a person's space (patient side), archived or not. */
  async listForPerson(q: Q, personId: string, archived: boolean): Promise<ConversationListRow[]> {
    const query = q('conversations as c')
      .join('professionals as p', 'p.id', 'c.professional_id')
      .join('insured_persons as ip', 'ip.id', 'c.person_id')
      .where('c.person_id', personId)
      .orderBy('c.last_message_at', 'desc')
      .select(
        'c.*',
        'p.title as pro_title',
        'p.first_name as pro_first_name',
        'p.last_name as pro_last_name',
        'p.specialty as pro_specialty',
        'p.establishment as pro_establishment',
        'ip.first_names as patient_first_names',
        'ip.last_name as patient_last_name',
        unreadSub(q, 'patient'),
      )
    if (archived) query.whereNotNull('c.patient_archived_at')
    else query.whereNull('c.patient_archived_at')
    return (await query).map((r: ConversationListRow) => ({ ...r, unread: Number(r.unread) }))
  },

  /** The conversations of a professional, archived or not. */
  async listForProfessional(q: Q, professionalId: string, archived: boolean): Promise<ConversationListRow[]> {
    const query = q('conversations as c')
      .join('professionals as p', 'p.id', 'c.professional_id')
      .join('insured_persons as ip', 'ip.id', 'c.person_id')
      .where('c.professional_id', professionalId)
      .orderBy('c.last_message_at', 'desc')
      .limit(200)
      .select(
        'c.*',
        'p.title as pro_title',
        'p.first_name as pro_first_name',
        'p.last_name as pro_last_name',
        'p.specialty as pro_specialty',
        'p.establishment as pro_establishment',
        'ip.first_names as patient_first_names',
        'ip.last_name as patient_last_name',
        unreadSub(q, 'professional'),
      )
    if (archived) query.whereNotNull('c.professional_archived_at')
    else query.whereNull('c.professional_archived_at')
    return (await query).map((r: ConversationListRow) => ({ ...r, unread: Number(r.unread) }))
  },

  async unreadForPerson(q: Q, personId: string): Promise<number> {
    const r = await q('messages as m')
      .join('conversations as c', 'c.id', 'm.conversation_id')
      .where({ 'c.person_id': personId, 'm.author_side': 'professional' })
      .whereNull('m.read_at')
      .count({ n: '*' })
      .first()
    return Number(r?.n ?? 0)
  },

  async unreadForProfessional(q: Q, professionalId: string): Promise<number> {
    const r = await q('messages as m')
      .join('conversations as c', 'c.id', 'm.conversation_id')
      .where('c.professional_id', professionalId)
      .whereNot('m.author_side', 'professional')
      .whereNull('m.read_at')
      .count({ n: '*' })
      .first()
    return Number(r?.n ?? 0)
  },

  /** The latest open conversation between a space and a professional (to write again). */
  async openWith(q: Q, personId: string, professionalId: string): Promise<ConversationRow | undefined> {
    if (!isUuid(professionalId)) return undefined
    return q<ConversationRow>('conversations')
      .where({ person_id: personId, professional_id: professionalId, status: 'open' })
      .orderBy('last_message_at', 'desc')
      .first()
  },

  /** Professionals who wrote to this space and whose exchange is still open. */
  async reachableProfessionals(
    q: Q,
    personId: string,
  ): Promise<{ id: string; title: string | null; first_name: string; last_name: string; specialty: string | null }[]> {
    return q('professionals as p')
      .whereIn('p.id', q('conversations').where({ person_id: personId, status: 'open' }).select('professional_id'))
      .orderBy([{ column: 'p.last_name' }, { column: 'p.first_name' }])
      .select('p.id', 'p.title', 'p.first_name', 'p.last_name', 'p.specialty')
  },

  async insertAttachment(
    q: Q,
    row: { message_id: string; title: string; mime: string; file_name: string; wrapped_key: Buffer },
  ): Promise<string> {
    const [r] = await q('message_attachments')
      .insert({ ...row, chunk_size: 0 })
      .returning<{ id: string }[]>('id')
    return r.id
  },

  async updateAttachment(q: Q, id: string, patch: Partial<AttachmentRow>): Promise<void> {
    await q('message_attachments').where({ id }).update(patch)
  },

  async attachments(q: Q, messageIds: string[]): Promise<AttachmentRow[]> {
    if (messageIds.length === 0) return []
    return q('message_attachments').whereIn('message_id', messageIds).orderBy('created_at')
  },

  /** An attachment with its conversation (to check access). */
  async findAttachment(q: Q, id: string): Promise<(AttachmentRow & { conversation_id: string }) | undefined> {
    if (!isUuid(id)) return undefined
    return q('message_attachments as a').join('messages as m', 'm.id', 'a.message_id').where('a.id', id).first('a.*', 'm.conversation_id')
  },

  async savedDocuments(q: Q, personId: string, attachmentIds: string[]): Promise<Map<string, string | null>> {
    if (attachmentIds.length === 0) return new Map()
    const rows = await q('message_attachment_saves')
      .where({ person_id: personId })
      .whereIn('attachment_id', attachmentIds)
      .select('attachment_id', 'document_id')
    return new Map(rows.map((r: { attachment_id: string; document_id: string | null }) => [r.attachment_id, r.document_id]))
  },

  async recordSave(q: Q, attachmentId: string, personId: string, documentId: string): Promise<void> {
    await q('message_attachment_saves')
      .insert({ attachment_id: attachmentId, person_id: personId, document_id: documentId })
      .onConflict(['attachment_id', 'person_id'])
      .merge({ document_id: documentId, saved_at: new Date() })
  },

  async professional(
    q: Q,
    id: string,
  ): Promise<
    | { id: string; title: string | null; first_name: string; last_name: string; specialty: string | null; establishment: string | null }
    | undefined
  > {
    return q('professionals').where({ id }).first('id', 'title', 'first_name', 'last_name', 'specialty', 'establishment')
  },

  async professionalEmail(q: Q, professionalId: string): Promise<string | null> {
    const r = await q('accounts')
      .where({ professional_id: professionalId, kind: 'professional' })
      .whereNull('disabled_at')
      .first<{ email: string | null } | undefined>('email')
    return r?.email ?? null
  },

  async activeRepresentatives(q: Q, childPersonId: string): Promise<string[]> {
    return q('representatives').where({ child_person_id: childPersonId }).whereNull('ended_at').pluck('representative_person_id')
  },
}
