import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { from as copyFrom } from 'pg-copy-streams'
import type { Knex } from 'knex'
import type pg from 'pg'
import { poolOf, sideDb } from '../../infrastructure/database'
import type { Actor } from '../../domain/actor'
import { CsvReader, type CsvRecord } from '../../domain/csv'
import { checkHeader, copyField, IMPORT_COLUMNS, validatePersonRow, type RowFault } from '../../domain/personRow'
import { isoDate } from '../../domain/parisTime'
import type { ActivityLog } from '../history/activity'
import { groupedUuid, uuidGroup } from '../../domain/groupedUuid'
import { CREATE_STAGING, importsRepository as repo, STAGING_COLUMNS } from './repository'

export interface ImportSummary {
  id: number
  status: 'done' | 'failed'
  rowsTotal: number
  rowsOk: number
  rowsBad: number
  inserted: number
  updated: number
  /** Why nothing was read (a missing column, a file that is not CSV). */
  fileErrors: string[]
}

class FileError extends Error {
  constructor(readonly messages: string[]) {
    super(messages.join(' ; '))
  }
}

/**
 * Import of insured persons (SPEC §12): the file is read chunk by chunk through a streaming RFC 4180
 * reader (`domain/csv.ts`), each line checked by the pure rules of `personRow`; a good line is
 * encoded for COPY and streamed at once (in pieces of a few hundred lines, with backpressure) into a
 * temporary table; every `batchSize` lines that batch is merged into the registry in one transaction
 * (set-based `INSERT … ON CONFLICT (nir) DO UPDATE … WHERE … IS DISTINCT FROM`, unchanged persons
 * left alone: a re-import updates, never duplicates; a new person gets a `not_notified` space), with
 * its bad lines (line, column, message only) and the progress counts.
 *
 * Two connections take the batches in turn, each with its own temporary table: while PostgreSQL
 * merges batch k on one, Node reads and checks batch k+1 and streams it into the other. Merges run
 * one after the other in the order of the file (the last line for a NIR wins). Memory holds a chunk
 * of the file, a piece of encoded lines and the faults of one batch, whatever the size of the file.
 */
interface Lane {
  conn: pg.Client
  /** The COPY of the batch being read on this lane, and its end (rejects when PostgreSQL refuses it). */
  copy?: Writable
  copied?: Promise<void>
  /** This lane's last batch: end of its COPY, merge, faults, progress, commit. */
  busy: Promise<void>
  /** A batch's transaction is open on this lane. */
  open?: boolean
}

const PIECE_ROWS = 500

/**
 * The NIRs seen in one batch, to tell whether it repeats one: an open-addressing table of numbers,
 * allocated once and cleared per batch, so that a batch leaves no garbage behind it (a Set of 25,000
 * strings would live through many young-generation collections and pile up in the old one). A NIR
 * reads as a 15-digit number (2A/2B: A → 0, B → 1); two NIRs that would read alike only cost a
 * needless sort, never a wrong merge.
 */
class NirSet {
  private keys: Float64Array
  private mask: number
  constructor(capacity: number) {
    let size = 1024
    while (size < capacity * 2) size *= 2
    this.keys = new Float64Array(size)
    this.mask = size - 1
  }
  /** Adds a NIR; false when it was already there. */
  add(nir: string): boolean {
    const key = nir.length === 15 ? Number(nir.replace('A', '0').replace('B', '1')) : NaN
    if (!(key > 0)) return false // cannot happen for a checked NIR; counted as a repeat (the safe side)
    let i = (key % 1_000_003) & this.mask
    for (;;) {
      const k = this.keys[i]
      if (k === 0) {
        this.keys[i] = key
        return true
      }
      if (k === key) return false
      i = (i + 1) & this.mask
    }
  }
  clear(): void {
    this.keys.fill(0)
  }
}

