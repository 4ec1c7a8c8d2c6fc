import readline from 'node:readline'
import type { Readable } from 'node:stream'
import type { Knex } from 'knex'
import { subjectPersonId, type Actor } from '../../domain/actor'
import { formatEuros } from '../../domain/money'
import {
  CARE_TYPES,
  checkRow,
  isCareType,
  readHeader,
  splitCsvLine,
  type ReimbursementRow,
  REIMBURSEMENT_IMPORT_MAX_BYTES,
} from '../../domain/reimbursementRow'
import { can, isEmergencyAccess, professionalHasAccess, type Action, type PolicyFacts } from '../../domain/accessPolicy'
import { forbidden, notFound } from '../../errors'
import type { AccessFacts } from '../../access/facts'
import { isoDate } from '../../domain/parisTime'
import type { ActivityLog } from '../history/activity'
import { reimbursementsRepository as repo, type ImportRow } from './repository'

export const IMPORT_BATCH = 500
/** How many rejected lines the report keeps (the count is always exact). */
export const IMPORT_MAX_ERRORS = 200

const money = (paid: number, reimbursed: number) => ({
  paid: formatEuros(paid),
  reimbursed: formatEuros(reimbursed),
  remaining: formatEuros(paid - reimbursed),
})

/**
 * «Mon histoire de santé» (SPEC §10): reimbursed care by year, with totals; the switch that hides
 * it from professionals; the operators' CSV import (streamed, checked line by line, bad lines
 * reported by number, good ones kept, idempotent on the reference).
 */
