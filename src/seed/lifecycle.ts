import { CODE_VALIDITY_DAYS, hashCode } from '../domain/provisionalCode'
import type { SeedStep } from './demo'

const DAY = 24 * 60 * 60 * 1000

/** Inès Martin, Léo's younger sister: notified by post, for Camille to attach with «Ajouter un enfant». */
export const DEMO_CHILD = {
  nir: '219097505611249',
  last_name: 'Martin',
  first_names: 'Inès',
  sex: 'F',
  birth_date: '2019-09-10',
  birth_place: 'Paris',
  address_line1: '12 rue des Lilas',
  postcode: '75020',
  city: 'Paris',
  email: null,
  mobile: null,
  medecin_traitant_rpps: '10100012342',
} as const

export const DEMO_CHILD_CODE = 'R7XN4KPB9MQE'

export const lifecycleSeed: SeedStep = async (trx, ctx) => {
  const [row] = await trx('insured_persons').insert(DEMO_CHILD).returning<{ id: string }[]>('id')
  ctx.persons.ines = row.id
  const notice = new Date(ctx.now.getTime() - 5 * DAY)
  await trx('spaces').insert({
    person_id: row.id,
    state: 'notified',
    notified_at: notice,
    notice_channel: 'post',
    state_changed_at: notice,
  })
  await trx('provisional_codes').insert({
    person_id: row.id,
    code_hash: hashCode(ctx.codeHashKey, DEMO_CHILD_CODE),
    channel: 'post',
    created_at: notice,
    expires_at: new Date(notice.getTime() + CODE_VALIDITY_DAYS * DAY),
  })
}
