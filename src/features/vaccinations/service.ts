import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { doseLabel, vaccineLabel } from '../../domain/vaccines'
import { NotFoundError } from '../../errors'
import type { ActivityLog } from '../history/activity'
import type { AccessFacts } from '../../access/facts'
import type { Action } from '../../domain/accessPolicy'

export interface VaccinationFields {
  vaccine: string
  other_name: string | null
  date: string
  dose: string
  professional: string
  lot: string | null
}

export interface VaccinationRow extends VaccinationFields {
  id: string
  person_id: string
}

const repo = {
  list: (db: Knex, personId: string): Promise<VaccinationRow[]> =>
    db('vaccinations')
      .where({ person_id: personId })
      .orderBy([
        { column: 'date', order: 'desc' },
        { column: 'created_at', order: 'desc' },
      ]),
  find: (db: Knex, personId: string, id: string): Promise<VaccinationRow | undefined> =>
    /^[0-9a-f-]{36}$/i.test(id) ? db('vaccinations').where({ id, person_id: personId }).first() : Promise.resolve(undefined),
}

const view = (v: VaccinationRow) => ({ ...v, label: vaccineLabel(v.vaccine, v.other_name), doseLabel: doseLabel(v.dose) })

/** «Vaccinations» of the medical profile (SPEC §7): add, edit, delete; each change in the activity log. */
export function createVaccinationService(deps: { db: Knex; access: AccessFacts; activity: ActivityLog }) {
  const { db, activity } = deps
  // Whose vaccination the actor looks at (their own, or a child's after «Changer de profil»), once the policy allowed it.
  const may = async (actor: Actor, action: Action, trx: Knex = db) =>
    (await deps.access.authorizeSubject(trx, actor, action, { type: 'vaccination' })).personId
  return {
    async list(actor: Actor) {
      return (await repo.list(db, await may(actor, 'list'))).map(view)
    },

    /** The birth date of the profile being looked at (a vaccination cannot be before it). */
    async birthDate(actor: Actor): Promise<string> {
      const p = await db('insured_persons')
        .where({ id: await may(actor, 'read') })
        .first('birth_date')
      if (!p) throw new NotFoundError()
      return p.birth_date
    },

    async get(actor: Actor, id: string) {
      const v = await repo.find(db, await may(actor, 'read'), id)
      if (!v) throw new NotFoundError()
      return view(v)
    },

    async add(actor: Actor, f: VaccinationFields): Promise<string> {
      return db.transaction(async (trx) => {
        const personId = await may(actor, 'create', trx)
        const [row] = await trx('vaccinations')
          .insert({ ...f, person_id: personId, created_by_account_id: actor.accountId })
          .returning('id')
        await activity.record(trx, actor, {
          action: 'vaccination.added',
          subjectPersonId: personId,
          objectType: 'vaccination',
          objectId: row.id,
        })
        return row.id as string
      })
    },

    async update(actor: Actor, id: string, f: VaccinationFields): Promise<void> {
      await db.transaction(async (trx) => {
        const personId = await may(actor, 'update', trx)
        const n = await trx('vaccinations')
          .where({ id: (await repo.find(trx, personId, id))?.id ?? null, person_id: personId })
          .update({ ...f, updated_at: trx.fn.now() })
        if (!n) throw new NotFoundError()
        await activity.record(trx, actor, {
          action: 'vaccination.updated',
          subjectPersonId: personId,
          objectType: 'vaccination',
          objectId: id,
        })
      })
    },

    async remove(actor: Actor, id: string): Promise<void> {
      await db.transaction(async (trx) => {
        const personId = await may(actor, 'delete', trx)
        const v = await repo.find(trx, personId, id)
        if (!v) throw new NotFoundError()
        await trx('vaccinations').where({ id: v.id }).del()
        await activity.record(trx, actor, {
          action: 'vaccination.deleted',
          subjectPersonId: personId,
          objectType: 'vaccination',
          objectId: id,
        })
      })
    },
  }
}

export type VaccinationService = ReturnType<typeof createVaccinationService>
