import type { Knex } from 'knex'
import type { DelegationStatus } from '../../domain/carers'

type Db = Knex | Knex.Transaction

export interface DelegationRow {
  id: string
  person_id: string
  /** Null for an invitation that reached nobody (it is kept all the same, and expires: SPEC §3). */
  carer_person_id: string | null
  status: DelegationStatus
  invited_at: Date
  invitation_expires_at: Date
  starts_on: string
  ends_on: string | null
  accepted_at: Date | null
  revoked_at: Date | null
  revoked_by: string | null
  can_see: boolean
  can_write: boolean
  can_message: boolean
  /** The other party's name (the carer for the person helped, the person helped for the carer); null without an invitee. */
  first_names: string | null
  last_name: string | null
}

const PARIS_TODAY = "(now() AT TIME ZONE 'Europe/Paris')::date"

/** Carers: SQL only. */
export const carersRepository = {
  /** The name of one of a delegation's two persons, for its attestation (both exist while the delegation does). */
  async personName(db: Db, personId: string | null): Promise<{ first_names: string | null; last_name: string | null }> {
    const p = personId
      ? await db('insured_persons')
          .where({ id: personId })
          .first<{ first_names: string | null; last_name: string | null } | undefined>('first_names', 'last_name')
      : undefined
    if (!p) throw new Error('personne de la délégation introuvable')
    return p
  },

  /** Serialises the invitations of one person until the transaction ends (the limit of 3 carers holds under concurrency). */
  async lockPersonInvitations(trx: Db, personId: string): Promise<void> {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 11))', [personId])
  },

  /** Serialises the delegations of one carer until the transaction ends (the limit of 5 persons helped holds). */
  async lockCarerDelegations(trx: Db, carerPersonId: string): Promise<void> {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 12))', [carerPersonId])
  },

  /** The carers of a person (with the carer's name, shown only once they accepted: `nameForHolder`), newest first. */
  async ofPerson(db: Db, personId: string): Promise<DelegationRow[]> {
    return db('carers as c')
      .leftJoin('insured_persons as p', 'p.id', 'c.carer_person_id')
      .where('c.person_id', personId)
      .orderBy('c.invited_at', 'desc')
      .select('c.*', 'p.first_names', 'p.last_name')
  },

  /** The people a carer helps or is invited to help (with the helped person's name). */
  async ofCarer(db: Db, carerPersonId: string): Promise<DelegationRow[]> {
    return db('carers as c')
      .join('insured_persons as p', 'p.id', 'c.person_id')
      .where('c.carer_person_id', carerPersonId)
      .orderBy('c.invited_at', 'desc')
      .select('c.*', 'p.first_names', 'p.last_name')
  },

  async find(db: Db, id: string, opts: { lock?: boolean } = {}): Promise<Omit<DelegationRow, 'first_names' | 'last_name'> | undefined> {
    const q = db<Omit<DelegationRow, 'first_names' | 'last_name'>>('carers').where({ id }).first()
    return opts.lock ? q.forUpdate() : q
  },

  async candidate(
    db: Db,
    nir: string,
    birthDate: string,
  ): Promise<{ id: string; first_names: string; last_name: string; activated: boolean; email: string | null } | undefined> {
    const { rows } = await db.raw<{
      rows: { id: string; first_names: string; last_name: string; activated: boolean; email: string | null }[]
    }>(
      `SELECT p.id, p.first_names, p.last_name, (s.state = 'activated' AND a.id IS NOT NULL) AS activated, a.email
         FROM insured_persons p JOIN spaces s ON s.person_id = p.id LEFT JOIN accounts a ON a.person_id = p.id AND a.kind = 'patient'
        WHERE p.nir = ? AND p.birth_date = ?`,
      [nir, birthDate],
    )
    return rows[0]
  },

  /**
   * Open delegations (invited and not expired, or active and not ended) of a person, or of a carer.
   * For the person helped, an invitation declined takes its place until it expires, as one that
   * reached nobody (`effectiveForHolder`: the person never learns which it was).
   */
  async openCount(db: Db, column: 'person_id' | 'carer_person_id', id: string): Promise<number> {
    const pending = column === 'person_id' ? "status IN ('invited', 'declined')" : "status = 'invited'"
    const { rows } = await db.raw<{ rows: { n: number }[] }>(
      `SELECT count(*)::int AS n FROM carers
        WHERE ${column} = ? AND ((${pending} AND invitation_expires_at > now())
           OR (status = 'active' AND (ends_on IS NULL OR ends_on >= ${PARIS_TODAY})))`,
      [id],
    )
    return rows[0].n
  },

  async linked(db: Db, personId: string, carerPersonId: string): Promise<boolean> {
    const { rows } = await db.raw<{ rows: unknown[] }>(
      `SELECT 1 FROM carers WHERE person_id = ? AND carer_person_id = ?
          AND ((status = 'invited' AND invitation_expires_at > now()) OR (status = 'active' AND (ends_on IS NULL OR ends_on >= ${PARIS_TODAY})))`,
      [personId, carerPersonId],
    )
    return rows.length > 0
  },

  async insert(
    trx: Knex.Transaction,
    row: {
      person_id: string
      carer_person_id: string | null
      invitation_expires_at: Date
      starts_on: string
      ends_on: string | null
      can_see: boolean
      can_write: boolean
      can_message: boolean
    },
  ): Promise<string> {
    if (row.carer_person_id) {
      // An expired invitation between the same two people no longer blocks a new one.
      await trx('carers')
        .where({ person_id: row.person_id, carer_person_id: row.carer_person_id, status: 'invited' })
        .where('invitation_expires_at', '<=', trx.fn.now())
        .update({ status: 'cancelled' })
      await trx('carers')
        .where({ person_id: row.person_id, carer_person_id: row.carer_person_id, status: 'active' })
        .whereRaw(`ends_on < ${PARIS_TODAY}`)
        .update({ status: 'revoked', revoked_at: trx.fn.now(), revoked_by: 'person' })
    }
    const [r] = await trx('carers')
      .insert({ ...row, status: 'invited' })
      .returning<{ id: string }[]>('id')
    return r.id
  },

  /** Every open delegation or invitation of a person, helped or helping (a closed space ends them all), locked. */
  async openOfEitherSide(trx: Knex.Transaction, personId: string): Promise<Omit<DelegationRow, 'first_names' | 'last_name'>[]> {
    return trx('carers')
      .where((w) => void w.where({ person_id: personId }).orWhere({ carer_person_id: personId }))
      .whereIn('status', ['invited', 'active'])
      .orderBy('id')
      .forUpdate()
      .select('*')
  },

  async setStatus(trx: Knex.Transaction, id: string, fields: Record<string, unknown>): Promise<void> {
    await trx('carers').where({ id }).update(fields)
  },

  async addAttestation(trx: Knex.Transaction, carerId: string, kind: 'acceptance' | 'revocation', pdf: Buffer): Promise<string> {
    const [r] = await trx('carer_attestations').insert({ carer_id: carerId, kind, pdf }).returning<{ id: string }[]>('id')
    return r.id
  },

  async attestations(db: Db, carerIds: string[]): Promise<{ id: string; carer_id: string; kind: string; created_at: Date }[]> {
    if (!carerIds.length) return []
    return db('carer_attestations').whereIn('carer_id', carerIds).orderBy('created_at').select('id', 'carer_id', 'kind', 'created_at')
  },

  async attestation(
    db: Db,
    id: string,
  ): Promise<{ id: string; kind: string; pdf: Buffer; person_id: string; carer_person_id: string } | undefined> {
    return db('carer_attestations as t')
      .join('carers as c', 'c.id', 't.carer_id')
      .where('t.id', id)
      .first('t.id', 't.kind', 't.pdf', 'c.person_id', 'c.carer_person_id')
  },
}
