import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import { parse } from 'csv-parse'
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
 * Import of insured persons (SPEC §12): the file is streamed through a CSV parser, each line checked
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
      await conn.query("SET statement_timeout = 0")
      await conn.query(`DROP TABLE IF EXISTS pg_temp.person_import_staging; CREATE TEMP TABLE person_import_staging (line integer, nir varchar(15), last_name varchar(100), first_names varchar(150), sex varchar(1), birth_date date, birth_place varchar(100), address_line1 varchar(150), address_line2 varchar(150), postcode varchar(10), city varchar(100), email varchar(254), mobile varchar(20))`)

      const parser = parse({
        delimiter: [';', ','],
        bom: true,
        trim: true,
        skip_empty_lines: true,
        relax_column_count: true,
        skip_records_with_error: true,
        info: true,
        columns: (header: string[]) => {
          headerSeen = true
          const faults = checkHeader(header)
          if (faults.length) throw new FileError(faults)
          return header.map((h) => {
            const name = h.trim().toLowerCase()
            return (IMPORT_COLUMNS as readonly string[]).includes(name) ? name : false
          })
        },
      })
      let pending: { line: number; faults: RowFault[] }[] = []
      parser.on('skip', (err: Error & { lines?: number }) => {
        counts.rowsTotal++
        counts.rowsBad++
        pending.push({ line: err.lines ?? 0, faults: [{ column: '', message: 'Ligne illisible (guillemets mal fermés ou caractères invalides)' }] })
      })
      input.on('error', (err) => parser.destroy(err))
      input.pipe(parser)

      let copy: Writable | undefined
      let inBatch = 0
      const openCopy = async () => {
        await conn.query('BEGIN')
        copy = conn.query(copyFrom(`COPY person_import_staging (${STAGING_COLUMNS.join(', ')}) FROM STDIN`)) as unknown as Writable
      }
      const flush = async () => {
        if (copy) {
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

      for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
        counts.rowsTotal++
        const r = validatePersonRow(record, today)
        if (!r.ok) {
          counts.rowsBad++
          pending.push({ line: info.lines, faults: r.faults })
        } else {
          counts.rowsOk++
          if (!copy) await openCopy()
          const p = r.person
          const row = [String(info.lines), p.nir, p.last_name, p.first_names, p.sex, p.birth_date, p.birth_place, p.address_line1, p.address_line2, p.postcode, p.city, p.email, p.mobile].map(copyField).join('\t') + '\n'
          if (!copy!.write(row)) await once(copy!, 'drain')
          inBatch++
        }
        if (inBatch >= batchSize || pending.length >= batchSize) await flush()
      }
      await flush()
      if (!headerSeen) fileErrors = ['Le fichier est vide : il doit contenir une première ligne avec le nom des colonnes, puis une ligne par assuré']
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined)
      const e = err as Error & { code?: string }
      if (err instanceof FileError) fileErrors = err.messages
      else if (e.code && String(e.code).startsWith('CSV_')) fileErrors = ["Le fichier n'a pas pu être lu : vérifiez qu'il s'agit bien d'un fichier CSV (séparateur point-virgule ou virgule, encodage UTF-8)"]
      else {
        await repo.finish(db, id, 'failed', counts).catch(() => undefined)
        throw err
      }
    } finally {
      await conn.query("DROP TABLE IF EXISTS pg_temp.person_import_staging; SET statement_timeout = '30s'").catch(() => undefined)
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
