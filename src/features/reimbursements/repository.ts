import type { Knex } from 'knex'
import type { ReimbursementRow } from '../../domain/reimbursementRow'

export interface StoredReimbursement {
  id: string
  reference: string
  care_date: string
  act: string
  care_type: string
  professional: string
  amount_paid_cents: number
  amount_reimbursed_cents: number
}

export interface YearTotal {
  year: number
  count: number
  paid: number
  reimbursed: number
}

export interface ImportRow {
  id: string
  filename: string
  status: 'running' | 'done' | 'failed'
  rows_read: number
  rows_inserted: number
  rows_already_present: number
  rows_rejected: number
  errors: { line: number; message: string }[]
  started_at: Date
  finished_at: Date | null
}

/** SQL only: reimbursements, their imports, the visibility switch. */
export const reimbursementsRepository = {
  /** The person's reimbursed acts (date, label, code), for the prevention rules' matching (agenda). */
  acts(db: Knex | Knex.Transaction, personId: string): Promise<{ date: string; label: string; code: string | null }[]> {
    return db('reimbursements').where({ person_id: personId }).select('care_date as date', 'act as label', 'act_code as code')
  },

  /**
   * Every year with reimbursements, and for each the totals of the care type asked for (of all care
   * without one): ONE scan of the person's rows (index person_id, care_date), where the page used to
   * run two (issue 20, «Mes remboursements»). Years without that care type have a count of 0.
   */
  async yearsAndTotals(
    db: Knex | Knex.Transaction,
    personId: string,
    careType?: string,
  ): Promise<{ years: number[]; totals: YearTotal[] }> {
    const only = careType ? db.raw('care_type = ?', [careType]) : db.raw('true')
    const rows: { year: number; count: number; paid: string | null; reimbursed: string | null }[] = await db('reimbursements')
      .where({ person_id: personId })
      .groupByRaw('1')
      .orderByRaw('1 desc')
      .select(
        db.raw('extract(year from care_date)::int as year'),
        db.raw('(count(*) filter (where ?))::int as count', [only]),
        db.raw('sum(amount_paid_cents) filter (where ?) as paid', [only]),
        db.raw('sum(amount_reimbursed_cents) filter (where ?) as reimbursed', [only]),
      )
    return {
      years: rows.map((r) => r.year),
      totals: rows
        .filter((r) => r.count > 0)
        .map((r) => ({ year: r.year, count: r.count, paid: Number(r.paid), reimbursed: Number(r.reimbursed) })),
    }
  },

  list(db: Knex | Knex.Transaction, personId: string, year: number, careType?: string): Promise<StoredReimbursement[]> {
    const q = db('reimbursements')
      .where({ person_id: personId })
      .whereBetween('care_date', [`${year}-01-01`, `${year}-12-31`])
      .orderBy([
        { column: 'care_date', order: 'desc' },
        { column: 'reference', order: 'asc' },
      ])
      .select(
        'id',
        'reference',
        db.raw("to_char(care_date, 'YYYY-MM-DD') as care_date"),
        'act',
        'care_type',
        'professional',
        'amount_paid_cents',
        'amount_reimbursed_cents',
      )
    if (careType) q.where({ care_type: careType })
    return q
  },

  async hiddenFromProfessionals(db: Knex | Knex.Transaction, personId: string): Promise<boolean> {
    const row = await db('patient_settings')
      .where({ person_id: personId })
      .first<{ reimbursements_hidden: boolean } | undefined>('reimbursements_hidden')
    return Boolean(row?.reimbursements_hidden)
  },

  async setHidden(trx: Knex.Transaction, personId: string, hidden: boolean): Promise<void> {
    const patch = { reimbursements_hidden: hidden, updated_at: trx.fn.now() }
    await trx('patient_settings')
      .insert({ person_id: personId, ...patch })
      .onConflict('person_id')
      .merge(patch)
  },

  async personIdsByNir(trx: Knex.Transaction, nirs: string[]): Promise<Map<string, string>> {
    const rows: { id: string; nir: string }[] = await trx('insured_persons')
      .whereIn('nir', [...new Set(nirs)])
      .select('id', 'nir')
    return new Map(rows.map((r) => [r.nir, r.id]))
  },

  /** Inserts, skipping references already present; returns how many were new. */
  async insertMany(trx: Knex.Transaction, importId: string, rows: (ReimbursementRow & { personId: string })[]): Promise<number> {
    if (!rows.length) return 0
    const inserted = await trx('reimbursements')
      .insert(
        rows.map((r) => ({
          reference: r.reference,
          person_id: r.personId,
          care_date: r.careDate,
          act: r.act,
          care_type: r.careType,
          professional: r.professional,
          amount_paid_cents: r.amountPaidCents,
          amount_reimbursed_cents: r.amountReimbursedCents,
          act_code: r.actCode ?? null,
          import_id: importId,
        })),
      )
      .onConflict('reference')
      .ignore()
      .returning<{ id: string }[]>('id')
    return inserted.length
  },

  async createImport(db: Knex, operatorAccountId: string, filename: string): Promise<string> {
    const [row] = await db('reimbursement_imports')
      .insert({ operator_account_id: operatorAccountId, filename })
      .returning<{ id: string }[]>('id')
    return row.id
  },

  async finishImport(
    db: Knex | Knex.Transaction,
    id: string,
    r: Omit<ImportRow, 'id' | 'filename' | 'started_at' | 'finished_at'>,
  ): Promise<void> {
    await db('reimbursement_imports')
      .where({ id })
      .update({ ...r, errors: JSON.stringify(r.errors), finished_at: db.fn.now() })
  },

  findImport(db: Knex, id: string): Promise<ImportRow | undefined> {
    return db('reimbursement_imports').where({ id }).first()
  },

  recentImports(db: Knex, limit: number): Promise<ImportRow[]> {
    return db('reimbursement_imports').orderBy('started_at', 'desc').limit(limit)
  },
}
