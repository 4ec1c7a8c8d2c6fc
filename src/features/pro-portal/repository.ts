import type { Knex } from 'knex'

export interface PatientRow {
  id: string
  first_names: string
  last_name: string
  birth_date: string
  sex: string
}

const PATIENT_COLUMNS = ['id', 'first_names', 'last_name', 'birth_date', 'sex']

/** All SQL of the professional portal: the patient looked for, emergency accesses, held results. */
export const proPortalRepository = {
  patientByNir: (db: Knex, nir: string): Promise<PatientRow | undefined> => db('insured_persons').where({ nir }).first(PATIENT_COLUMNS),

  patientById: (db: Knex, id: string): Promise<PatientRow | undefined> => db('insured_persons').where({ id }).first(PATIENT_COLUMNS),

  async insertEmergencyAccess(
    trx: Knex.Transaction,
    a: { personId: string; professionalId: string; kind: string; reason: string; startedAt: Date; expiresAt: Date },
  ): Promise<void> {
    await trx('emergency_accesses').insert({
      person_id: a.personId,
      professional_id: a.professionalId,
      kind: a.kind,
      reason: a.reason,
      started_at: a.startedAt,
      expires_at: a.expiresAt,
    })
  },

  /** Held results filed on or before `filedBefore` whose patient was not reminded yet; locked, skipping those another run holds. */
  heldDueForReminder: (
    trx: Knex.Transaction,
    filedBefore: Date,
  ): Promise<{ id: string; person_id: string; invisible_to_representatives: boolean }[]> =>
    trx('documents')
      .whereNotNull('held_until')
      .whereNull('held_released_at')
      .whereNull('held_reminder_sent_at')
      .where('created_at', '<=', filedBefore)
      .forUpdate()
      .skipLocked()
      .select('id', 'person_id', 'invisible_to_representatives'),

  async markHeldReminderSent(trx: Knex.Transaction, id: string, at: Date): Promise<void> {
    await trx('documents').where({ id }).update({ held_reminder_sent_at: at })
  },

  /** Held results whose hold is over at `now` and not released yet; locked, skipping those another run holds. */
  heldDueForRelease: (
    trx: Knex.Transaction,
    now: Date,
  ): Promise<{ id: string; person_id: string; held_until: Date; invisible_to_representatives: boolean }[]> =>
    trx('documents')
      .whereNotNull('held_until')
      .whereNull('held_released_at')
      .where('held_until', '<=', now)
      .forUpdate()
      .skipLocked()
      .select('id', 'person_id', 'held_until', 'invisible_to_representatives'),

  async markHeldReleased(trx: Knex.Transaction, id: string, at: Date): Promise<void> {
    await trx('documents').where({ id }).update({ held_released_at: at })
  },
}