export function createReimbursementsService(deps: { db: Knex; activity: ActivityLog; access: AccessFacts }) {
  const { db, activity, access } = deps

  /** The access policy decides (404 for a person the actor may not know, 403 otherwise). */
  async function allowed(trx: Knex | Knex.Transaction, actor: Actor, personId: string | undefined, action: Action): Promise<string> {
    return (await allowedWith(trx, actor, personId, action)).personId
  }
  async function allowedWith(
    trx: Knex | Knex.Transaction,
    actor: Actor,
    personId: string | undefined,
    action: Action,
  ): Promise<{ personId: string; facts: PolicyFacts }> {
    if (!personId) throw forbidden()
    return { personId, facts: await access.authorize(trx, actor, action, { type: 'reimbursements' }, personId) }
  }

  /** The year page (rows of the year, its total, the totals of every year) for one person. */
  async function yearView(trx: Knex | Knex.Transaction, personId: string, filter: { year?: number; careType?: string }) {
    const careType = filter.careType && isCareType(filter.careType) ? filter.careType : undefined
    const { years, totals } = await repo.yearsAndTotals(trx, personId, careType)
    const year = filter.year && years.includes(filter.year) ? filter.year : years[0]
    const rows = year ? await repo.list(trx, personId, year, careType) : []
    const yearTotal = totals.find((t) => t.year === year) ?? { year, count: 0, paid: 0, reimbursed: 0 }
    return {
      years,
      year,
      careType: careType ?? '',
      rows: summarise(rows),
      total: { count: yearTotal.count, ...money(yearTotal.paid, yearTotal.reimbursed) },
      totals: totals.map((t) => ({ year: t.year, count: t.count, ...money(t.paid, t.reimbursed) })),
    }
  }

  function summarise(rows: Awaited<ReturnType<typeof repo.list>>) {
    return rows.map((r) => ({
      reference: r.reference,
      date: r.care_date,
      act: r.act,
      careType: isCareType(r.care_type) ? CARE_TYPES[r.care_type] : r.care_type,
      professional: r.professional,
      ...money(r.amount_paid_cents, r.amount_reimbursed_cents),
    }))
  }

  return {
    careTypes: Object.entries(CARE_TYPES).map(([value, text]) => ({ value, text })),

    async overview(actor: Actor, filter: { year?: number; careType?: string }) {
      return db.transaction(async (trx) => {
        const { personId, facts } = await allowedWith(trx, actor, actor.kind === 'patient' ? subjectPersonId(actor) : undefined, 'read')
        const view = await yearView(trx, personId, filter)
        // A representative or a carer reading someone else's reimbursements: in that person's history.
        if (facts.relation.kind !== 'self')
          await activity.record(trx, actor, {
            action: 'reimbursements.read',
            subjectPersonId: personId,
            objectType: 'reimbursements',
            objectId: view.year ? String(view.year) : undefined,
          })
        return {
          ...view,
          // Already in the policy's facts (read once for the page).
          hidden: facts.settings.reimbursementsHidden,
          canManage: can(actor, 'manage', { type: 'reimbursements' }, facts),
        }
      })
    },

    /**
     * The professional portal's page of a patient's reimbursements («Mon histoire de santé»): the
     * access policy decides (access to the space, and the patient did not hide them); a refusal says
     * why in plain French; each read is a professional access in the patient's history.
     */
    async professionalView(
      actor: Actor,
      personId: string,
      filter: { year?: number; careType?: string },
    ): Promise<{ ok: true; view: Awaited<ReturnType<typeof yearView>> } | { ok: false; reason: 'hidden' | 'no_access' }> {
      if (actor.kind !== 'professional') throw forbidden()
      return db.transaction(async (trx) => {
        const facts = await access.factsOf(trx, actor, personId)
        if (!can(actor, 'read', { type: 'reimbursements' }, facts)) {
          return {
            ok: false as const,
            reason: professionalHasAccess(facts) && facts.settings.reimbursementsHidden ? ('hidden' as const) : ('no_access' as const),
          }
        }
        const view = await yearView(trx, personId, filter)
        await activity.record(trx, actor, {
          action: 'reimbursements.read',
          subjectPersonId: personId,
          objectType: 'reimbursements',
          objectId: view.year ? String(view.year) : undefined,
          emergency: isEmergencyAccess(facts),
        })
        return { ok: true as const, view }
      })
    },

    /**
     * A professional reads a patient's reimbursements of one year (for the professional portal):
     * only with access to the space and unless the patient hid them; the read is in the history.
     */
    async forProfessional(actor: Actor, personId: string, year: number) {
      return db.transaction(async (trx) => {
        await allowed(trx, actor, personId, 'read')
        const rows = await repo.list(trx, personId, year)
        await activity.record(trx, actor, {
          action: 'reimbursements.read',
          subjectPersonId: personId,
          objectType: 'reimbursements',
          objectId: String(year),
        })
        return summarise(rows)
      })
    },

    /** Whether the person hid their reimbursements from professionals (the access policy reads this). */
    hiddenFromProfessionals: (personId: string) => repo.hiddenFromProfessionals(db, personId),

    /** «Masquer mes remboursements aux professionnels». */
    async setHidden(actor: Actor, hidden: boolean): Promise<void> {
      await db.transaction(async (trx) => {
        const personId = await allowed(trx, actor, actor.kind === 'patient' ? subjectPersonId(actor) : undefined, 'manage')
        if ((await repo.hiddenFromProfessionals(trx, personId)) === hidden) return
        await repo.setHidden(trx, personId, hidden)
        await activity.record(trx, actor, {
          action: hidden ? 'reimbursements.hidden' : 'reimbursements.shown',
          subjectPersonId: personId,
          objectType: 'space',
          objectId: personId,
        })
      })
    },

    /**
     * Imports a CSV file line by line without holding it in memory. Good lines are kept in batches
     * (each batch one transaction); a line already imported (same reference) changes nothing.
     */
    async importCsv(
      actor: Actor,
      filename: string,
      input: Readable,
      opts: { truncated?: () => boolean; today?: string } = {},
    ): Promise<string> {
      if (actor.kind !== 'operator') throw forbidden()
      const today = opts.today ?? isoDate()
      const id = await repo.createImport(db, actor.accountId, filename.slice(0, 200) || 'fichier.csv')
      const report: Omit<ImportRow, 'id' | 'filename' | 'started_at' | 'finished_at'> = {
        status: 'done',
        rows_read: 0,
        rows_inserted: 0,
        rows_already_present: 0,
        rows_rejected: 0,
        errors: [],
      }
      const reject = (line: number, message: string) => {
        report.rows_rejected++
        if (report.errors.length < IMPORT_MAX_ERRORS) report.errors.push({ line, message })
      }
      let batch: { line: number; row: ReimbursementRow }[] = []
      const flush = async () => {
        if (!batch.length) return
        const current = batch
        batch = []
        await db.transaction(async (trx) => {
          const persons = await repo.personIdsByNir(
            trx,
            current.map((b) => b.row.nir),
          )
          const known: (ReimbursementRow & { personId: string })[] = []
          for (const b of current) {
            const personId = persons.get(b.row.nir)
            if (personId) known.push({ ...b.row, personId })
            else reject(b.line, 'nir : aucun assuré ne correspond à ce numéro')
          }
          const inserted = await repo.insertMany(trx, id, known)
          report.rows_inserted += inserted
          report.rows_already_present += known.length - inserted
        })
      }
      let header: Extract<ReturnType<typeof readHeader>, { ok: true }> | undefined
      let lineNo = 0
      const lines = readline.createInterface({ input, crlfDelay: Infinity })
      try {
        for await (const line of lines) {
          lineNo++
          if (!header) {
            const h = readHeader(line)
            if (!h.ok) {
              reject(lineNo, h.message)
              report.status = 'failed'
              input.resume()
              break
            }
            header = h
            continue
          }
          if (!line.trim()) continue
          report.rows_read++
          const checked = checkRow(splitCsvLine(line, header.separator), header, today)
          if (!checked.ok) reject(lineNo, checked.message)
          else batch.push({ line: lineNo, row: checked.row })
          if (batch.length >= IMPORT_BATCH) await flush()
        }
        await flush()
        if (!header && report.status !== 'failed') {
          report.status = 'failed'
          reject(1, 'Le fichier est vide')
        }
        if (opts.truncated?.()) {
          report.status = 'failed'
          reject(
            lineNo,
            `Le fichier dépasse ${REIMBURSEMENT_IMPORT_MAX_BYTES / 1024 / 1024} Mo : la lecture s'est arrêtée à cette ligne. Les lignes précédentes sont importées ; envoyez la suite dans un autre fichier.`,
          )
        }
      } catch (err) {
        await repo.finishImport(db, id, { ...report, status: 'failed' })
        throw err
      }
      await db.transaction(async (trx) => {
        await repo.finishImport(trx, id, report)
        await activity.record(trx, actor, {
          action: 'reimbursements.imported',
          objectType: 'reimbursement_import',
          objectId: id,
          details: {
            read: report.rows_read,
            inserted: report.rows_inserted,
            alreadyPresent: report.rows_already_present,
            rejected: report.rows_rejected,
          },
        })
      })
      return id
    },

    async importReport(actor: Actor, id: string): Promise<ImportRow> {
      if (actor.kind !== 'operator') throw forbidden()
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound()
      const r = await repo.findImport(db, id)
      if (!r) throw notFound()
      return r
    },

    async recentImports(actor: Actor): Promise<ImportRow[]> {
      if (actor.kind !== 'operator') throw forbidden()
      return repo.recentImports(db, 20)
    },
  }
}
