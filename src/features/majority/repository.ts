import type { Knex } from 'knex'

type Db = Knex | Knex.Transaction

/** The 18th birthday: SQL only. */
export const majorityRepository = {
  /**
   * Minors born in (after, until] who still have an active legal representative and were not told yet,
   * with the e-mail on file and the one of their own account if they have one.
   */
  async dueNotices(
    db: Db,
    after: string,
    until: string,
  ): Promise<{ id: string; first_names: string; birth_date: string; email: string | null; account_email: string | null }[]> {
    const { rows } = await db.raw<{
      rows: { id: string; first_names: string; birth_date: string; email: string | null; account_email: string | null }[]
    }>(
      `SELECT p.id, p.first_names, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, p.email, a.email AS account_email
         FROM insured_persons p
         LEFT JOIN accounts a ON a.person_id = p.id AND a.kind = 'patient' AND a.disabled_at IS NULL
        WHERE p.birth_date > ? AND p.birth_date <= ?
          AND EXISTS (SELECT 1 FROM representatives r WHERE r.child_person_id = p.id AND r.ended_at IS NULL)
          AND NOT EXISTS (SELECT 1 FROM majority_notices n WHERE n.person_id = p.id)
        ORDER BY p.birth_date, p.id`,
      [after, until],
    )
    return rows
  },

  /** Records the notice; false when it was already recorded (another run got there first). */
  async claimNotice(trx: Knex.Transaction, personId: string, majorityOn: string): Promise<boolean> {
    const rows = await trx('majority_notices')
      .insert({ person_id: personId, majority_on: majorityOn })
      .onConflict('person_id')
      .ignore()
      .returning('person_id')
    return rows.length > 0
  },

  async setRecipients(trx: Knex.Transaction, personId: string, recipients: number): Promise<void> {
    await trx('majority_notices').where({ person_id: personId }).update({ recipients })
  },

  /** The active legal representatives of a child, with the e-mail of their account. */
  async activeRepresentatives(db: Db, childId: string): Promise<{ person_id: string; email: string | null }[]> {
    return db('representatives as r')
      .leftJoin('accounts as a', function () {
        this.on('a.person_id', '=', 'r.representative_person_id').andOnVal('a.kind', '=', 'patient').andOnNull('a.disabled_at')
      })
      .where('r.child_person_id', childId)
      .whereNull('r.ended_at')
      .select('r.representative_person_id as person_id', 'a.email')
  },

  /** Every representation of a person (current and ended), with the representative's name. */
  async representatives(
    db: Db,
    childId: string,
  ): Promise<{ name: string; since: Date; ended_at: Date | null; ended_reason: string | null }[]> {
    return db('representatives as r')
      .join('insured_persons as p', 'p.id', 'r.representative_person_id')
      .where('r.child_person_id', childId)
      .orderBy('r.since')
      .select(db.raw("p.first_names || ' ' || p.last_name AS name"), 'r.since', 'r.ended_at', 'r.ended_reason')
  },

  /** The child, if `representativeId` represents them now or did until their majority. */
  async representedChild(
    db: Db,
    representativeId: string,
    childId: string,
  ): Promise<{ first_names: string; birth_date: string } | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(childId)) return undefined
    return db('representatives as r')
      .join('insured_persons as p', 'p.id', 'r.child_person_id')
      .where({ 'r.child_person_id': childId, 'r.representative_person_id': representativeId })
      .where((q) => void q.whereNull('r.ended_at').orWhere('r.ended_reason', 'majority'))
      .first('p.first_names', db.raw("to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date"))
  },

  async person(db: Db, personId: string): Promise<{ first_names: string; birth_date: string } | undefined> {
    return db('insured_persons').where({ id: personId }).first('first_names', db.raw("to_char(birth_date, 'YYYY-MM-DD') AS birth_date"))
  },

  async grewUp(db: Db, personId: string): Promise<boolean> {
    const r = await db('representatives')
      .where({ child_person_id: personId, ended_reason: 'majority' })
      .first<{ id: string } | undefined>('id')
    return Boolean(r)
  },
}
