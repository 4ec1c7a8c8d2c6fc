import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type { Readable } from 'node:stream'
import { can, isEmergencyAccess, professionalSeesMasked, type PolicyFacts, type Resource } from '../../domain/accessPolicy'
import { enforce } from '../../access/authorize'
import type { Actor } from '../../domain/actor'
import {
  ContentInspector,
  ContentRejected,
  dangerousFileName,
  safeFileName,
  type ContentRejection,
  type DocumentMime,
} from '../../domain/documents'
import { ForbiddenError, NotFoundError } from '../../errors'
import { newDataKey, unwrapDataKey } from '../../infrastructure/crypto'
import type { ObjectDocumentStore } from '../../infrastructure/documentObjects'
import type { Notifier } from '../../infrastructure/notifier'
import type { NotificationPrefsService } from '../account/notificationPrefs'
import type { AccessFacts } from '../../access/facts'
import type { ActivityLog } from '../history/activity'
import { documentFacts, documentsRepository as repo, type DocumentRow, type ListQuery, type ListScope } from './repository'

export type RejectionReason = ContentRejection

/** A file the service refuses (the transaction it ran in must roll back: it throws). */
export class DocumentRejected extends Error {
  constructor(readonly reason: RejectionReason) {
    super(`document refusé : ${reason}`)
    this.name = 'DocumentRejected'
  }
}

export interface FileDocumentInput {
  personId: string
  category: string
  title: string
  /** The document's date, YYYY-MM-DD. */
  date: string
  /** The content, as bytes or as a stream (never buffered whole). */
  bytes?: Buffer
  stream?: Readable | AsyncIterable<Buffer>
  /**
   * The type: for system documents (a PDF we generate) it may be given; it is still checked
   * against the bytes. Without it, the type comes from the bytes.
   */
  mime?: DocumentMime
  /** The name the file came with (checked for danger and against the type; never used as a path). */
  fileName?: string
  /** Defaults to the actor (patient, representative, professional with their profession). */
  author?: {
    kind?: 'patient' | 'representative' | 'carer' | 'professional' | 'system'
    name?: string
    profession?: string | null
    organisation?: string | null
  }
  /** Defaults to the patient's setting «Masquer par défaut les nouveaux documents». */
  masked?: boolean
  invisibleToRepresentatives?: boolean
  /** Consultation d'annonce: hidden from the patient until then (or released by the author). */
  heldUntil?: Date | null
  /** Whether to tell the patient by e-mail (default: when a professional files a visible document). */
  notify?: boolean
}

export interface DocumentView {
  row: DocumentRow
  facts: PolicyFacts
  canUpdate: boolean
  canDelete: boolean
  canMask: boolean
  canRelease: boolean
  /** «Télécharger le document» (never for a carer, SPEC §3). */
  canDownload: boolean
}

const PER_PAGE = 20

/** A file's bytes already sealed into the object store, waiting for its metadata (see `storeContent`). */
export interface StoredContent {
  id: string
  wrappedKey: Buffer
  objectKey: string
  size: number
  chunks: number
  chunkSize: number
  mime: DocumentMime
}

/**
 * Documents (SPEC §4): filing (patients, professionals, the system), listing, reading, changing,
 * deleting, with the access policy deciding every step and an activity row for every change and
 * every read by someone else, in the same transaction.
 *
 * Other features file system documents with `fileDocument(trx, actor, {...})` in their own
 * transaction (synthèse PDF, directives anticipées, questionnaire, message attachments).
 *
 * The bytes go to the object store (documentObjects.ts) BEFORE the metadata: an upload from a form
 * stores them first, with no database connection held while the client sends, then files the
 * metadata in a short transaction. A rolled-back transaction leaves an object that is removed at
 * once (or by the `object-removals` job if the process died).
 */
