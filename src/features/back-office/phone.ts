import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { canOppose, oppositionDeadline } from '../../domain/lifecycle'
import { maskNir } from '../../domain/nir'
import { maskEmail } from '../../domain/otp'
import { sameSurname } from '../../domain/surname'
import type { ActivityLog } from '../history/activity'
import type { OppositionService } from '../opposition/service'
import { spacesRepository } from '../spaces/repository'

/**
 * The person found on the phone, kept in the session until the opposition is recorded: its dates are
 * ISO 8601 strings, as they come back from the session (JSON), not Date objects.
 */
export interface PersonOnPhone {
  personId: string
  name: string
  maskedNir: string
  birthDate: string
  state: string
  notifiedAt: string | null
  deadline: string | null
  canOppose: boolean
  refusal?: string
  /** How the receipt will reach the person: their e-mail (masked) or the postal address on file. */
  notice: { channel: 'email'; to: string } | { channel: 'post'; city: string | null }
  opposedAt: string | null
  reference: string | null
}

export const OPERATOR_NOTE = "Action réalisée par un conseiller de l'Assurance Maladie"

/**
 * «Opposition reçue par téléphone» (3422, SPEC §12): the operator finds the person by NIR + date of
 * birth + surname, checks identity with questions, and records the opposition before the deadline.
 * The operator sees only the lifecycle facts — never health data, never contact details in full.
 */
export function createPhoneOpposition(deps: { db: Knex; activity: ActivityLog; opposition: OppositionService }) {
  const { db, activity, opposition } = deps
  return {
    async find(
      actor: Actor,
      q: { nir: string; birthDate: string; lastName: string },
      now = new Date(),
    ): Promise<PersonOnPhone | undefined> {
      const h = await spacesRepository.findByNirAndBirthDate(db, q.nir, q.birthDate)
      if (!h || !sameSurname(q.lastName, h.last_name)) return undefined
      await db.transaction((trx) =>
        activity.record(trx, actor, {
          action: 'person.looked_up',
          subjectPersonId: h.id,
          objectType: 'space',
          objectId: h.id,
          details: { via: 'phone', note: OPERATOR_NOTE },
        }),
      )
      const d = canOppose(h, now)
      return {
        personId: h.id,
        name: `${h.first_names} ${h.last_name}`,
        maskedNir: maskNir(h.nir),
        birthDate: h.birth_date,
        state: h.state,
        notifiedAt: h.notified_at?.toISOString() ?? null,
        deadline: h.notified_at ? oppositionDeadline(h.notified_at).toISOString() : null,
        canOppose: d.ok,
        refusal: d.ok ? undefined : d.reason,
        notice: h.email ? { channel: 'email', to: maskEmail(h.email) } : { channel: 'post', city: h.city },
        opposedAt: h.opposed_at?.toISOString() ?? null,
        reference: h.opposition_reference,
      }
    },

    oppose(actor: Actor, personId: string) {
      return db.transaction((trx) => opposition.opposeFor(trx, actor, personId, { via: 'phone', note: OPERATOR_NOTE }))
    },
  }
}
