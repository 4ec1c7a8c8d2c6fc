import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { from as copyFrom } from 'pg-copy-streams'
import type { Knex } from 'knex'
import type pg from 'pg'
import type { Actor } from '../../domain/actor'
import { CsvReader, type CsvRecord } from '../../domain/csv'
import { checkHeader, copyField, IMPORT_COLUMNS, validatePersonRow, type RowFault } from '../../domain/personRow'
import { isoDate } from '../../validation'
import type { ActivityLog } from '../history/activity'
import { importsRepository as repo, STAGING_COLUMNS } from './repository'

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
 * reader (`domain/csv.ts`), each line checked by the pure rules of `personRow`; good lines are written
 * with COPY into a temporary table and merged into the registry every `batchSize` lines
 * (`INSERT … ON CONFLICT (nir) DO UPDATE`, unchanged persons left alone: a re-import updates, never
 * duplicates; a new person gets a `not_notified` space); bad lines are kept as (line, column,
 * message) only, saved with their batch. Node reads and checks the next batch while PostgreSQL merges
 * the current one; memory stays flat (a chunk, two batches of encoded rows, one batch of faults).
 */
export function createImportService(deps: { db: Knex; activity: ActivityLog }) {
  const { db, activity } = deps
  // IMPORT_PROFILE=1 prints where an import spends its time (no personal data).
  const profile = process.env.IMPORT_PROFILE ? new Map<string, number>() : undefined
  let mark = 0
  const lap = (name: string) => {
    if (!profile) return
    const t = performance.now()
    profile.set(name, (profile.get(name) ?? 0) + t - mark)
    mark = t
  }

  async function run(input: Readable, opts: { actor: Actor; source: 'upload' | 'cli'; filename?: string; batchSize?: number; today?: string }): Promise<ImportSummary> {
    const batchSize = opts.batchSize ?? 25_000
    const today = opts.today ?? isoDate()
    const id = await repo.start(db, { operatorAccountId: opts.actor.kind === 'operator' && opts.actor.accountId !== 'system' ? opts.actor.accountId : null, source: opts.source, filename: opts.filename?.slice(0, 200) ?? null })
    const counts = { rowsTotal: 0, rowsOk: 0, rowsBad: 0, inserted: 0, updated: 0 }
    const conn: pg.Client = await db.client.acquireConnection()
    let fileErrors: string[] = []
    let headerSeen = false
    let inflight: Promise<void> = Promise.resolve()
    try {
      // No 30 s limit for a long import; room for the merge's sort in memory.
      await conn.query("SET statement_timeout = 0; SET work_mem = '64MB'")
      await conn.query(`DROP TABLE IF EXISTS pg_temp.person_import_staging; CREATE TEMP TABLE person_import_staging (line integer, nir varchar(15), last_name varchar(100), first_names varchar(150), sex varchar(1), birth_date date, birth_place varchar(100), address_line1 varchar(150), address_line2 varchar(150), postcode varchar(10), city varchar(100), email varchar(254), mobile varchar(20))`)

      const reader = new CsvReader()
      const decoder = new StringDecoder('utf8')
      let pending: { line: number; faults: RowFault[] }[] = []

      // Double buffering: Node reads and checks batch k+1 while PostgreSQL writes batch k (COPY into
      // the temporary table, merge, faults, progress: one transaction). At most two batches of
      // encoded rows are in memory, whatever the size of the file.
      // Encoded rows, joined 1,000 at a time into one string (one socket write each, few objects held).
      let rows: string[] = []
      let piece: string[] = []
      let inBatch = 0
      const writeBatch = async (batch: string[], faults: typeof pending, seen: { rowsTotal: number; rowsOk: number; rowsBad: number }) => {
        await conn.query('BEGIN')
        if (batch.length) {
          const copy = conn.query(copyFrom(`COPY person_import_staging (${STAGING_COLUMNS.join(', ')}) FROM STDIN`)) as unknown as Writable
          // ~256 KB per socket write, not one write per row.
          for (const chunk of batch) {
            if (!copy.write(chunk)) await once(copy, 'drain')
          }
          copy.end()
          await once(copy, 'finish')
          const merged = await repo.merge(conn)
          counts.inserted += merged.inserted
          counts.updated += merged.updated
        }
        await repo.saveFaults(conn, id, faults)
        await repo.progress(conn, id, { ...counts, ...seen })
        await conn.query('COMMIT')
      }
      const flush = async () => {
        lap('parse')
        await inflight
        lap('wait for database')
        if (piece.length) rows.push(piece.join(''))
        piece = []
        const batch = rows
        const faults = pending
        rows = []
        pending = []
        inBatch = 0
        if (profile && counts.rowsTotal % 100_000 < batchSize) process.stderr.write(`import : ${counts.rowsTotal} lignes, RSS ${Math.round(process.memoryUsage().rss / 1e6)} Mo, tas ${Math.round(process.memoryUsage().heapUsed / 1e6)} Mo\n`)
        inflight = writeBatch(batch, faults, { rowsTotal: counts.rowsTotal, rowsOk: counts.rowsOk, rowsBad: counts.rowsBad })
        inflight.catch(() => undefined) // awaited by the next flush or at the end
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
            pending.push({ line, faults: [{ column: 'ligne', message: rec.malformed === 'too_long' ? 'La ligne est trop longue (plus d’un million de caractères)' : 'Un guillemet ouvert n’est jamais fermé' }] })
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
              const row = `${line}\t${copyField(p.nir)}\t${copyField(p.last_name)}\t${copyField(p.first_names)}\t${p.sex}\t${p.birth_date}\t${copyField(p.birth_place)}\t${copyField(p.address_line1)}\t${copyField(p.address_line2)}\t${copyField(p.postcode)}\t${copyField(p.city)}\t${copyField(p.email)}\t${copyField(p.mobile)}\n`
              piece.push(row)
              if (piece.length === 1000) {
                rows.push(piece.join(''))
                piece = []
              }
              inBatch++
            }
          }
          if (inBatch >= batchSize || pending.length >= batchSize) await flush()
        }
      }
      // Pulls one chunk at a time from the file (backpressure: the next chunk is read only once this
      // one is parsed and its rows written), so memory holds a chunk, a COPY buffer and the faults of one batch.
      mark = performance.now()
      // A refused header stops the reading but the input is still drained to its end (an upload's
      // stream must be consumed for the request to finish).
      let refused: FileError | undefined
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
      await flush()
      await inflight
      lap('wait for database')
      if (!headerSeen) fileErrors = ['Le fichier est vide : il doit contenir une première ligne avec le nom des colonnes, puis une ligne par assuré']
    } catch (err) {
      await inflight.catch(() => undefined)
      await conn.query('ROLLBACK').catch(() => undefined)
      if (err instanceof FileError) fileErrors = err.messages
      else {
        await repo.finish(db, id, 'failed', counts).catch(() => undefined)
        throw err
      }
    } finally {
      await conn.query("DROP TABLE IF EXISTS pg_temp.person_import_staging; SET statement_timeout = '30s'; RESET work_mem").catch(() => undefined)
      db.client.releaseConnection(conn)
    }
    if (profile) process.stderr.write(`import, ms par étape : ${JSON.stringify(Object.fromEntries([...profile].map(([k, v]) => [k, Math.round(v)])))}\n`)
    const status = fileErrors.length ? 'failed' : 'done'
    await db.transaction(async (trx) => {
      await repo.finish(trx, id, status, counts)
      await activity.record(trx, opts.actor, { action: 'persons.imported', objectType: 'person_import', objectId: String(id), details: { status, ...counts } })
    })
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

export type ImportService = ReturnType<typeof createImportService>
