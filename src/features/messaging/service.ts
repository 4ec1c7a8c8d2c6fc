import { de } from '../../domain/french'
import type { Knex } from 'knex'
import { decide, isEmergencyAccess, spaceOpen, type PolicyFacts } from '../../domain/accessPolicy'
import { enforce } from '../../access/authorize'
import { subjectPersonId, type Actor } from '../../domain/actor'
import { ContentInspector, ContentRejected, type ContentRejection, type DocumentMime, safeFileName } from '../../domain/documents'
import { attachmentTitle, documentTitleFromAttachment, type MessageSide } from '../../domain/messaging'
import { sameSurname } from '../../domain/surname'
import { ForbiddenError, NotFoundError } from '../../errors'
import { newDataKey, open, seal, unwrapDataKey } from '../../infrastructure/crypto'
import { CHUNK_SIZE, createPgDocumentStore, type DocumentStore } from '../../infrastructure/documentStore'
import type { Notifier } from '../../infrastructure/notifier'
import { isoDate } from '../../domain/parisTime'
import type { NotificationPrefsService } from '../account/notificationPrefs'
import type { AccessFacts } from '../../access/facts'
import type { DocumentsService } from '../documents/service'
import type { ActivityLog } from '../history/activity'
import {
  conversationFacts,
  messagingRepository as repo,
  type AttachmentRow,
  type ConversationListRow,
  type ConversationRow,
} from './repository'

export interface AttachmentInput {
  /** The file's bytes, streamed (never buffered whole). */
  stream: AsyncIterable<Buffer>
  /** The name it came with: checked for danger and against the type, shown as its title, never used as a path. */
  fileName: string
}

export interface StartContent {
  subject: string
  body: string
  attachment?: AttachmentInput
}

export type StartRefusal = 'not_found' | 'closed' | 'opposed' | 'not_created'
export type SendRefusal = ContentRejection | 'not_reachable'

/** Thrown inside a transaction to roll it back with a reason the route shows next to a field. */
class Refused extends Error {
  constructor(readonly reason: StartRefusal | SendRefusal) {
    super(reason)
  }
}

export interface ConversationSummary {
  id: string
  subject: string
  status: 'open' | 'closed'
  closeReason: string | null
  lastMessageAt: Date
  unread: number
  professional: string
  professionalDetail: string
  patient: string
  archived: boolean
}

export interface MessageView {
  id: string
  side: MessageSide
  mine: boolean
  authorName: string
  body: string
  createdAt: Date
  attachments: { id: string; title: string; mime: string; size: number; savedDocumentId?: string | null }[]
}

const proName = (p: { title: string | null; first_name: string; last_name: string }) =>
  `${p.title ? `${p.title} ` : ''}${p.first_name} ${p.last_name}`

/**
 * Secure messaging (SPEC §9): a professional starts a conversation with a patient they identify
 * (NIR, date of birth, surname); the patient side replies, or writes again while the professional
 * has not closed the exchange; the professional may close it with a reason (a new message from
 * them reopens it). Message bodies are sealed with the conversation's data key; attachments follow
 * the document rules and storage (ContentInspector, encrypted chunks) and can be saved into
 * «Mes documents» in one step through `documents.fileDocument`. The access policy decides every
 * step (resource 'message'); every send, and every read by someone else than the holder, writes an
 * activity row in the same transaction. E-mails say a message arrived, never what it says.
 */