export function createImportService(deps: { db: Knex; activity: ActivityLog }) {
  const { db, activity } = deps
  // IMPORT_PROFILE=1 prints where an import spends its time (no personal data).
  const profiling = !!process.env.IMPORT_PROFILE

  async function run(
    input: Readable,
    opts: { actor: Actor; source: 'upload' | 'cli'; filename?: string; batchSize?: number; today?: string },
  ): Promise<ImportSummary> {
    const begun = performance.now()
    const batchSize = opts.batchSize ?? 25_000
    const today = opts.today ?? isoDate()
    const id = await repo.start(db, {
      operatorAccountId: opts.actor.kind === 'operator' && opts.actor.accountId !== 'system' ? opts.actor.accountId : null,
      source: opts.source,
      filename: opts.filename?.slice(0, 200) ?? null,
    })
    const counts = { rowsTotal: 0, rowsOk: 0, rowsBad: 0, inserted: 0, updated: 0 }
    // Milliseconds per phase (IMPORT_PROFILE=1): Node reading and checking, Node waiting for a lane
    // (the database is behind), PostgreSQL finishing a batch's COPY, the batch waiting for the
    // previous one's merge, merging, saving faults and progress and committing.
    const ms = { setup: 0, read: 0, waitLane: 0, copyEnd: 0, waitTurn: 0, merge: 0, faultsProgressCommit: 0, finish: 0 }
    const lanes: Lane[] = []
    let fileErrors: string[] = []
    let headerSeen = false
    let mergeChain: Promise<void> = Promise.resolve()
    // The two lanes come from a pool of their own: an import never holds two connections of the
    // application's pool (issue 20).
    const lanesDb = sideDb(db, 2)
    const lanesPool = poolOf(lanesDb)
    try {
      for (let i = 0; i < 2; i++) {
        const conn = await lanesPool.acquireConnection()
        lanes.push({ conn, busy: Promise.resolve() })
      }
      /**
       * A batch is ONE transaction on its lane, from its COPY to its commit: its staging table and
       * its settings (no 30 s limit, room for the merge's sort) live and die with it (safe behind a
       * pooler in transaction mode).
       */
      const begin = (L: Lane) => {
        L.open = true
        return L.conn.query(`BEGIN; SET LOCAL statement_timeout = 0; SET LOCAL work_mem = '64MB'; ${CREATE_STAGING}`)
      }

      const reader = new CsvReader()
      const decoder = new StringDecoder('utf8')
      let lane = 0
      let pending: { line: number; faults: RowFault[] }[] = []
      let piece: string[] = []
      // The ids of a piece's new persons share their first 48 bits (see groupedUuid).
      let group = uuidGroup()
      let inBatch = 0
      // The NIRs of the batch being read (at most `batchSize`): a batch without a repeated NIR needs no sort.
      const nirs = new NirSet(batchSize)
      let duplicates = false

      /** Sends the piece of encoded lines to the current lane's COPY (opened when its previous batch is merged). */
      const sendPiece = async () => {
        if (!piece.length) return
        const L = lanes[lane]
        if (!L.copy) {
          const t = performance.now()
          await L.busy
          ms.waitLane += performance.now() - t
          await begin(L)
          const copy = L.conn.query(copyFrom(`COPY person_import_staging (${STAGING_COLUMNS.join(', ')}) FROM STDIN`))
          L.copied = new Promise<void>((resolve, reject) => {
            copy.on('finish', resolve)
            copy.on('error', reject)
          })
          L.copied.catch(() => undefined) // awaited when the batch is merged
          L.copy = copy
        }
        const text = piece.join('')
        piece = []
        group = uuidGroup()
        if (!L.copy.write(text)) {
          const t = performance.now()
          await once(L.copy, 'drain')
          ms.waitLane += performance.now() - t
        }
      }

      /** Ends the current batch: its merge is queued after the previous batch's, and the other lane takes the next lines. */
      const seal = async () => {
        await sendPiece()
        const L = lanes[lane]
        const { copy, copied } = L
        L.copy = undefined
        L.copied = undefined
        copy?.end()
        const faults = pending
        pending = []
        inBatch = 0
        const sort = duplicates
        nirs.clear()
        duplicates = false
        const seen = { rowsTotal: counts.rowsTotal, rowsOk: counts.rowsOk, rowsBad: counts.rowsBad }
        const previous = mergeChain
        if (profiling && counts.rowsTotal % 100_000 < batchSize) globalThis.gc?.() // with --expose-gc: the heap that is really held
        if (profiling && counts.rowsTotal % 100_000 < batchSize)
          process.stderr.write(
            `import : ${counts.rowsTotal} lignes, RSS ${Math.round(process.memoryUsage().rss / 1e6)} Mo, tas ${Math.round(process.memoryUsage().heapUsed / 1e6)} Mo\n`,
          )
        L.busy = (async () => {
          let t = performance.now()
          if (copied) await copied
          const t0 = performance.now()
          ms.copyEnd += t0 - t
          await previous // the lines of the file are applied in order
          const t1 = performance.now()
          ms.waitTurn += t1 - t0
          if (!copy) await begin(L) // a batch of faults only
          if (copy) {
            const merged = await repo.merge(L.conn, { duplicates: sort })
            counts.inserted += merged.inserted
            counts.updated += merged.updated
          }
          t = performance.now()
          ms.merge += t - t1
          await repo.saveFaults(L.conn, id, faults)
          await repo.progress(L.conn, id, { ...counts, ...seen })
          await L.conn.query('COMMIT')
          L.open = false
          ms.faultsProgressCommit += performance.now() - t
        })()
        L.busy.catch(() => undefined) // awaited before this lane's next COPY, by the next merge, or at the end
        mergeChain = L.busy
        lane = 1 - lane
      }

      let index: (number | undefined)[] = []
      const record: Record<string, string | undefined> = {}
      const handle = async (recs: CsvRecord[]) => {
        for (const rec of recs) {
          const cells = rec.cells
          if (!headerSeen) {
            headerSeen = true
            const header = cells.map((h) => h.trim().toLowerCase())
            const faults = checkHeader(header)
            if (faults.length) throw new FileError(faults)
            index = IMPORT_COLUMNS.map((c) => (header.indexOf(c) >= 0 ? header.indexOf(c) : undefined))
            continue
          }
          counts.rowsTotal++
          const line = rec.number
          if (rec.malformed) {
            counts.rowsBad++
            pending.push({
              line,
              faults: [
                {
                  column: 'ligne',
                  message:
                    rec.malformed === 'too_long'
                      ? 'La ligne est trop longue (plus d’un million de caractères)'
                      : 'Un guillemet ouvert n’est jamais fermé',
                },
              ],
            })
          } else {
            for (let i = 0; i < IMPORT_COLUMNS.length; i++) {
              const at = index[i]
              record[IMPORT_COLUMNS[i]] = at === undefined ? undefined : cells[at]
            }
            const r = validatePersonRow(record, today)
            if (!r.ok) {
              counts.rowsBad++
              pending.push({ line, faults: r.faults })
            } else {
              counts.rowsOk++
              const p = r.person
              if (!duplicates && !nirs.add(p.nir)) duplicates = true
              // The id is used only if the NIR is new (an existing person keeps hers).
              piece.push(
                `${line}\t${groupedUuid(group)}\t${copyField(p.nir)}\t${copyField(p.last_name)}\t${copyField(p.first_names)}\t${p.sex}\t${p.birth_date}\t${copyField(p.birth_place)}\t${copyField(p.address_line1)}\t${copyField(p.address_line2)}\t${copyField(p.postcode)}\t${copyField(p.city)}\t${copyField(p.email)}\t${copyField(p.mobile)}\n`,
              )
              inBatch++
              if (piece.length >= PIECE_ROWS) await sendPiece()
            }
          }
          if (inBatch >= batchSize || pending.length >= batchSize) await seal()
        }
      }
      // Pulls one chunk at a time from the file (backpressure: the next chunk is read only once this
      // one is parsed and its lines sent), so memory holds a chunk, a piece and the faults of one batch.
      const started = performance.now()
      ms.setup = started - begun
      // A refused header stops the reading but the input is still drained to its end (an upload's
      // stream must be consumed for the request to finish).
      let refused: FileError | undefined
      // Node types a Readable's chunks as any: Buffers here, strings if the caller set an encoding.
      for await (const chunk of input as AsyncIterable<Buffer | string>) {
        if (refused) continue
        try {
          await handle(reader.push(typeof chunk === 'string' ? chunk : decoder.write(chunk)))
        } catch (err) {
          if (!(err instanceof FileError)) throw err
          refused = err
        }
      }
      if (refused) throw refused
      await handle(reader.end(reader.push(decoder.end())))
      await seal()
      ms.read = performance.now() - started - ms.waitLane
      const t = performance.now()
      await Promise.all(lanes.map((l) => l.busy))
      ms.waitLane += performance.now() - t
      if (!headerSeen)
        fileErrors = ['Le fichier est vide : il doit contenir une première ligne avec le nom des colonnes, puis une ligne par assuré']
    } catch (err) {
      // Stop what is under way on both lanes: an open COPY is cancelled (CopyFail), a batch not yet
      // committed is rolled back; the batches already committed stay (the summary counts them).
      for (const L of lanes) {
        L.copy?.destroy(new Error('Import interrompu'))
        await L.copied?.catch(() => undefined)
        await L.busy.catch(() => undefined)
        if (L.open) await L.conn.query('ROLLBACK').catch(() => undefined)
        L.open = false
      }
      if (err instanceof FileError) fileErrors = err.messages
      else {
        await repo.finish(db, id, 'failed', counts).catch(() => undefined)
        throw err
      }
    } finally {
      for (const L of lanes) {
        // A transaction still open here (an error while committing) leaves with the connection
        // (knex's own mark, unknown to pg's types: such a connection is destroyed, not pooled again).
        if (L.open) Object.assign(L.conn, { __knex__disposed: 'import interrompu' })
        await lanesPool.releaseConnection(L.conn)
      }
      await lanesDb.destroy()
    }
    const finishing = performance.now()
    const status = fileErrors.length ? 'failed' : 'done'
    await db.transaction(async (trx) => {
      await repo.finish(trx, id, status, counts)
      await activity.record(trx, opts.actor, {
        action: 'persons.imported',
        objectType: 'person_import',
        objectId: String(id),
        details: { status, ...counts },
      })
    })
    ms.finish = performance.now() - finishing
    if (profiling)
      process.stderr.write(
        `import, ms par étape : ${JSON.stringify(Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round(v)])))}\n`,
      )
    return { id, status, ...counts, fileErrors }
  }

  return {
    run,
    find: (id: number) => repo.find(db, id),
    recent: (limit = 10) => repo.recent(db, limit),
    /** The bad lines as CSV («ligne;colonne;message»), streamed. */
    async report(id: number, out: Writable): Promise<boolean> {
      const found = await repo.find(db, id)
      if (!found) return false
      out.write('\ufeffligne;colonne;message\n')
      for await (const f of repo.streamFaults(db, id)) {
        const cell = (s: string) => (/[;"\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
        if (!out.write(`${f.line};${cell(f.column)};${cell(f.message)}\n`)) await once(out, 'drain')
      }
      out.end()
      return true
    },
  }
}
