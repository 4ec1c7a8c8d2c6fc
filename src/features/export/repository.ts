import type { Knex } from 'knex'
import type { ExportState } from '../../domain/dataExport'
import type { SpaceData } from '../../domain/fhirBundle'
import type { DocumentRow } from '../documents/repository'
import type { VaccinationRow } from '../vaccinations/repository'

export interface ExportRow {
  id: string
  person_id: string
  requested_by_account_id: string
  requested_by_person_id: string
  requested_as: 'patient' | 'representative'
  state: ExportState
  created_at: Date
  started_at: Date | null
  ready_at: Date | null
  expires_at: Date | null
  downloaded_at: Date | null
  purged_at: Date | null
  wrapped_key: Buffer | null
  size_bytes: number | null
  chunk_count: number | null
  chunk_size: number | null
  document_count: number | null
}

const LIST_COLUMNS = [
  'id',
  'person_id',
  'requested_by_account_id',
  'requested_as',
  'state',
  'created_at',
  'ready_at',
  'expires_at',
  'downloaded_at',
  'size_bytes',
  'document_count',
]

// The rows the space's data is read from (columns as in the migrations; dates as 'YYYY-MM-DD' text).
type SpacePerson = { id: string; last_name: string; first_names: string; sex: string; birth_date: string }
type ContactRow = Pick<SpaceData['contacts'][number], 'id' | 'role' | 'name' | 'relationship' | 'phone' | 'email'>
type FactsRow = { blood_group: string | null; organ_donation: string | null; organ_donation_note: string | null }
type EntryRow = { id: string; section: string; label: string; detail: string | null; start_date: string | null; end_date: string | null }
type MeasureRow = {
  id: string
  type: string
  value: string | number
  value2: string | number | null
  measured_on: string
  source_name: string | null
}
type EventRow = SpaceData['events'][number]

/** A run that started this long ago and never finished (a crashed worker) may be claimed again. */
const STALE_RUN = '2 hours'

