import type { Knex } from 'knex'
import { activeRepresentationSql } from '../../access/relations'

type Db = Knex | Knex.Transaction

/** A representative's name, for the history and the messages. */
export interface PersonName {
  first_names: string
  last_name: string
}

/** A child a person represents, as «Mes enfants» lists them. */
export interface ManagedChild {
  personId: string
  firstNames: string
  lastName: string
  birthDate: string
  /** F or M, as the registry records it («Née le» / «Né le»). */
  sex: string
  since: Date
  representatives: number
  pendingInvitations: number
}

/** Children and their legal representatives (SPEC §3): SQL only. */
export const childrenRepository = {
  /** The children a person represents now (the access policy's condition), with their counts of representatives and pending invitations. */
  async managedBy(db: Db, personId: string): Promise<ManagedChild[]> {
    const { rows } = await db.raw<{ rows: ManagedChild[] }>(
      `SELECT p.id AS "personId", p.first_names AS "firstNames", p.last_name AS "lastName", p.birth_date AS "birthDate", p.sex, r.since,
              (SELECT count(*) FROM representatives r2 WHERE r2.child_person_id = p.id AND r2.ended_at IS NULL)::int AS representatives,
              (SELECT count(*) FROM representative_invitations i WHERE i.child_person_id = p.id AND i.accepted_at IS NULL AND i.declined_at IS NULL
                  AND i.cancelled_at IS NULL AND i.expires_at > now())::int AS "pendingInvitations"
         FROM representatives r JOIN insured_persons p ON p.id = r.child_person_id JOIN spaces s ON s.person_id = p.id
        WHERE r.representative_person_id = ? AND ${activeRepresentationSql({ r: 'r', child: 'p', space: 's', at: 'now()' })}
        ORDER BY p.birth_date`,
      [personId],
    )
    return rows
  },

  /** The representatives of a child whose representation has not ended. */
  activeRepresentatives(db: Db, childId: string): Promise<{ representative_person_id: string }[]> {
    return db('representatives').where({ child_person_id: childId }).whereNull('ended_at').select('representative_person_id')
  },

  async addRepresentative(trx: Knex.Transaction, childId: string, representativeId: string | undefined): Promise<void> {
    await trx('representatives').insert({ child_person_id: childId, representative_person_id: representativeId })
  },

  /** Whether this person already represents the child (representation not ended). */
  isActiveRepresentative(db: Db, childId: string, representativeId: string): Promise<{ id: string } | undefined> {
    return db('representatives')
      .where({ child_person_id: childId, representative_person_id: representativeId })
      .whereNull('ended_at')
      .first('id')
  },

  personName(db: Db, personId: string): Promise<PersonName | undefined> {
    return db('insured_persons').where({ id: personId }).first('first_names', 'last_name')
  },

  person(db: Db, personId: string): Promise<{ id: string; first_names: string; last_name: string; birth_date: string } | undefined> {
    return db('insured_persons')
      .where({ id: personId })
      .first<{ id: string; first_names: string; last_name: string; birth_date: string } | undefined>(
        'id',
        'first_names',
        'last_name',
        'birth_date',
      )
  },

  personNameAndBirthDate(db: Db, personId: string): Promise<(PersonName & { birth_date: string }) | undefined> {
    return db('insured_persons').where({ id: personId }).first('first_names', 'last_name', 'birth_date')
  },

  /** Serialises the invitations of one child until the end of the transaction. */
  async lockInvitations(trx: Knex.Transaction, childId: string): Promise<void> {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 11))', [childId])
  },

  /** The invitations of a child still waiting for an answer. */
  pendingInvitees(db: Db, childId: string): Promise<{ invitee_person_id: string }[]> {
    return db('representative_invitations')
      .where({ child_person_id: childId })
      .whereNull('accepted_at')
      .whereNull('declined_at')
      .whereNull('cancelled_at')
      .where('expires_at', '>', db.fn.now())
      .select('invitee_person_id')
  },

  async insertInvitation(
    trx: Knex.Transaction,
    invitation: { childId: string; invitedById: string | undefined; inviteeId: string; expiresAt: Date },
  ): Promise<void> {
    await trx('representative_invitations').insert({
      child_person_id: invitation.childId,
      invited_by_person_id: invitation.invitedById,
      invitee_person_id: invitation.inviteeId,
      expires_at: invitation.expiresAt,
    })
  },

  /** Invitations waiting for this person's answer. */
  invitationsFor(
    db: Db,
    inviteeId: string,
  ): Promise<{ id: string; childName: string; childBirthDate: string; childSex: string; invitedBy: string; expiresAt: Date }[]> {
    return db('representative_invitations as i')
      .join('insured_persons as c', 'c.id', 'i.child_person_id')
      .join('insured_persons as b', 'b.id', 'i.invited_by_person_id')
      .where({ 'i.invitee_person_id': inviteeId })
      .whereNull('i.accepted_at')
      .whereNull('i.declined_at')
      .whereNull('i.cancelled_at')
      .where('i.expires_at', '>', db.fn.now())
      .select(
        'i.id',
        db.raw('c.first_names || \' \' || c.last_name AS "childName"'),
        'c.birth_date as childBirthDate',
        'c.sex as childSex',
        db.raw('b.first_names || \' \' || b.last_name AS "invitedBy"'),
        'i.expires_at as expiresAt',
      )
  },

  /** An invitation of this invitee still waiting for an answer, locked until the end of the transaction. */
  openInvitationForUpdate(
    trx: Knex.Transaction,
    invitationId: string,
    inviteeId: string,
  ): Promise<{ id: string; child_person_id: string } | undefined> {
    return trx('representative_invitations')
      .where({ id: invitationId, invitee_person_id: inviteeId })
      .whereNull('accepted_at')
      .whereNull('declined_at')
      .whereNull('cancelled_at')
      .where('expires_at', '>', trx.fn.now())
      .forUpdate()
      .first()
  },

  async answerInvitation(trx: Knex.Transaction, invitationId: string, accept: boolean): Promise<void> {
    await trx('representative_invitations')
      .where({ id: invitationId })
      .update(accept ? { accepted_at: trx.fn.now() } : { declined_at: trx.fn.now() })
  },

  /** The persons born on or before `cutoff` who still have an active representative. */
  async adultsStillRepresented(db: Db, cutoff: string): Promise<{ id: string }[]> {
    return db('representatives as r')
      .join('insured_persons as p', 'p.id', 'r.child_person_id')
      .whereNull('r.ended_at')
      .where('p.birth_date', '<=', cutoff)
      .distinct('p.id')
  },

  /** Ends every active representation of the person at majority; the representatives whose access ended. */
  endRepresentationsAtMajority(trx: Knex.Transaction, childId: string): Promise<{ representative_person_id: string }[]> {
    return trx('representatives')
      .where({ child_person_id: childId })
      .whereNull('ended_at')
      .update({ ended_at: trx.fn.now(), ended_reason: 'majority' })
      .returning('representative_person_id')
  },

  async cancelOpenInvitations(trx: Knex.Transaction, childId: string): Promise<void> {
    await trx('representative_invitations')
      .where({ child_person_id: childId })
      .whereNull('accepted_at')
      .whereNull('declined_at')
      .whereNull('cancelled_at')
      .update({ cancelled_at: trx.fn.now() })
  },

  /** The e-mail of the person's patient account, if any. */
  patientAccountEmail(db: Db, personId: string): Promise<{ email: string | null } | undefined> {
    return db('accounts').where({ person_id: personId, kind: 'patient' }).first('email')
  },
}
