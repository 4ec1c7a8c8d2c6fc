import crypto from 'node:crypto'
import { PassThrough, Readable } from 'node:stream'
import type { Knex } from 'knex'
import yazl from 'yazl'
import { can, type Action } from '../../domain/accessPolicy'
import { subjectPersonId, type Actor } from '../../domain/actor'
import { EXPORT_STATE_LABELS, EXPORT_VALID_DAYS, ZipNamer, effectiveState, summaryHtml, type ExportState } from '../../domain/dataExport'
import { spaceBundle, type SpaceData } from '../../domain/fhirBundle'
import { NotFoundError, errorMessage } from '../../errors'
import { newDataKey, unwrapDataKey } from '../../infrastructure/crypto'
import { createPgDocumentStore } from '../../infrastructure/documentStore'
import { sideDb } from '../../infrastructure/database'
import type { ObjectDocumentStore } from '../../infrastructure/documentObjects'
import type { Logger } from '../../infrastructure/logger'
import type { Notifier } from '../../infrastructure/notifier'
import type { AccessFacts } from '../../access/facts'
import { documentFacts } from '../documents/repository'
import type { ActivityLog } from '../history/activity'
import { exportRepository as repo, type ExportRow } from './repository'
import { isoDate } from '../../domain/parisTime'

/** The ZIP is kept encrypted in chunks of 256 Kio (the document store's format, in its own table). */
export const EXPORT_CHUNK_SIZE = 256 * 1024

export interface ExportListItem {
  id: string
  createdAt: Date
  readyAt: Date | null
  expiresAt: Date | null
  downloadedAt: Date | null
  state: ExportState
  stateLabel: { text: string; colour: string }
  sizeBytes: number | null
  documentCount: number | null
}

export type DownloadRefusal = 'requested' | 'running' | 'downloaded' | 'expired' | 'failed'

/**
 * «Télécharger mes données» (SPEC §2, issue 8). The holder, or a legal representative for an attached
 * child, asks for the export; the `data-export` job builds a ZIP (every document the requester may
 * read, decrypted; a FHIR R4 Bundle of the space; `resume.html`) streamed straight into encrypted
 * chunks, never whole in memory; an e-mail «Vos données sont prêtes» links to the signed-in page,
 * where the file can be downloaded once, by the account that asked, for 7 days. The request and
 * the download are written to the history in the same transaction as the change.
 */