/** SQL of «Télécharger mes données»: the requests, their claim by the job, the space's data to export. */
export const exportRepository = {
  async insert(
    trx: Knex.Transaction,
    row: Pick<ExportRow, 'person_id' | 'requested_by_account_id' | 'requested_by_person_id' | 'requested_as'>,
  ): Promise<string> {
    const [r] = await trx('data_exports').insert(row).returning<{ id: string }[]>('id')
    return r.id
  },

  async find(db: Knex | Knex.Transaction, id: string, opts: { lock?: boolean } = {}): Promise<ExportRow | undefined> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined
    const q = db<ExportRow>('data_exports').where({ id }).first()
    if (opts.lock) q.forUpdate()
    return q
  },

  /** The requests one account made for one space, newest first. */
  async listFor(db: Knex | Knex.Transaction, personId: string, accountId: string, limit = 20): Promise<ExportRow[]> {
    return db('data_exports')
      .where({ person_id: personId, requested_by_account_id: accountId })
      .orderBy('created_at', 'desc')
      .limit(limit)
      .select<ExportRow[]>(LIST_COLUMNS)
  },

  /** Locks the person's row until the transaction ends: two requests at once are serialised. */
  async lockPerson(trx: Knex.Transaction, personId: string): Promise<void> {
    await trx('insured_persons').where({ id: personId }).forUpdate().first('id')
  },

  /** Deletes the ciphertext of an export (after its one download). */
  async deleteChunks(trx: Knex.Transaction, exportId: string): Promise<void> {
    await trx('data_export_chunks').where({ export_id: exportId }).del()
  },

  async pendingFor(trx: Knex.Transaction, personId: string, accountId: string): Promise<boolean> {
    const r = await trx('data_exports')
      .where({ person_id: personId, requested_by_account_id: accountId })
      .whereIn('state', ['requested', 'running'])
      .first<{ id: string } | undefined>('id')
    return Boolean(r)
  },

  /** Claims the oldest waiting request (or a stale run), so that two workers never build the same one. */
  async claim(db: Knex): Promise<ExportRow | undefined> {
    const r = await db.raw<{ rows: ExportRow[] }>(
      `UPDATE data_exports SET state = 'running', started_at = now()
        WHERE id = (SELECT id FROM data_exports
                     WHERE state = 'requested' OR (state = 'running' AND started_at < now() - interval '${STALE_RUN}')
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
    )
    return r.rows[0]
  },

  async markReady(
    trx: Knex.Transaction,
    id: string,
    p: { wrappedKey: Buffer; size: number; chunks: number; chunkSize: number; documents: number; readyAt: Date; expiresAt: Date },
  ): Promise<void> {
    await trx('data_exports').where({ id }).update({
      state: 'ready',
      wrapped_key: p.wrappedKey,
      size_bytes: p.size,
      chunk_count: p.chunks,
      chunk_size: p.chunkSize,
      document_count: p.documents,
      ready_at: p.readyAt,
      expires_at: p.expiresAt,
    })
  },

  async setState(db: Knex | Knex.Transaction, id: string, patch: Partial<ExportRow>): Promise<void> {
    await db('data_exports').where({ id }).update(patch)
  },

  /** Ready files past their 7 days become expired; the ciphertext of every file that can no longer be downloaded is deleted. */
  async purge(db: Knex, now: Date): Promise<{ expired: number; purged: number }> {
    return db.transaction(async (trx) => {
      const expired = await trx('data_exports').where({ state: 'ready' }).where('expires_at', '<=', now).update({ state: 'expired' })
      const ids = await trx<ExportRow>('data_exports')
        .whereIn('state', ['downloaded', 'expired', 'failed'])
        .whereNull('purged_at')
        .pluck('id')
      if (ids.length) {
        await trx('data_export_chunks').whereIn('export_id', ids).del()
        await trx('data_exports').whereIn('id', ids).update({ purged_at: now })
      }
      return { expired, purged: ids.length }
    })
  },

  async accountEmail(db: Knex | Knex.Transaction, accountId: string): Promise<string | null> {
    const a = await db('accounts').where({ id: accountId }).whereNull('disabled_at').first<{ email: string | null } | undefined>('email')
    return a?.email ?? null
  },

  async displayName(db: Knex | Knex.Transaction, personId: string): Promise<{ firstNames: string; lastName: string } | undefined> {
    const p = await db('insured_persons')
      .where({ id: personId })
      .first<{ first_names: string; last_name: string } | undefined>('first_names', 'last_name')
    return p ? { firstNames: p.first_names, lastName: p.last_name } : undefined
  },

  /** Every document of the space, oldest first (the service keeps those the policy lets the requester read). */
  async documents(db: Knex | Knex.Transaction, personId: string): Promise<DocumentRow[]> {
    return db('documents')
      .where({ person_id: personId })
      .where('chunk_count', '>', 0)
      .orderBy([{ column: 'document_date' }, { column: 'created_at' }])
      .select<DocumentRow[]>('*')
  },

  /** The space's data other than documents, in the shape of the Bundle and the summary. */
  async spaceData(db: Knex | Knex.Transaction, personId: string): Promise<Omit<SpaceData, 'documents'> | undefined> {
    const p = await db('insured_persons')
      .where({ id: personId })
      .first<SpacePerson | undefined>('id', 'last_name', 'first_names', 'sex', 'birth_date')
    if (!p) return undefined
    const contacts = await db('profile_contacts')
      .where({ person_id: personId })
      .orderBy('created_at')
      .select<ContactRow[]>('id', 'role', 'name', 'relationship', 'phone', 'email')
    const facts = await db('profile_facts')
      .where({ person_id: personId })
      .first<FactsRow | undefined>('blood_group', 'organ_donation', 'organ_donation_note')
    const entries = await db('profile_entries')
      .where({ person_id: personId })
      .orderBy([{ column: 'section' }, { column: 'start_date' }, { column: 'created_at' }])
      .select<EntryRow[]>('id', 'section', 'label', 'detail', 'start_date', 'end_date')
    const measures = await db('measures')
      .where({ person_id: personId })
      .orderBy([{ column: 'type' }, { column: 'measured_on' }])
      .select<MeasureRow[]>('*')
    const vaccinations = await db('vaccinations')
      .where({ person_id: personId })
      .orderBy('date')
      .select<VaccinationRow[]>('id', 'vaccine', 'other_name', 'date', 'dose', 'professional', 'lot')
    const events = await db('agenda_events')
      .where({ person_id: personId })
      .orderBy([{ column: 'date' }, { column: 'time' }])
      .select<EventRow[]>('id', 'title', 'date', 'time', 'place', 'professional', 'notes', 'status')
    return {
      person: { id: p.id, lastName: p.last_name, firstNames: p.first_names, sex: p.sex, birthDate: p.birth_date },
      contacts: contacts.map((c) => ({
        id: c.id,
        role: c.role,
        name: c.name,
        relationship: c.relationship,
        phone: c.phone,
        email: c.email,
      })),
      facts: facts
        ? { bloodGroup: facts.blood_group, organDonation: facts.organ_donation, organDonationNote: facts.organ_donation_note }
        : null,
      entries: entries.map((e) => ({
        id: e.id,
        section: e.section,
        label: e.label,
        detail: e.detail,
        startDate: e.start_date,
        endDate: e.end_date,
      })),
      measures: measures.map((m) => ({
        id: m.id,
        type: m.type,
        value: Number(m.value),
        value2: m.value2 === null ? null : Number(m.value2),
        measuredOn: m.measured_on,
        source: m.source_name ?? null,
      })),
      vaccinations: vaccinations.map((v) => ({
        id: v.id,
        vaccine: v.vaccine,
        otherName: v.other_name,
        date: v.date,
        dose: v.dose,
        professional: v.professional,
        lot: v.lot,
      })),
      events: events.map((e) => ({
        id: e.id,
        title: e.title,
        date: e.date,
        time: e.time,
        place: e.place,
        professional: e.professional,
        notes: e.notes,
        status: e.status,
      })),
    }
  },
}
