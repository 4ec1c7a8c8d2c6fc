import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import Papa from 'papaparse'
import { from as copyFrom } from 'pg-copy-streams'
import type { Knex } from 'knex'
import type pg from 'pg'
import type { Actor } from '../../domain/actor'
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
 * Import of insured persons (SPEC §12): the file is streamed through a CSV parser (PapaParse), each line checked
 * by the pure rules of `personRow`; good lines are streamed into a temporary table with COPY and
 * merged into the registry every `batchSize` lines (`INSERT … ON CONFLICT (nir) DO UPDATE`: a
 * re-import updates, never duplicates; a new person gets a `not_notified` space); bad lines are kept
 * as (line, column, message) only. Memory stays flat: at most one batch of faults is held, and the
 * parser is paused while COPY catches up.
 */
export function createImportService(deps: { db: Knex; activity: ActivityLog }) {
  const { db, activity } = deps

  async function run(input: Readable, opts: { actor: Actor; source: 'upload' | 'cli'; filename?: string; batchSize?: number; today?: string }): Promise<ImportSummary> {
    const batchSize = opts.batchSize ?? 50_000
    const today = opts.today ?? isoDate()
    const id = await repo.start(db, { operatorAccountId: opts.actor.kind === 'operator' && opts.actor.accountId !== 'system' ? opts.actor.accountId : null, source: opts.source, filename: opts.filename?.slice(0, 200) ?? null })
    const counts = { rowsTotal: 0, rowsOk: 0, rowsBad: 0, inserted: 0, updated: 0 }
    const conn: pg.Client = await db.client.acquireConnection()
    let fileErrors: string[] = []
    let headerSeen = false
    try {
      // No 30 s limit for a long import; room for the merge's sort in memory.
      await conn.query("SET statement_timeout = 0; SET work_mem = '64MB'")
      await conn.query(`DROP TABLE IF EXISTS pg_temp.person_import_staging; CREATE TEMP TABLE person_import_staging (line integer, nir varchar(15), last_name varchar(100), first_names varchar(150), sex varchar(1), birth_date date, birth_place varchar(100), address_line1 varchar(150), address_line2 varchar(150), postcode varchar(10), city varchar(100), email varchar(254), mobile varchar(20))`)

      // PapaParse in stream mode (several times faster than csv-parse here); `;` or `,` guessed.
      const parser = input.pipe(Papa.parse(Papa.NODE_STREAM_INPUT, { delimitersToGuess: [';', ','], skipEmptyLines: 'greedy' }))
      input.on('error', (err) => parser.destroy(err))
      let pending: { line: number; faults: RowFault[] }[] = []

      let copy: Writable | undefined
      let inBatch = 0
      let buffered: string[] = []
      let bufferedBytes = 0
      const openCopy = async () => {
        await conn.query('BEGIN')
        copy = conn.query(copyFrom(`COPY person_import_staging (${STAGING_COLUMNS.join(', ')}) FROM STDIN`)) as unknown as Writable
      }
      // Rows go to COPY in chunks of ~256 KB (one socket write each, not one per row).
      const push = async () => {
        if (!buffered.length) return
        const chunk = buffered.join('')
        buffered = []
        bufferedBytes = 0
        if (!copy!.write(chunk)) await once(copy!, 'drain')
      }
      const flush = async () => {
        if (copy) {
          await push()
          copy.end()
          await once(copy, 'finish')
          copy = undefined
          const merged = await repo.merge(conn)
          counts.inserted += merged.inserted
          counts.updated += merged.updated
        } else {
          await conn.query('BEGIN')
        }
        await repo.saveFaults(conn, id, pending)
        await repo.progress(conn, id, counts)
        await conn.query('COMMIT')
        pending = []
        inBatch = 0
      }

      let index: (number | undefined)[] = []
      let line = 0
      for await (const cells of parser as AsyncIterable<string[]>) {
        line++
        if (!headerSeen) {
          headerSeen = true
          const header = cells.map((h, i) => (i === 0 ? h.replace(/^\ufeff/, '') : h).trim().toLowerCase())
          const faults = checkHeader(header)
          if (faults.length) throw new FileError(faults)
          index = IMPORT_COLUMNS.map((c) => (header.indexOf(c) >= 0 ? header.indexOf(c) : undefined))
          continue
        }
        counts.rowsTotal++
        const record: Record<string, string | undefined> = {}
        IMPORT_COLUMNS.forEach((c, i) => {
          const at = index[i]
          record[c] = at === undefined ? undefined : cells[at]
        })
        const r = validatePersonRow(record, today)
        if (!r.ok) {
          counts.rowsBad++
          pending.push({ line, faults: r.faults })
        } else {
          counts.rowsOk++
          if (!copy) await openCopy()
          const p = r.person
          const row = [String(line), p.nir, p.last_name, p.first_names, p.sex, p.birth_date, p.birth_place, p.address_line1, p.address_line2, p.postcode, p.city, p.email, p.mobile].map(copyField).join('\t') + '\n'
          buffered.push(row)
          bufferedBytes += row.length
          if (bufferedBytes >= 256 * 1024) await push()
          inBatch++
        }
        if (inBatch >= batchSize || pending.length >= batchSize) await flush()
      }
      await flush()
      if (!headerSeen) fileErrors = ['Le fichier est vide : il doit contenir une première ligne avec le nom des colonnes, puis une ligne par assuré']
    } catch (err) {
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
