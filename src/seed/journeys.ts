import { DEFAULT_CARER_RIGHTS } from '../domain/carers'
import { nirKey } from '../domain/nir'
import { newReference } from '../domain/lifecycle'
import { hashPassword } from '../infrastructure/passwords'
import { attestationPdf } from '../features/carers/attestation'
import { carersRepository } from '../features/carers/repository'
import { createActivityLog } from '../features/history/activity'
import { isoDate } from '../domain/parisTime'
import type { SeedStep } from './demo'

const DAY = 24 * 60 * 60 * 1000

/**
 * Demo data that lets every journey be tried (issue 19 §5, §4):
 * - Hélène Faure, 47 (a «Mon bilan prévention» age band), activated with her own sign-in, and
 *   Camille's carer («aidante»): the delegation is active, seeded through the carers repository;
 * - Dr Hugo Lemaire, regulating doctor of the SAMU: emergency access by the SAMU (`ETREAT`);
 * - Chloé Martin, Camille's elder child, 17 years and 10 months old on the day the data are built:
 *   her 18th birthday is two months away (the notices of «Ce qui change à 18 ans»).
 */
export const DEMO_JOURNEYS = {
  helene: {
    nir: '279097505614781',
    last_name: 'Faure',
    first_names: 'Hélène',
    sex: 'F',
    birth_date: '1979-09-18',
    birth_place: 'Paris',
    address_line1: '5 rue Orfila',
    postcode: '75020',
    city: 'Paris',
    email: 'helene.faure@courriel.example',
    mobile: null,
    medecin_traitant_rpps: '10100012342',
    login: 'helene.faure',
    password: 'Lavande-Douce-Riviere-47',
  },
  samu: {
    rpps: '10100090017',
    title: 'Dr',
    first_name: 'Hugo',
    last_name: 'Lemaire',
    profession: 'MEDECIN',
    specialty: "Médecine d'urgence (régulation du SAMU)",
    establishment: 'SAMU de Paris, hôpital Necker',
    city: 'Paris',
    password: 'Regulation-Appel-Quinze-15',
    email: 'hugo.lemaire@courriel.example',
  },
  chloe: {
    last_name: 'Martin',
    first_names: 'Chloé',
    sex: 'F',
    birth_place: 'Paris',
    address_line1: '12 rue des Lilas',
    postcode: '75020',
    city: 'Paris',
    email: 'chloe.martin@courriel.example',
    mobile: null,
    medecin_traitant_rpps: '10100012342',
    /** Order number of her NIR (the rest comes from her birth date, Paris 20e). */
    order: '213',
  },
} as const

/** Chloé's birth date: 17 years and 10 months before `now` (the day the demo data are built). */
export function chloeBirthDate(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear() - 18, now.getUTCMonth() + 2, 1))
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()
  d.setUTCDate(Math.min(now.getUTCDate(), last))
  return d.toISOString().slice(0, 10)
}

/** A valid NIR for a person born in Paris 20e (75 056) on `birthDate`. */
export function parisNir(sex: 'F' | 'M', birthDate: string, order: string): string {
  const first = `${sex === 'M' ? 1 : 2}${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}75056${order}`
  return first + String(nirKey(first)).padStart(2, '0')
}