export function createDocumentsService(deps: {
  db: Knex
  store: ObjectDocumentStore
  masterKey: Buffer
  access: AccessFacts
  activity: ActivityLog
  notifier: Notifier
  notificationPrefs: NotificationPrefsService
  publicUrl: string
}) {
  const { db, store, masterKey, access, activity, notifier, notificationPrefs } = deps

  /** Loads a document the actor may at least read (404 otherwise: they may not know it exists). */
  async function visible(
    trx: Knex | Knex.Transaction,
    actor: Actor,
    id: string,
    lock = false,
    inSpace?: string,
  ): Promise<{ row: DocumentRow; facts: PolicyFacts }> {
    const row = await repo.find(trx, id, { lock })
    // `inSpace`: the space the page is about (the profile looked at, the patient a professional
    // opened); a document of another space is not found there, before anything is read or logged.
    if (!row || (inSpace !== undefined && row.person_id !== inSpace)) throw new NotFoundError()
    const facts = await access.factsOf(trx, actor, row.person_id)
    if (!can(actor, 'read', { type: 'document', document: documentFacts(row) }, facts)) throw new NotFoundError()
    return { row, facts }
  }

  const someoneElse = (facts: PolicyFacts) => facts.relation.kind !== 'self'

  /**
   * Checks and seals a file's bytes into the object store (type from the bytes, 10 Mo, name), outside
   * any transaction's connection. A refused file leaves nothing. The object is removed unless
   * `fileDocument` files its metadata within the hour.
   */
  async function storeContent(input: Pick<FileDocumentInput, 'bytes' | 'stream' | 'mime' | 'fileName'>): Promise<StoredContent> {
    if (input.fileName !== undefined && dangerousFileName(input.fileName)) throw new DocumentRejected('bad_name')
    const source = input.bytes ? [input.bytes] : input.stream
    if (!source) throw new DocumentRejected('empty')
    const id = crypto.randomUUID()
    const { key, wrapped } = newDataKey(masterKey)
    // The document rules, in one place (shared with message attachments): type from the bytes, no
    // active content in a PDF, no polyglot, the name's extension agreeing with the type.
    const inspector = new ContentInspector(input.fileName)
    let written: Awaited<ReturnType<ObjectDocumentStore['put']>>
    try {
      written = await store.put(id, key, source, (chunk, index, total) => {
        inspector.inspect(chunk, index, total)
        if (index === 0 && input.mime && input.mime !== inspector.type) throw new DocumentRejected('type')
      })
    } catch (err) {
      if (err instanceof ContentRejected) throw new DocumentRejected(err.reason)
      throw err
    }
    let mime: DocumentMime
    try {
      mime = inspector.finish(written.size)
    } catch (err) {
      await store.discard(written.objectKey).catch(() => undefined)
      if (err instanceof ContentRejected) throw new DocumentRejected(err.reason)
      throw err
    }
    return {
      id,
      wrappedKey: wrapped,
      objectKey: written.objectKey,
      size: written.size,
      chunks: written.chunks,
      chunkSize: written.chunkSize,
      mime,
    }
  }

  async function fileDocument(
    trx: Knex.Transaction,
    actor: Actor,
    input: FileDocumentInput,
    stored?: StoredContent,
  ): Promise<{ id: string; mime: DocumentMime; size: number }> {
    const facts = await access.authorize(trx, actor, 'create', { type: 'document' }, input.personId)
    const rel = facts.relation
    let author = {
      kind:
        input.author?.kind ??
        (rel.kind === 'self'
          ? 'patient'
          : rel.kind === 'representative' || rel.kind === 'carer' || rel.kind === 'professional'
            ? rel.kind
            : 'system'),
      name: input.author?.name ?? actor.displayName,
      profession: input.author?.profession ?? null,
      organisation: input.author?.organisation ?? null,
    }
    let authorProfessionalId: string | null = null
    if (rel.kind === 'professional') {
      authorProfessionalId = rel.professionalId
      const pro = await repo.professionalAuthor(trx, rel.professionalId)
      author = {
        ...author,
        kind: 'professional',
        profession: input.author?.profession ?? pro?.specialty ?? null,
        organisation: input.author?.organisation ?? pro?.establishment ?? null,
      }
    }
    // Called inside a transaction without stored bytes (a PDF filed with a change of the profile):
    // stored now, through the object store's own small pool, never this transaction's connection.
    const content = stored ?? (await storeContent(input))
    // Rolled back (here or later in the caller's transaction): the object goes at once.
    trx.executionPromise.catch(() => store.discard(content.objectKey).catch(() => undefined))
    const mime = content.mime
    const id = await repo.insert(trx, {
      id: content.id,
      person_id: input.personId,
      category: input.category,
      title: input.title,
      document_date: input.date,
      mime,
      file_name: safeFileName(input.title, mime),
      author_kind: author.kind,
      author_account_id: actor.accountId === 'system' || actor.accountId === 'person' || actor.service ? null : actor.accountId,
      author_professional_id: authorProfessionalId,
      author_name: author.name,
      author_profession: author.profession,
      author_organisation: author.organisation,
      masked: input.masked ?? facts.settings.maskNewDocuments,
      invisible_to_representatives: input.invisibleToRepresentatives ?? false,
      held_until: input.heldUntil ?? null,
      wrapped_key: content.wrappedKey,
      object_key: content.objectKey,
      size_bytes: content.size,
      chunk_count: content.chunks,
      chunk_size: content.chunkSize,
    })
    await store.keep(trx, content.objectKey)
    await activity.record(trx, actor, {
      action: 'document.create',
      subjectPersonId: input.personId,
      objectType: 'document',
      objectId: id,
      details: { category: input.category },
      emergency: isEmergencyAccess(facts),
    })
    const notify = input.notify ?? (rel.kind === 'professional' && !input.heldUntil)
    if (notify) await tellNewDocument(trx, input.personId)
    // A child's legal representatives are told too (SPEC §6), never of a document hidden from them;
    // a representative who filed it is not told of their own upload, the other one is.
    const invisible = input.invisibleToRepresentatives ?? false
    const notifyRepresentatives =
      input.notify ?? (!input.heldUntil && (rel.kind === 'professional' || rel.kind === 'representative' || rel.kind === 'carer'))
    if (notifyRepresentatives && !invisible)
      await tellRepresentatives(trx, input.personId, rel.kind === 'representative' ? actor.personId : undefined)
    return { id, mime, size: content.size }
  }

  const FOOTER = 'Ce message est envoyé automatiquement, merci de ne pas y répondre.'

  async function tellNewDocument(trx: Knex.Transaction, personId: string): Promise<void> {
    const to = await notificationPrefs.recipient(personId, 'new_document', trx)
    if (!to) return
    await notifier.email(trx, {
      to,
      kind: 'new-document',
      subject: 'Un nouveau document est disponible dans Mon espace santé',
      text: `Bonjour,\n\nUn nouveau document a été ajouté à votre profil Mon espace santé.\nConnectez-vous pour le consulter : ${deps.publicUrl}/documents\n\n${FOOTER}`,
    })
  }

  /** The e-mail to a child's representatives: no title, no category, no author, no name of the child. */
  async function tellRepresentatives(trx: Knex.Transaction, childPersonId: string, except?: string): Promise<void> {
    for (const to of await notificationPrefs.representativeRecipients(childPersonId, 'new_document', except, trx)) {
      await notifier.email(trx, {
        to,
        kind: 'new-document-representative',
        subject: 'Un nouveau document est disponible dans Mon espace santé',
        text: `Bonjour,\n\nUn nouveau document a été ajouté au profil Mon espace santé d'un enfant dont vous êtes représentant légal.\nConnectez-vous, puis choisissez son profil avec «Changer de profil» pour le consulter : ${deps.publicUrl}/connexion\n\n${FOOTER}`,
      })
    }
  }

  function scopeFor(facts: PolicyFacts): ListScope {
    const r = facts.relation
    if (r.kind === 'professional') {
      return {
        categories: r.readableCategories,
        maskedAllowed: professionalSeesMasked(facts),
        authorProfessionalId: r.professionalId,
      }
    }
    return { hideHeldAt: facts.now, hideInvisibleToRepresentatives: r.kind === 'representative' }
  }

  function view(actor: Actor, row: DocumentRow, facts: PolicyFacts): DocumentView {
    const resource: Resource = { type: 'document', document: documentFacts(row) }
    return {
      row,
      facts,
      canUpdate: can(actor, 'update', resource, facts),
      canDelete: can(actor, 'delete', resource, facts),
      canMask: can(actor, 'mask', resource, facts),
      canRelease: can(actor, 'release', resource, facts),
      canDownload: can(actor, 'download', resource, facts),
    }
  }

  async function change(
    actor: Actor,
    id: string,
    action: 'update' | 'mask' | 'delete' | 'release',
    inSpace: string | undefined,
    apply: (trx: Knex.Transaction, row: DocumentRow, facts: PolicyFacts) => Promise<{ action: string; details?: Record<string, unknown> }>,
  ): Promise<DocumentRow> {
    return db.transaction(async (trx) => {
      const { row, facts } = await visible(trx, actor, id, true, inSpace)
      enforce(actor, action, { type: 'document', document: documentFacts(row) }, facts)
      const done = await apply(trx, row, facts)
      await activity.record(trx, actor, {
        action: done.action,
        subjectPersonId: row.person_id,
        objectType: 'document',
        objectId: row.id,
        details: done.details,
        emergency: isEmergencyAccess(facts),
      })
      return row
    })
  }

  /**
   * A system document superseded by a new one (e.g. directives anticipées: the new ones replace the
   * old, SPEC §7): removed from the person's documents in the caller's transaction, which logs the
   * change. Only a document the system filed for this person; false when it is already gone (the
   * patient may have deleted it).
   */
  async function withdrawSystemDocument(trx: Knex.Transaction, personId: string, id: string): Promise<boolean> {
    const row = await repo.find(trx, id, { lock: true })
    if (!row || row.person_id !== personId || row.author_kind !== 'system') return false
    // Its object is marked for removal by the deletion itself (trigger), removed once committed.
    await repo.remove(trx, id)
    const objectKey = row.object_key
    if (objectKey) trx.executionPromise.then(() => store.discard(objectKey)).catch(() => undefined)
    return true
  }

  return {
    fileDocument,
    withdrawSystemDocument,

    /**
     * Checks a file without keeping it (a form whose other fields are wrong): its type, size and
     * content are reported with the other errors at once, not on the next try (issue 16 §5).
     */
    async checkFile(stream: AsyncIterable<Buffer>, fileName: string): Promise<RejectionReason | undefined> {
      try {
        const inspector = new ContentInspector(fileName)
        let size = 0
        let index = 0
        for await (const chunk of stream) {
          size += chunk.length
          inspector.inspect(chunk, index++, size)
        }
        inspector.finish(size)
        return undefined
      } catch (err) {
        if (err instanceof ContentRejected) return err.reason
        throw err
      }
    },

    /**
     * An upload from a form (patient side or professional): its own transaction; a refused file
     * leaves nothing behind.
     */
    async upload(actor: Actor, input: FileDocumentInput): Promise<{ ok: true; id: string } | { ok: false; reason: RejectionReason }> {
      let stored: StoredContent | undefined
      try {
        // The bytes first, no connection held while the client sends; then a short transaction.
        stored = await storeContent(input)
        const content = stored
        const r = await db.transaction((trx) => fileDocument(trx, actor, input, content))
        return { ok: true, id: r.id }
      } catch (err) {
        if (stored) await store.discard(stored.objectKey).catch(() => undefined)
        if (err instanceof DocumentRejected) return { ok: false, reason: err.reason }
        throw err
      }
    },

    /** Whether the actor may add a document to this space (for showing the form; 403/404 otherwise). */
    async assertCanCreate(actor: Actor, personId: string): Promise<PolicyFacts> {
      const facts = await access.authorize(db, actor, 'create', { type: 'document' }, personId)
      return facts
    },

    /** One page of the documents of a person the actor may see, per the policy. */
    async list(actor: Actor, personId: string, query: ListQuery, page = 1) {
      return db.transaction(async (trx) => {
        const facts = await access.authorize(trx, actor, 'list', { type: 'document' }, personId)
        const { rows, total } = await repo.list(trx, personId, query, scopeFor(facts), Math.max(1, page), PER_PAGE)
        // The SQL scope mirrors the policy; the policy still has the last word on every row.
        const visibleRows = rows.filter((r) => can(actor, 'read', { type: 'document', document: documentFacts(r) }, facts))
        if (someoneElse(facts)) {
          await activity.record(trx, actor, {
            action: 'document.list',
            subjectPersonId: personId,
            objectType: 'documents',
            emergency: isEmergencyAccess(facts),
          })
        }
        return {
          rows: visibleRows,
          total,
          page: Math.max(1, page),
          perPage: PER_PAGE,
          pages: Math.max(1, Math.ceil(total / PER_PAGE)),
          facts,
        }
      })
    },

    /**
     * A document's page: metadata and what the actor may do; a read by someone else is logged.
     * `inSpace` (here and below): the space the page is about; a document of another one is not found.
     */
    async get(actor: Actor, id: string, inSpace?: string): Promise<DocumentView> {
      return db.transaction(async (trx) => {
        const { row, facts } = await visible(trx, actor, id, false, inSpace)
        if (someoneElse(facts)) {
          await activity.record(trx, actor, {
            action: 'document.read',
            subjectPersonId: row.person_id,
            objectType: 'document',
            objectId: row.id,
            emergency: isEmergencyAccess(facts),
          })
        }
        return view(actor, row, facts)
      })
    },

    /** The decrypted content, streamed; the read is logged (for someone else) before the first byte. */
    async content(
      actor: Actor,
      id: string,
      purpose: 'download' | 'preview',
      inSpace?: string,
    ): Promise<{ row: DocumentRow; chunks: AsyncGenerator<Buffer> }> {
      const row = await db.transaction(async (trx) => {
        const { row, facts } = await visible(trx, actor, id, false, inSpace)
        if (purpose === 'download' && !can(actor, 'download', { type: 'document', document: documentFacts(row) }, facts))
          throw new ForbiddenError()
        if (someoneElse(facts) && purpose === 'download') {
          await activity.record(trx, actor, {
            action: 'document.download',
            subjectPersonId: row.person_id,
            objectType: 'document',
            objectId: row.id,
            emergency: isEmergencyAccess(facts),
          })
        }
        return row
      })
      const key = unwrapDataKey(masterKey, row.wrapped_key)
      return { row, chunks: store.read(db, row, key) }
    },

    async rename(actor: Actor, id: string, title: string, inSpace?: string) {
      return change(actor, id, 'update', inSpace, async (trx, row) => {
        await repo.update(trx, id, { title, file_name: safeFileName(title, row.mime) })
        return { action: 'document.rename' }
      })
    },

    async recategorise(actor: Actor, id: string, category: string, inSpace?: string) {
      return change(actor, id, 'update', inSpace, async (trx, row) => {
        await repo.update(trx, id, { category })
        return { action: 'document.recategorise', details: { from: row.category, to: category } }
      })
    },

    async setMasked(actor: Actor, id: string, masked: boolean, inSpace?: string) {
      return change(actor, id, 'mask', inSpace, async (trx) => {
        await repo.update(trx, id, { masked })
        return { action: masked ? 'document.mask' : 'document.unmask' }
      })
    },

    async remove(actor: Actor, id: string, inSpace?: string) {
      const row = await change(actor, id, 'delete', inSpace, async (trx, row) => {
        // The object is marked for removal in this transaction (trigger on `documents`); the chunks of
        // a document still in PostgreSQL go with their row.
        await repo.remove(trx, id)
        return { action: 'document.delete', details: { category: row.category } }
      })
      // Committed: the object goes now (the job does it if this fails).
      if (row.object_key) await store.discard(row.object_key).catch(() => undefined)
      return row
    },

    /** Consultation d'annonce: the author releases a held result to the patient. */
    async release(actor: Actor, id: string, inSpace?: string) {
      return change(actor, id, 'release', inSpace, async (trx, row) => {
        await repo.update(trx, id, { held_released_at: new Date() })
        await tellNewDocument(trx, row.person_id)
        if (!row.invisible_to_representatives) await tellRepresentatives(trx, row.person_id)
        return { action: 'document.release' }
      })
    },
  }
}

export type DocumentsService = ReturnType<typeof createDocumentsService>
