import type { SeedStep } from './demo'
import { isoDate } from '../domain/parisTime'

const DAY = 24 * 60 * 60 * 1000
const shift = (now: Date, days: number) => isoDate(new Date(now.getTime() + days * DAY))

/**
 * Agenda and vaccinations of the demo (SPEC §13): Camille has a past appointment with Dr Haddad
 * (honoured), an upcoming one with Dr Bernard (with a reminder the day before), a booked HPV
 * screening test (her cervical screening shows «Planifié»), a few vaccinations; her breast screening
 * is «Réalisé» by the mammography of her reimbursements, her colorectal screening is due. Léo has
 * his childhood vaccinations.
 */
export const agendaSeed: SeedStep = async (trx, ctx) => {
  const camille = ctx.persons.camille
  const leo = ctx.persons.leo
  const account = ctx.accounts.camille
  await trx('agenda_events').insert({
    person_id: camille,
    title: 'Consultation de cardiologie',
    date: shift(ctx.now, -45),
    time: '14:30',
    place: 'Hôpital Tenon, 4 rue de la Chine, Paris',
    professional: 'Dr Karim Haddad',
    notes: null,
    status: 'honore',
    created_by_account_id: account,
  })
  const [upcoming] = await trx('agenda_events')
    .insert({
      person_id: camille,
      title: 'Consultation chez le médecin traitant',
      date: shift(ctx.now, 12),
      time: '10:30',
      place: 'Cabinet médical des Lilas, Paris',
      professional: 'Dr Sophie Bernard',
      notes: 'Apporter la carte Vitale.',
      status: 'confirme',
      created_by_account_id: account,
    })
    .returning<{ id: string }[]>('id')
  await trx('agenda_reminders').insert({ event_id: upcoming.id, account_id: account, remind_on: shift(ctx.now, 11), kind: 'veille' })
  await trx('agenda_events').insert({
    person_id: camille,
    title: 'Test HPV de dépistage',
    date: shift(ctx.now, 30),
    time: '09:15',
    place: 'Maternité des Lilas, Les Lilas',
    professional: 'Emma Fontaine, sage-femme',
    notes: null,
    status: 'confirme',
    prevention_rule: 'depistage-col-hpv',
    created_by_account_id: account,
  })
  await trx('vaccinations').insert([
    {
      person_id: camille,
      vaccine: 'DTP',
      date: '2013-04-18',
      dose: 'R',
      professional: 'Dr Sophie Bernard',
      lot: 'RV4521',
      created_by_account_id: account,
    },
    {
      person_id: camille,
      vaccine: 'GRIPPE',
      date: '2025-10-21',
      dose: '1',
      professional: 'Pharmacie des Pyrénées',
      lot: null,
      created_by_account_id: account,
    },
    {
      person_id: camille,
      vaccine: 'COVID',
      date: '2024-10-29',
      dose: 'R',
      professional: 'Pharmacie des Pyrénées',
      lot: null,
      created_by_account_id: account,
    },
    {
      person_id: leo,
      vaccine: 'ROR',
      date: '2016-06-10',
      dose: '1',
      professional: 'Dr Sophie Bernard',
      lot: null,
      created_by_account_id: account,
    },
    {
      person_id: leo,
      vaccine: 'ROR',
      date: '2016-09-15',
      dose: '2',
      professional: 'Dr Sophie Bernard',
      lot: null,
      created_by_account_id: account,
    },
    {
      person_id: leo,
      vaccine: 'DTCAP',
      date: '2021-06-14',
      dose: 'R',
      professional: 'Dr Sophie Bernard',
      lot: null,
      created_by_account_id: account,
    },
  ])
}