export const journeysSeed: SeedStep = async (trx, ctx) => {
  const now = ctx.now
  const ago = (days: number) => new Date(now.getTime() - days * DAY)
  const { helene, samu, chloe } = DEMO_JOURNEYS

  // Hélène Faure: activated, her own sign-in.
  const { login, password, ...heleneRow } = helene
  const [h] = await trx('insured_persons').insert(heleneRow).returning<{ id: string }[]>('id')
  ctx.persons.helene = h.id
  await trx('spaces').insert({
    person_id: h.id,
    state: 'activated',
    notified_at: ago(700),
    notice_channel: 'email',
    activated_at: ago(690),
    state_changed_at: ago(690),
  })
  const [heleneHash, samuHash] = await Promise.all([hashPassword(password), hashPassword(samu.password)])
  const [ha] = await trx('accounts')
    .insert({
      kind: 'patient',
      login,
      password_hash: heleneHash,
      person_id: h.id,
      display_name: `${helene.first_names} ${helene.last_name}`,
      email: helene.email,
      email_verified_at: ago(690),
      created_at: ago(690),
      password_changed_at: ago(690),
    })
    .returning<{ id: string }[]>('id')
  ctx.accounts.helene = ha.id

  // Camille invited Hélène as her carer 30 days ago; Hélène accepted the next day (same steps as the service).
  const invitedAt = ago(30)
  const id = await carersRepository.insert(trx, {
    person_id: ctx.persons.camille,
    carer_person_id: h.id,
    invitation_expires_at: new Date(invitedAt.getTime() + 14 * DAY),
    starts_on: isoDate(invitedAt),
    ends_on: null,
    // SPEC §3's default: see; add and edit documents and data; messages.
    can_see: DEFAULT_CARER_RIGHTS.read,
    can_write: DEFAULT_CARER_RIGHTS.write,
    can_message: DEFAULT_CARER_RIGHTS.messages,
  })
  const acceptedAt = ago(29)
  await trx('carers').where({ id }).update({ invited_at: invitedAt })
  await carersRepository.setStatus(trx, id, { status: 'active', accepted_at: acceptedAt })
  const pdf = await attestationPdf({
    kind: 'acceptance',
    personName: 'Camille Martin',
    carerName: `${helene.first_names} ${helene.last_name}`,
    startsOn: isoDate(invitedAt),
    endsOn: null,
    at: acceptedAt,
    reference: newReference('AID'),
  })
  await carersRepository.addAttestation(trx, id, 'acceptance', pdf)
  const activity = createActivityLog(trx)
  await activity.record(
    trx,
    { accountId: ctx.accounts.camille, kind: 'patient', displayName: 'Camille Martin', personId: ctx.persons.camille },
    { action: 'carer.invited', subjectPersonId: ctx.persons.camille, objectType: 'carer', objectId: id },
  )
  await activity.record(
    trx,
    { accountId: ha.id, kind: 'patient', displayName: `${helene.first_names} ${helene.last_name}`, personId: h.id },
    { action: 'carer.accepted', subjectPersonId: ctx.persons.camille, objectType: 'carer', objectId: id },
  )

  // Dr Hugo Lemaire, SAMU regulating doctor.
  const { password: _p, email: samuEmail, ...directory } = samu
  const [pro] = await trx('professionals')
    .insert({ ...directory, samu_regulator: true })
    .returning<{ id: string }[]>('id')
  ctx.professionals.samu = pro.id
  const [sa] = await trx('accounts')
    .insert({
      kind: 'professional',
      login: samu.rpps,
      password_hash: samuHash,
      professional_id: pro.id,
      display_name: `${samu.title} ${samu.first_name} ${samu.last_name}`,
      organisation: samu.establishment,
      email: samuEmail,
      email_verified_at: ago(880),
      created_at: ago(880),
      password_changed_at: ago(880),
    })
    .returning<{ id: string }[]>('id')
  ctx.accounts.samu = sa.id

  // Chloé Martin, 17 years and 10 months: Camille is her legal representative.
  const birth = chloeBirthDate(now)
  const { order, ...chloeRow } = chloe
  const [c] = await trx('insured_persons')
    .insert({ ...chloeRow, birth_date: birth, nir: parisNir('F', birth, order) })
    .returning<{ id: string }[]>('id')
  ctx.persons.chloe = c.id
  await trx('spaces').insert({
    person_id: c.id,
    state: 'activated',
    notified_at: ago(900),
    notice_channel: 'post',
    activated_at: ago(880),
    state_changed_at: ago(880),
  })
  await trx('patient_settings').insert({ person_id: c.id })
  await trx('representatives').insert({ child_person_id: c.id, representative_person_id: ctx.persons.camille, since: ago(880) })
}
