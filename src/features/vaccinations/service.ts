import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { doseLabel, vaccineLabel } from '../../domain/vaccines'
import { NotFoundError } from '../../errors'
import type { ActivityLog } from '../history/activity'
import type { AccessFacts } from '../../access/facts'
import type { Action } from '../../domain/accessPolicy'
import { vaccinationsRepository as repo, type VaccinationFields, type VaccinationRow } from './repository'

const view = (v: VaccinationRow) => ({ ...v, label: vaccineLabel(v.vaccine, v.other_name), doseLabel: doseLabel(v.dose) })

/** «Vaccinations» of the medical profile (SPEC §7): add, edit, delete; each change in the activity log. */
export function createVaccinationService(deps: { db: Knex; access: AccessFacts; activity: ActivityLog }) {
  const { db, activity } = deps
  // Whose vaccination the actor looks at (their own, or a child's after «Changer de profil»), once the policy allowed it.
  const may = async (actor: Actor, action: Action, trx: Knex = db) =>
    (await deps.access.authorizeSubject(trx, actor, action, { type: 'vaccination' })).personId
  return {
    async list(actor: Actor) {
      return (await repo.listForPerson(db, await may(actor, 'list'))).map(view)
    },

    /** The birth date of the profile being looked at (a vaccination cannot be before it). */
    async birthDate(actor: Actor): Promise<string> {
      const birthDate = await repo.birthDateOf(db, await may(actor, 'read'))
      if (!birthDate) throw new NotFoundError()
      return birthDate
    },

    async get(actor: Actor, id: string) {
      const v = await repo.findForPerson(db, await may(actor, 'read'), id)
      if (!v) throw new NotFoundError()
      return view(v)
    },

    async add(actor: Actor, f: VaccinationFields): Promise<string> {
      return db.transaction(async (trx) => {
        const personId = await may(actor, 'create', trx)
        const id = await repo.insert(trx, personId, actor.accountId, f)
        await activity.record(trx, actor, {
          action: 'vaccination.added',
          subjectPersonId: personId,
          objectType: 'vaccination',
          objectId: id,
        })
        return id
      })
    },

    async update(actor: Actor, id: string, f: VaccinationFields): Promise<void> {
      await db.transaction(async (trx) => {
        const personId = await may(actor, 'update', trx)
        if (!(await repo.updateForPerson(trx, personId, id, f))) throw new NotFoundError()
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
        const v = await repo.findForPerson(trx, personId, id)
        if (!v) throw new NotFoundError()
        await repo.delete(trx, v.id)
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
