import type { SeedStep } from './demo'

const DAY = 24 * 60 * 60 * 1000

/**
 * Back-office demo data: two persons imported but not yet informed (for «Campagne d'information»:
 * Henri by e-mail, Marthe by post), one person informed 50 days ago without answer (for «Création
 * automatique»), and the figures summary computed once.
 */
export const BACKOFFICE_PERSONS = {
  henri: {
    nir: '175067512345694',
    last_name: 'Lefebvre',
    first_names: 'Henri',
    sex: 'M',
    birth_date: '1975-06-14',
    birth_place: 'Paris',
    address_line1: '8 avenue Jean Jaurès',
    postcode: '75019',
    city: 'Paris',
    email: 'henri.lefebvre@courriel.example',
  },
  marthe: {
    nir: '248081305507760',
    last_name: 'Girard',
    first_names: 'Marthe',
    sex: 'F',
    birth_date: '1948-08-02',
    birth_place: 'Marseille',
    address_line1: '3 traverse des Pins',
    postcode: '13012',
    city: 'Marseille',
    email: null,
  },
  yves: {
    nir: '162053306301219',
    last_name: 'Bonnet',
    first_names: 'Yves',
    sex: 'M',
    birth_date: '1962-05-21',
    birth_place: 'Bordeaux',
    address_line1: '21 cours Victor Hugo',
    postcode: '33000',
    city: 'Bordeaux',
    email: 'yves.bonnet@courriel.example',
  },
} as const

export const backOfficeSeed: SeedStep = async (trx, ctx) => {
  for (const [key, p] of Object.entries(BACKOFFICE_PERSONS)) {
    const [row] = await trx('insured_persons').insert(p).returning<{ id: string }[]>('id')
    ctx.persons[key] = row.id
    if (key === 'yves') {
      const notice = new Date(ctx.now.getTime() - 50 * DAY)
      await trx('spaces').insert({
        person_id: row.id,
        state: 'notified',
        notified_at: notice,
        notice_channel: 'email',
        state_changed_at: notice,
      })
    } else {
      await trx('spaces').insert({ person_id: row.id, state: 'not_notified' })
    }
  }
  // The figures summary, as the job would compute it.
  await trx.raw('INSERT INTO figures_states (state, count) SELECT state, count(*) FROM spaces GROUP BY state')
  await trx.raw(
    `INSERT INTO figures_daily (day, activations) SELECT activated_at::date, count(*) FROM spaces WHERE activated_at IS NOT NULL GROUP BY 1`,
  )
  await trx('figures_refreshes').insert({ duration_ms: 0 })
}