export function createExportService(deps: {
  db: Knex
  access: AccessFacts
  activity: ActivityLog
  notifier: Notifier
  documentStore: ObjectDocumentStore
  masterKey: Buffer
  publicUrl: string
  logger?: Logger
}) {
  const { db, access, activity, notifier, documentStore, masterKey } = deps
  const exportStore = createPgDocumentStore(EXPORT_CHUNK_SIZE, { table: 'data_export_chunks', owner: 'export_id' })

  /** The space the actor is looking at, once the policy allowed the action on its export. */
  function authorize(trx: Knex | Knex.Transaction, actor: Actor, action: Action) {
    return access.authorizeSubject(trx, actor, action, { type: 'export' })
  }

  /** The requester as they were when they asked (the holder, or the representative acting on the child's space). */
  async function requesterActor(row: ExportRow): Promise<Actor> {
    const [self, subject] = await Promise.all([repo.displayName(db, row.requested_by_person_id), repo.displayName(db, row.person_id)])
    const name = (p?: { firstNames: string; lastName: string }) => (p ? `${p.firstNames} ${p.lastName}` : '')
    return {
      accountId: row.requested_by_account_id,
      kind: 'patient',
      displayName: name(self),
      personId: row.requested_by_person_id,
      acting:
        row.requested_as === 'representative' ? { personId: row.person_id, as: 'representative', displayName: name(subject) } : undefined,
    }
  }

  /**
   * What the export of `personId` holds for `actor`, as the policy allows it today: the space's data,
   * the documents the actor may read (each under a unique safe name) and the FHIR R4 Bundle.
   */
  async function contents(actor: Actor, personId: string, now: Date) {
    const facts = await access.loadFacts(db, actor, personId, now)
    if (!facts || !can(actor, 'read', { type: 'export' }, facts)) throw new Error('export refusé par la politique d’accès')
    const base = await repo.spaceData(db, personId)
    if (!base) throw new Error('personne introuvable')
    // The documents the requester may read today (held results and, for a representative, those
    // «Invisible aux représentants légaux» stay out), each under a unique safe name.
    const namer = new ZipNamer()
    const docs = (await repo.documents(db, personId))
      .filter((d) => can(actor, 'read', { type: 'document', document: documentFacts(d) }, facts))
      .map((d) => ({ row: d, path: namer.name(d.title, d.mime, d.document_date) }))
    const data: SpaceData = {
      ...base,
      documents: docs.map(({ row: d, path }) => ({
        id: d.id,
        title: d.title,
        category: d.category,
        date: d.document_date,
        mime: d.mime,
        size: Number(d.size_bytes),
        authorName: d.author_name,
        authorProfession: d.author_profession,
        createdAt: new Date(d.created_at).toISOString(),
        masked: d.masked,
        path,
      })),
    }
    const bundle = spaceBundle(data, { id: crypto.randomUUID(), timestamp: now.toISOString() })
    return { data, docs, bundle }
  }

  /** Builds the ZIP of one claimed request into encrypted chunks, marks it ready and sends the e-mail, in one transaction. */
  async function build(row: ExportRow, now: Date): Promise<{ size: number; documents: number }> {
    const actor = await requesterActor(row)
    const { data, docs, bundle } = await contents(actor, row.person_id, now)
    const generatedOn = isoDate(now)
    // The documents are read while the transaction below copies the ZIP: on a connection of their own,
    // never a second one of the application's pool (issue 20).
    const reader = sideDb(db)
    try {
      return await writeZip(row, now, data, docs, bundle, generatedOn, reader)
    } finally {
      await reader.destroy()
    }
  }

  async function writeZip(
    row: ExportRow,
    now: Date,
    data: Awaited<ReturnType<typeof contents>>['data'],
    docs: Awaited<ReturnType<typeof contents>>['docs'],
    bundle: Awaited<ReturnType<typeof contents>>['bundle'],
    generatedOn: string,
    reader: Knex,
  ): Promise<{ size: number; documents: number }> {
    const zip = new yazl.ZipFile()
    // yazl pulls each document only when its turn comes; the PassThrough carries a failure (a chunk
    // missing or altered) to the writer below, which then throws and rolls everything back.
    const out = new PassThrough()
    // A failure may come before the writer starts reading `out` (while its transaction begins): the
    // stream keeps it and the writer's first read throws it; until then, a listener keeps the
    // destroyed stream's 'error' event from being an uncaught exception (a crashed process).
    out.on('error', () => undefined)
    zip.on('error', (err: Error) => out.destroy(err))
    zip.outputStream.on('error', (err: Error) => out.destroy(err))
    zip.outputStream.pipe(out)
    const mtime = now
    zip.addBuffer(Buffer.from(summaryHtml(data, { generatedOn }), 'utf8'), 'resume.html', { mtime })
    zip.addBuffer(Buffer.from(JSON.stringify(bundle, null, 1), 'utf8'), 'donnees-fhir.json', { mtime })
    for (const { row: d, path } of docs) {
      zip.addReadStreamLazy(
        path,
        { mtime: new Date(`${d.document_date}T12:00:00Z`), size: Number(d.size_bytes), compress: d.mime === 'text/plain' },
        (cb) => {
          const key = unwrapDataKey(masterKey, d.wrapped_key)
          const stream = Readable.from(documentStore.read(reader, d, key), { objectMode: false })
          // yazl listens to no error of a lazy stream: a failed chunk must stop the whole export.
          stream.on('error', (err) => out.destroy(err))
          cb(null, stream)
        },
      )
    }
    zip.end()

    return db.transaction(async (trx) => {
      const { key, wrapped } = newDataKey(masterKey)
      const written = await exportStore.write(trx, row.id, key, out)
      const expiresAt = new Date(now.getTime() + EXPORT_VALID_DAYS * 24 * 3600 * 1000)
      await repo.markReady(trx, row.id, {
        wrappedKey: wrapped,
        size: written.size,
        chunks: written.chunks,
        chunkSize: written.chunkSize,
        documents: docs.length,
        readyAt: now,
        expiresAt,
      })
      const to = await repo.accountEmail(trx, row.requested_by_account_id)
      if (to) {
        await notifier.email(trx, {
          to,
          kind: 'data-export-ready',
          subject: 'Vos données sont prêtes',
          text:
            `Bonjour,\n\nLe fichier de vos données Mon espace santé que vous avez demandé est prêt.\n` +
            `Connectez-vous pour le télécharger : ${deps.publicUrl}/mon-compte/telecharger-mes-donnees\n\n` +
            `Il peut être téléchargé une seule fois, pendant ${EXPORT_VALID_DAYS} jours.\n` +
            `Si vous n'êtes pas à l'origine de cette demande, changez votre mot de passe.\n\n` +
            `Ce message est envoyé automatiquement, merci de ne pas y répondre.`,
        })
      }
      return { size: written.size, documents: docs.length }
    })
  }

  return {
    /** The requests this account made for the space being looked at (newest first), with their state. */
    async list(actor: Actor, now = new Date()): Promise<{ items: ExportListItem[]; pending: boolean }> {
      const { personId } = await authorize(db, actor, 'list')
      const rows = await repo.listFor(db, personId, actor.accountId)
      const items = rows.map((r) => {
        const state = effectiveState(r, now)
        return {
          id: r.id,
          createdAt: r.created_at,
          readyAt: r.ready_at,
          expiresAt: r.expires_at,
          downloadedAt: r.downloaded_at,
          state,
          stateLabel: EXPORT_STATE_LABELS[state],
          sizeBytes: r.size_bytes,
          documentCount: r.document_count,
        }
      })
      return { items, pending: items.some((i) => i.state === 'requested' || i.state === 'running') }
    },

    /** «Demander mes données»: one request at a time per space and account; written to the history. */
    async request(actor: Actor): Promise<{ ok: true; id: string } | { ok: false; reason: 'pending' }> {
      return db.transaction(async (trx) => {
        const { personId, facts } = await authorize(trx, actor, 'create')
        // One request at a time: the row lock on the person serialises two clicks.
        await repo.lockPerson(trx, personId)
        if (await repo.pendingFor(trx, personId, actor.accountId)) return { ok: false as const, reason: 'pending' as const }
        const id = await repo.insert(trx, {
          person_id: personId,
          requested_by_account_id: actor.accountId,
          requested_by_person_id: actor.personId!,
          requested_as: facts.relation.kind === 'representative' ? 'representative' : 'patient',
        })
        await activity.record(trx, actor, { action: 'export.request', subjectPersonId: personId, objectType: 'data_export', objectId: id })
        return { ok: true as const, id }
      })
    },

    /**
     * The one download: only the account that asked, on the same space, while the file is ready
     * and within its 7 days. Marks it downloaded and writes the history row before the first byte.
     * Anything else of someone else's is 404; a used or expired file says so.
     */
    async download(
      actor: Actor,
      id: string,
      now = new Date(),
    ): Promise<{ ok: true; fileName: string; size: number; chunks: AsyncGenerator<Buffer> } | { ok: false; reason: DownloadRefusal }> {
      const result = await db.transaction(async (trx) => {
        const row = await repo.find(trx, id, { lock: true })
        if (!row || row.requested_by_account_id !== actor.accountId || row.person_id !== subjectPersonId(actor)) throw new NotFoundError()
        await authorize(trx, actor, 'read')
        const state = effectiveState(row, now)
        if (state !== 'ready') return { ok: false as const, reason: state }
        await repo.setState(trx, id, { state: 'downloaded', downloaded_at: now })
        await activity.record(trx, actor, {
          action: 'export.download',
          subjectPersonId: row.person_id,
          objectType: 'data_export',
          objectId: id,
        })
        return { ok: true as const, row }
      })
      if (!result.ok) return result
      const row = result.row
      const key = unwrapDataKey(masterKey, row.wrapped_key!)
      const day = isoDate(new Date(row.ready_at ?? now))
      return {
        ok: true,
        fileName: `mes-donnees-mon-espace-sante-${day}.zip`,
        size: Number(row.size_bytes),
        chunks: exportStore.read(db, id, key, row.chunk_count ?? 0),
      }
    },

    /** After the one download: the ciphertext is no longer needed. */
    async discard(id: string): Promise<void> {
      await db.transaction(async (trx) => {
        const row = await repo.find(trx, id, { lock: true })
        if (!row || row.state !== 'downloaded') return
        await repo.deleteChunks(trx, id)
        await repo.setState(trx, id, { purged_at: new Date() })
      })
    },

    /** Builds one claimed request (exported for the tests and the benchmark). */
    build,

    /** The data, documents and FHIR Bundle an export would hold (exported for the FHIR validation tests). */
    contents,

    /**
     * The `data-export` job: builds every waiting request, one after the other; a failed build
     * leaves nothing behind (its transaction rolls back) and is shown as «Échec».
     */
    async runPending(now: () => Date = () => new Date()): Promise<{ built: number; failed: number }> {
      let built = 0
      let failed = 0
      for (;;) {
        const row = await repo.claim(db)
        if (!row) break
        try {
          await build(row, now())
          built++
        } catch (err) {
          failed++
          // The message only (never the data): a missing chunk, a refused access...
          deps.logger?.warn({ exportId: row.id, err: { message: errorMessage(err) } }, 'export de données en échec')
          await repo.setState(db, row.id, { state: 'failed' })
        }
      }
      return { built, failed }
    },

    /** The hourly clean-up: expired files, and the ciphertext of files that can no longer be downloaded. */
    purge: (now = new Date()) => repo.purge(db, now),
  }
}
