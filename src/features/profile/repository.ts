import type { Knex } from 'knex'
import type { ListSection, OrganDonation } from '../../domain/profileSections'
import type { Answers } from '../../domain/questionnaires/types'

type Q = Knex | Knex.Transaction

export interface EntryRow {
  id: string
  person_id: string
  section: ListSection
  label: string
  detail: string | null
  start_date: string | null
  end_date: string | null
  updated_at: Date
}

export interface EntryInput {
  label: string
  detail: string | null
  start_date: string | null
  end_date: string | null
}

export interface FactsRow {
  person_id: string
  blood_group: string | null
  organ_donation: OrganDonation | null
  organ_donation_note: string | null
  organ_donation_at: Date | null
  lifestyle: Answers | null
  lifestyle_version: string | null
}

export interface ContactRow {
  id: string
  person_id: string
  role: 'trusted' | 'emergency'
  name: string
  relationship: string | null
  phone: string | null
  email: string | null
}

export type ContactInput = Pick<ContactRow, 'name' | 'relationship' | 'phone' | 'email'>

export interface MeasureRow {
  id: string
  type: string
  value: number
  value2: number | null
  measured_on: string
  /** The connected service that wrote it (issue 8), null when a person typed it. */
  source_name?: string | null
}

export interface DirectiveRow {
  id: string
  person_id?: string
  replaced_at?: Date | null
  answers: Answers
  document_id: string | null
  created_at: Date
}

export interface ResponseRow {
  id: string
  person_id?: string
  questionnaire: string
  version: string
  answers: Answers
  status: 'draft' | 'final'
  document_id: string | null
  updated_at: Date
  finalised_at: Date | null
}

/** A measures row as pg returns it (numeric columns as text). */
type MeasureDbRow = {
  id: string
  type: string
  value: string
  value2: string | null
  measured_on: string
  source_name?: string | null
}
const measure = (r: MeasureDbRow): MeasureRow => ({
  id: r.id,
  source_name: r.source_name ?? null,
  type: r.type,
  value: Number(r.value),
  value2: r.value2 === null ? null : Number(r.value2),
  measured_on: r.measured_on,
})