export function createMessagingService(deps: {
  db: Knex
  masterKey: Buffer
  access: AccessFacts
  activity: ActivityLog
  notifier: Notifier
  notificationPrefs: NotificationPrefsService
  documents: DocumentsService
  publicUrl: string
  store?: DocumentStore
}) {
  const { db, masterKey, access, activity, notifier, notificationPrefs, documents, publicUrl } = deps
  const store = deps.store ?? createPgDocumentStore(CHUNK_SIZE, { table: 'message_attachment_chunks', owner: 'attachment_id' })

  /** A conversation the actor may at least read (404 otherwise: they may not know it exists). */
  async function visible(
    trx: Knex | Knex.Transaction,
    actor: Actor,
    id: string,
    lock = false,
  ): Promise<{ conv: ConversationRow; facts: PolicyFacts }> {
    const conv = await repo.find(trx, id, { lock })
    if (!conv) throw new NotFoundError()
    // A patient sees the conversations of the profile they are looking at, nothing else.
    if (actor.kind === 'patient' && conv.person_id !== subjectPersonId(actor)) throw new NotFoundError()
    const facts = await access.authorize(trx, actor, 'read', { type: 'message', conversation: conversationFacts(conv) }, conv.person_id)
    return { conv, facts }
  }

  const sideOf = (facts: PolicyFacts): MessageSide => {
    const k = facts.relation.kind
    if (k === 'professional') return 'professional'
    if (k === 'representative' || k === 'carer') return k
    return 'patient'
  }
  const someoneElse = (facts: PolicyFacts) => facts.relation.kind !== 'self'
  const keyOf = (conv: Pick<ConversationRow, 'wrapped_key'>) => unwrapDataKey(masterKey, conv.wrapped_key)

  async function authorName(trx: Knex.Transaction, actor: Actor, facts: PolicyFacts): Promise<string> {
    const r = facts.relation
    if (r.kind === 'professional') {
      const pro = await repo.professional(trx, r.professionalId)
      return pro ? proName(pro) : actor.displayName
    }
    if (r.kind === 'representative' && actor.acting) return `${actor.displayName}, pour ${actor.acting.displayName}`
    if (r.kind === 'carer' && actor.acting) return `${actor.displayName}, aidant ${de(actor.acting.displayName)}`
    return actor.displayName
  }

  async function storeAttachment(trx: Knex.Transaction, messageId: string, att: AttachmentInput): Promise<string> {
    const inspector = new ContentInspector(att.fileName)
    const title = attachmentTitle(att.fileName)
    const { key, wrapped } = newDataKey(masterKey)
    const id = await repo.insertAttachment(trx, {
      message_id: messageId,
      title,
      mime: 'application/octet-stream',
      file_name: 'piece-jointe',
      wrapped_key: wrapped,
    })
    const written = await store.write(trx, id, key, att.stream, inspector.inspect)
    const mime = inspector.finish(written.size)
    await repo.updateAttachment(trx, id, {
      mime,
      size_bytes: written.size,
      chunk_count: written.chunks,
      chunk_size: written.chunkSize,
      file_name: safeFileName(documentTitleFromAttachment(title, 80), mime),
    })
    return id
  }

  /** Tells the patient (or, for a child without an account, their representatives), with no content. */
  async function tellPatient(trx: Knex.Transaction, personId: string, kind: 'new-message' | 'conversation-closed'): Promise<void> {
    let to = [await notificationPrefs.recipient(personId, 'new_message', trx)].filter((a): a is string => !!a)
    if (to.length === 0) {
      const reps = await repo.activeRepresentatives(trx, personId)
      to = (await Promise.all(reps.map((p) => notificationPrefs.recipient(p, 'new_message', trx)))).filter((a): a is string => !!a)
    }
    const subject = kind === 'new-message' ? 'Vous avez reçu un message' : 'Une conversation de votre messagerie a été close'
    const what =
      kind === 'new-message'
        ? 'Vous avez reçu un message dans la messagerie sécurisée de Mon espace santé.'
        : 'Un professionnel de santé a clos une conversation de votre messagerie sécurisée.'
    for (const address of new Set(to)) {
      await notifier.email(trx, {
        to: address,
        kind,
        subject,
        text: `Bonjour,\n\n${what}\nConnectez-vous pour le consulter : ${publicUrl}/messagerie\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.`,
      })
    }
  }

  async function tellProfessional(trx: Knex.Transaction, professionalId: string): Promise<void> {
    const to = await repo.professionalEmail(trx, professionalId)
    if (!to) return
    await notifier.email(trx, {
      to,
      kind: 'new-message',
      subject: 'Vous avez reçu un message',
      text: `Bonjour,\n\nVous avez reçu un message d'un patient dans la messagerie sécurisée de Mon espace santé.\nConnectez-vous pour le lire : ${publicUrl}/pro/messagerie\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.`,
    })
  }

  /** Adds a message to a conversation (policy already checked 'create'), reopening or un-archiving as needed. */
  async function addMessage(
    trx: Knex.Transaction,
    actor: Actor,
    conv: ConversationRow,
    facts: PolicyFacts,
    body: string,
    attachment?: AttachmentInput,
    action = 'message.send',
  ): Promise<string> {
    const side = sideOf(facts)
    const key = keyOf(conv)
    const msg = await repo.insertMessage(trx, {
      conversation_id: conv.id,
      author_side: side,
      author_account_id: actor.accountId === 'system' ? null : actor.accountId,
      author_name: await authorName(trx, actor, facts),
      body_sealed: seal(key, body),
    })
    if (attachment) await storeAttachment(trx, msg.id, attachment)
    const patch: Partial<ConversationRow> = { last_message_at: msg.created_at }
    if (side === 'professional') {
      // A new professional message reopens a closed exchange and brings it back to the patient's inbox.
      Object.assign(patch, { status: 'open', closed_at: null, close_reason: null, patient_archived_at: null })
    } else {
      patch.professional_archived_at = null
    }
    await repo.updateConversation(trx, conv.id, patch)
    await activity.record(trx, actor, {
      action,
      subjectPersonId: conv.person_id,
      objectType: 'conversation',
      objectId: conv.id,
      details: { attachment: Boolean(attachment), ...(side === 'professional' && conv.status === 'closed' ? { reopened: true } : {}) },
      emergency: isEmergencyAccess(facts),
    })
    if (side === 'professional') await tellPatient(trx, conv.person_id, 'new-message')
    else await tellProfessional(trx, conv.professional_id)
    return msg.id
  }

  async function refusing<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; reason: StartRefusal | SendRefusal }> {
    try {
      return { ok: true, value: await fn() }
    } catch (err) {
      if (err instanceof Refused) return { ok: false, reason: err.reason }
      if (err instanceof ContentRejected) return { ok: false, reason: err.reason }
      throw err
    }
  }

  function summary(row: ConversationListRow, side: 'patient' | 'professional'): ConversationSummary {
    return {
      id: row.id,
      subject: open(keyOf(row), row.subject_sealed).toString('utf8'),
      status: row.status,
      closeReason: row.close_reason,
      lastMessageAt: row.last_message_at,
      unread: row.unread,
      professional: proName({ title: row.pro_title, first_name: row.pro_first_name, last_name: row.pro_last_name }),
      professionalDetail: [row.pro_specialty, row.pro_establishment].filter(Boolean).join(', '),
      patient: `${row.patient_first_names} ${row.patient_last_name}`,
      archived: side === 'patient' ? row.patient_archived_at !== null : row.professional_archived_at !== null,
    }
  }

  async function startWith(
    actor: Actor,
    input: StartContent,
    find: (trx: Knex.Transaction) => Promise<{ id: string; first_names: string; last_name: string } | undefined>,
  ) {
    if (actor.kind !== 'professional') throw new ForbiddenError()
    return refusing(() =>
      db.transaction(async (trx) => {
        const person = await find(trx)
        if (!person) throw new Refused('not_found')
        const facts = await access.factsOf(trx, actor, person.id)
        if (facts.spaceState === 'closed') throw new Refused('closed')
        if (facts.spaceState === 'opposed') throw new Refused('opposed')
        if (!spaceOpen(facts)) throw new Refused('not_created')
        enforce(actor, 'create', { type: 'message' }, facts)
        if (facts.relation.kind !== 'professional') throw new ForbiddenError()
        const { key, wrapped } = newDataKey(masterKey)
        const id = await repo.insertConversation(trx, {
          person_id: person.id,
          professional_id: facts.relation.professionalId,
          subject_sealed: seal(key, input.subject),
          wrapped_key: wrapped,
        })
        const conv = (await repo.find(trx, id))!
        await addMessage(trx, actor, conv, facts, input.body, input.attachment, 'message.start')
        return { conversationId: id, patient: `${person.first_names} ${person.last_name}` }
      }),
    )
  }

  return {
    /**
     * A professional starts a conversation with a patient identified by NIR, date of birth and
     * surname. Any professional may (law), never into a space that is not open.
     */
    async start(actor: Actor, input: { nir: string; birthDate: string; lastName: string } & StartContent) {
      return startWith(actor, input, async (trx) => {
        const person = await repo.findPersonByIdentity(trx, input.nir, input.birthDate)
        return person && sameSurname(input.lastName, person.last_name) ? person : undefined
      })
    },

    /** The same, for the patient the professional already found in the portal («Trouver un patient»). */
    async startFor(actor: Actor, personId: string, input: StartContent) {
      return startWith(actor, input, (trx) => repo.findPerson(trx, personId))
    },

    /** Who the patient found in the portal is (for the form's heading). */
    async patientName(personId: string): Promise<string | undefined> {
      const p = await repo.findPerson(db, personId)
      return p ? `${p.first_names} ${p.last_name}` : undefined
    },

    /** A message in an existing conversation (reply, or a professional writing again: reopens it). */
    async reply(actor: Actor, conversationId: string, input: { body: string; attachment?: AttachmentInput }) {
      return refusing(() =>
        db.transaction(async (trx) => {
          const { conv, facts } = await visible(trx, actor, conversationId, true)
          enforce(actor, 'create', { type: 'message', conversation: conversationFacts(conv) }, facts)
          return addMessage(trx, actor, conv, facts, input.body, input.attachment)
        }),
      )
    },

    /**
     * The patient side writes again to a professional: only one who already wrote and has not
     * closed the exchange («Je peux uniquement contacter les professionnels qui m'ont déjà écrit»).
     */
    async writeAgain(actor: Actor, professionalId: string, body: string) {
      return refusing(() =>
        db.transaction(async (trx) => {
          const personId = subjectPersonId(actor)
          if (actor.kind !== 'patient' || !personId) throw new ForbiddenError()
          const facts = await access.authorize(trx, actor, 'list', { type: 'message' }, personId)
          const conv = await repo.openWith(trx, personId, professionalId)
          if (!conv) throw new Refused('not_reachable')
          enforce(actor, 'create', { type: 'message', conversation: conversationFacts(conv) }, facts)
          await addMessage(trx, actor, conv, facts, body)
          return conv.id
        }),
      )
    },

    /** The professionals the patient side may write to (they wrote, and the exchange is open). */
    async reachable(actor: Actor) {
      const personId = subjectPersonId(actor)
      if (actor.kind !== 'patient' || !personId) throw new ForbiddenError()
      return db.transaction(async (trx) => {
        await access.authorize(trx, actor, 'list', { type: 'message' }, personId)
        return (await repo.reachableProfessionals(trx, personId)).map((p) => ({ id: p.id, name: proName(p), specialty: p.specialty }))
      })
    },

    /** The inbox (or the archive) of the actor: the profile they look at, or the professional's own. */
    async inbox(actor: Actor, archived = false): Promise<ConversationSummary[]> {
      return db.transaction(async (trx) => {
        if (actor.kind === 'professional') {
          if (!actor.professionalId) throw new ForbiddenError()
          return (await repo.listForProfessional(trx, actor.professionalId, archived)).map((r) => summary(r, 'professional'))
        }
        const personId = subjectPersonId(actor)
        if (actor.kind !== 'patient' || !personId) throw new ForbiddenError()
        const facts = await access.authorize(trx, actor, 'list', { type: 'message' }, personId)
        if (someoneElse(facts))
          await activity.record(trx, actor, { action: 'message.list', subjectPersonId: personId, objectType: 'conversations' })
        return (await repo.listForPerson(trx, personId, archived)).map((r) => summary(r, 'patient'))
      })
    },

    /** Unread messages for the navigation («Messagerie (2)»). */
    async unreadCount(actor: Actor): Promise<number> {
      if (actor.kind === 'professional' && actor.professionalId) return repo.unreadForProfessional(db, actor.professionalId)
      const personId = subjectPersonId(actor)
      if (actor.kind === 'patient' && personId) return repo.unreadForPerson(db, personId)
      return 0
    },

    /** A conversation's page: its messages (marked read for the actor's side), what the actor may do. */
    async read(actor: Actor, conversationId: string) {
      return db.transaction(async (trx) => {
        const { conv, facts } = await visible(trx, actor, conversationId, true)
        const side = sideOf(facts) === 'professional' ? 'professional' : 'patient'
        const key = keyOf(conv)
        const rows = await repo.messages(trx, conv.id)
        const atts = await repo.attachments(
          trx,
          rows.map((m) => m.id),
        )
        const saved =
          side === 'patient'
            ? await repo.savedDocuments(
                trx,
                conv.person_id,
                atts.map((a) => a.id),
              )
            : new Map<string, string | null>()
        await repo.markRead(trx, conv.id, side, new Date())
        if (someoneElse(facts)) {
          await activity.record(trx, actor, {
            action: 'message.read',
            subjectPersonId: conv.person_id,
            objectType: 'conversation',
            objectId: conv.id,
            emergency: isEmergencyAccess(facts),
          })
        }
        const pro = await repo.professional(trx, conv.professional_id)
        const person = await repo.findPerson(trx, conv.person_id)
        const cf = conversationFacts(conv)
        const messages: MessageView[] = rows.map((m) => ({
          id: m.id,
          side: m.author_side,
          mine: side === 'professional' ? m.author_side === 'professional' : m.author_side !== 'professional',
          authorName: m.author_name,
          body: open(key, m.body_sealed).toString('utf8'),
          createdAt: m.created_at,
          attachments: atts
            .filter((a) => a.message_id === m.id)
            .map((a) => ({
              id: a.id,
              title: a.title,
              mime: a.mime,
              size: Number(a.size_bytes),
              savedDocumentId: saved.has(a.id) ? saved.get(a.id) : undefined,
            })),
        }))
        return {
          id: conv.id,
          subject: open(key, conv.subject_sealed).toString('utf8'),
          status: conv.status,
          closeReason: conv.close_reason,
          closedAt: conv.closed_at,
          archived: side === 'patient' ? conv.patient_archived_at !== null : conv.professional_archived_at !== null,
          professional: pro ? proName(pro) : '',
          professionalDetail: pro ? [pro.specialty, pro.establishment].filter(Boolean).join(', ') : '',
          patient: person ? `${person.first_names} ${person.last_name}` : '',
          messages,
          canReply: decide(actor, 'create', { type: 'message', conversation: cf }, facts).allowed,
          canClose:
            side === 'professional' &&
            conv.status === 'open' &&
            decide(actor, 'update', { type: 'message', conversation: cf }, facts).allowed,
          canArchive: decide(actor, 'update', { type: 'message', conversation: cf }, facts).allowed,
          canSave: side === 'patient' && decide(actor, 'create', { type: 'document' }, facts).allowed,
          canDownload: decide(actor, 'download', { type: 'message', conversation: cf }, facts).allowed,
        }
      })
    },

    /** The professional closes the exchange, with a reason the patient sees. */
    async close(actor: Actor, conversationId: string, reason: string): Promise<void> {
      await db.transaction(async (trx) => {
        const { conv, facts } = await visible(trx, actor, conversationId, true)
        if (facts.relation.kind !== 'professional') throw new ForbiddenError()
        enforce(actor, 'update', { type: 'message', conversation: conversationFacts(conv) }, facts)
        if (conv.status === 'closed') return
        await repo.updateConversation(trx, conv.id, { status: 'closed', closed_at: new Date(), close_reason: reason })
        await activity.record(trx, actor, {
          action: 'message.close',
          subjectPersonId: conv.person_id,
          objectType: 'conversation',
          objectId: conv.id,
        })
        await tellPatient(trx, conv.person_id, 'conversation-closed')
      })
    },

    /** Archives (or brings back) a conversation on the actor's side only. */
    async setArchived(actor: Actor, conversationId: string, archived: boolean): Promise<void> {
      await db.transaction(async (trx) => {
        const { conv, facts } = await visible(trx, actor, conversationId, true)
        enforce(actor, 'update', { type: 'message', conversation: conversationFacts(conv) }, facts)
        const column = facts.relation.kind === 'professional' ? 'professional_archived_at' : 'patient_archived_at'
        await repo.updateConversation(trx, conv.id, { [column]: archived ? new Date() : null })
        if (someoneElse(facts) && facts.relation.kind !== 'professional') {
          await activity.record(trx, actor, {
            action: archived ? 'message.archive' : 'message.unarchive',
            subjectPersonId: conv.person_id,
            objectType: 'conversation',
            objectId: conv.id,
          })
        }
      })
    },

    /** An attachment's decrypted content, streamed; a download by someone else is logged first (never a carer's: refused). */
    async attachment(actor: Actor, attachmentId: string): Promise<{ row: AttachmentRow; chunks: AsyncGenerator<Buffer> }> {
      const row = await db.transaction(async (trx) => {
        const att = await repo.findAttachment(trx, attachmentId)
        if (!att) throw new NotFoundError()
        const { conv, facts } = await visible(trx, actor, att.conversation_id)
        enforce(actor, 'download', { type: 'message', conversation: conversationFacts(conv) }, facts)
        if (someoneElse(facts)) {
          await activity.record(trx, actor, {
            action: 'message.attachment.download',
            subjectPersonId: conv.person_id,
            objectType: 'message_attachment',
            objectId: att.id,
          })
        }
        return att
      })
      return { row, chunks: store.read(db, row.id, unwrapDataKey(masterKey, row.wrapped_key), row.chunk_count) }
    },

    /** «Enregistrer dans mes documents»: one step, the document rules checked again on the way in. */
    async saveToDocuments(actor: Actor, attachmentId: string): Promise<{ documentId: string; conversationId: string; already: boolean }> {
      // The attachment's bytes are read first, on a pooled connection taken and given back, before the
      // transaction: never a second pooled connection while the transaction holds one (issue 20). They
      // stay in memory (an attachment is small: the form's limit) and are used only if the checks
      // below, in the transaction, allow it.
      const first = await repo.findAttachment(db, attachmentId)
      if (!first) throw new NotFoundError()
      const parts: Buffer[] = []
      for await (const chunk of store.read(db, first.id, unwrapDataKey(masterKey, first.wrapped_key), first.chunk_count)) parts.push(chunk)
      const content = Buffer.concat(parts)
      return db.transaction(async (trx) => {
        const att = await repo.findAttachment(trx, attachmentId)
        if (!att || att.id !== first.id) throw new NotFoundError()
        const { conv, facts } = await visible(trx, actor, att.conversation_id)
        if (facts.relation.kind === 'professional') throw new ForbiddenError()
        const saved = (await repo.savedDocuments(trx, conv.person_id, [att.id])).get(att.id)
        if (saved) return { documentId: saved, conversationId: conv.id, already: true }
        const doc = await documents.fileDocument(trx, actor, {
          personId: conv.person_id,
          category: 'AUTR_DOC',
          title: documentTitleFromAttachment(att.title),
          date: isoDate(att.created_at),
          bytes: content,
          // The type sniffed when stored (storeAttachment replaces the placeholder in its transaction), checked again here.
          mime: att.mime as DocumentMime,
          fileName: att.file_name,
          notify: false,
        })
        await repo.recordSave(trx, att.id, conv.person_id, doc.id)
        await activity.record(trx, actor, {
          action: 'message.attachment.save',
          subjectPersonId: conv.person_id,
          objectType: 'message_attachment',
          objectId: att.id,
          details: { document: doc.id },
        })
        return { documentId: doc.id, conversationId: conv.id, already: false }
      })
    },
  }
}