/** SQL of the medical profile, and nothing else. */
export const profileRepository = {
  person: (q: Q, personId: string) =>
    q('insured_persons')
      .where({ id: personId })
      .first<{ id: string; first_names: string; last_name: string; birth_date: string; sex: 'F' | 'M' } | undefined>(
        'id',
        'first_names',
        'last_name',
        'birth_date',
        'sex',
      ),

  entries: (q: Q, personId: string, section?: ListSection) => {
    const b = q<EntryRow>('profile_entries').where({ person_id: personId })
    if (section) b.where({ section })
    return b.orderByRaw('start_date DESC NULLS LAST, created_at DESC')
  },
  entry: (q: Q, personId: string, section: ListSection, id: string) =>
    q<EntryRow>('profile_entries').where({ person_id: personId, section, id }).first(),
  insertEntry: async (q: Q, personId: string, section: ListSection, input: EntryInput) => {
    const [row] = await q('profile_entries')
      .insert({ person_id: personId, section, ...input })
      .returning<{ id: string }[]>('id')
    return row.id
  },
  updateEntry: (q: Q, personId: string, section: ListSection, id: string, input: EntryInput) =>
    q('profile_entries')
      .where({ person_id: personId, section, id })
      .update({ ...input, updated_at: q.fn.now() }),
  deleteEntry: (q: Q, personId: string, section: ListSection, id: string) =>
    q('profile_entries').where({ person_id: personId, section, id }).del(),

  facts: (q: Q, personId: string) => q<FactsRow>('profile_facts').where({ person_id: personId }).first(),
  upsertFacts: (q: Q, personId: string, patch: Partial<Omit<FactsRow, 'person_id'>>) =>
    q('profile_facts')
      .insert({ person_id: personId, ...patch })
      .onConflict('person_id')
      .merge({ ...patch, updated_at: q.fn.now() }),

  contacts: (q: Q, personId: string) =>
    q<ContactRow>('profile_contacts').where({ person_id: personId }).orderByRaw("role = 'emergency', created_at"),
  contact: (q: Q, personId: string, id: string) => q<ContactRow>('profile_contacts').where({ person_id: personId, id }).first(),
  lockPerson: (q: Q, personId: string) => q('insured_persons').where({ id: personId }).forUpdate().first('id'),
  countEmergency: async (q: Q, personId: string) =>
    Number((await q('profile_contacts').where({ person_id: personId, role: 'emergency' }).count<{ n: string }[]>('* as n'))[0].n),
  insertContact: async (q: Q, personId: string, role: ContactRow['role'], input: ContactInput) => {
    const [row] = await q('profile_contacts')
      .insert({ person_id: personId, role, ...input })
      .returning<{ id: string }[]>('id')
    return row.id
  },
  updateContact: (q: Q, personId: string, id: string, input: ContactInput) =>
    q('profile_contacts').where({ person_id: personId, id }).update(input),
  deleteContact: (q: Q, personId: string, id: string) => q('profile_contacts').where({ person_id: personId, id }).del(),

  measures: async (q: Q, personId: string, type?: string) => {
    const b = q('measures')
      .where({ person_id: personId })
      .select<MeasureDbRow[]>('id', 'type', 'value', 'value2', 'measured_on', 'source_name')
      .orderBy([{ column: 'measured_on' }, { column: 'created_at' }])
    if (type) b.where({ type })
    return (await b).map(measure)
  },
  /** The last value of each type (one indexed scan per type through DISTINCT ON). */
  lastMeasures: async (q: Q, personId: string) =>
    (
      await q.raw<{ rows: MeasureDbRow[] }>(
        `SELECT DISTINCT ON (type) id, type, value, value2, measured_on FROM measures WHERE person_id = ? ORDER BY type, measured_on DESC, created_at DESC`,
        [personId],
      )
    ).rows.map(measure),
  measure: async (q: Q, personId: string, id: string) => {
    const r = await q('measures')
      .where({ person_id: personId, id })
      .first<MeasureDbRow | undefined>('id', 'type', 'value', 'value2', 'measured_on')
    return r ? measure(r) : undefined
  },
  insertMeasure: async (q: Q, personId: string, m: { type: string; value: number; value2: number | null; measured_on: string }) => {
    const [row] = await q('measures')
      .insert({ person_id: personId, ...m })
      .returning<{ id: string }[]>('id')
    return row.id
  },
  deleteMeasure: (q: Q, personId: string, id: string) => q('measures').where({ person_id: personId, id }).del(),

  currentDirective: (q: Q, personId: string) =>
    q<DirectiveRow>('advance_directives')
      .where({ person_id: personId })
      .whereNull('replaced_at')
      .first('id', 'answers', 'document_id', 'created_at'),
  replaceDirective: async (q: Q, personId: string, answers: Answers) => {
    await q('advance_directives').where({ person_id: personId }).whereNull('replaced_at').update({ replaced_at: q.fn.now() })
    const [row] = await q('advance_directives')
      .insert({ person_id: personId, answers: JSON.stringify(answers) })
      .returning<{ id: string }[]>('id')
    return row.id
  },
  setDirectiveDocument: (q: Q, id: string, documentId: string) => q('advance_directives').where({ id }).update({ document_id: documentId }),

  /** The vaccinations recorded (read for a professional's view of the profile). */
  vaccinations: (q: Q, personId: string) =>
    q('vaccinations')
      .where({ person_id: personId })
      .orderBy([
        { column: 'date', order: 'desc' },
        { column: 'created_at', order: 'desc' },
      ])
      .select<{ vaccine: string; other_name: string | null; date: string; dose: string; professional: string }[]>(
        'vaccine',
        'other_name',
        'date',
        'dose',
        'professional',
      ),

  latestResponse: (q: Q, personId: string, questionnaire: string, status?: 'draft' | 'final') => {
    const b = q<ResponseRow>('questionnaire_responses').where({ person_id: personId, questionnaire })
    if (status) b.where({ status })
    return b.orderBy('created_at', 'desc').first()
  },
  upsertDraft: (q: Q, personId: string, questionnaire: string, version: string, answers: Answers) =>
    q.raw<{ rows: { id: string }[] }>(
      `INSERT INTO questionnaire_responses (person_id, questionnaire, version, answers, status) VALUES (?, ?, ?, ?::jsonb, 'draft')
       ON CONFLICT (person_id, questionnaire) WHERE status = 'draft' DO UPDATE SET answers = EXCLUDED.answers, version = EXCLUDED.version, updated_at = now()
       RETURNING id`,
      [personId, questionnaire, version, JSON.stringify(answers)],
    ),
  finalise: (q: Q, id: string) =>
    q('questionnaire_responses')
      .where({ id, status: 'draft' })
      .update({ status: 'final', finalised_at: q.fn.now(), updated_at: q.fn.now() }),
  setResponseDocument: (q: Q, id: string, documentId: string) =>
    q('questionnaire_responses').where({ id }).update({ document_id: documentId }),
}
