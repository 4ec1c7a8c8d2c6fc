import type { SeedStep } from './demo'

const DAY = 24 * 60 * 60 * 1000
const iso = (d: Date) => d.toISOString().slice(0, 10)

/**
 * Camille's medical profile (SPEC §13): conditions, a treatment, an allergy, her blood group,
 * weights and blood pressures over a year (so the charts show), a height, a personne de confiance
 * and an emergency contact. Léo has a few measures too.
 */
export const profileSeed: SeedStep = async (trx, ctx) => {
  const camille = ctx.persons.camille
  const leo = ctx.persons.leo
  const ago = (days: number) => iso(new Date(ctx.now.getTime() - days * DAY))
  await trx('profile_entries').insert([
    {
      person_id: camille,
      section: 'conditions',
      label: 'Hypertension artérielle',
      detail: 'Suivie par le Dr Haddad',
      start_date: '2019-05-01',
    },
    { person_id: camille, section: 'conditions', label: 'Hypothyroïdie', detail: null, start_date: '2015-09-15' },
    { person_id: camille, section: 'treatments', label: 'Ramipril 5 mg', detail: '1 comprimé le matin', start_date: '2019-05-10' },
    {
      person_id: camille,
      section: 'treatments',
      label: 'Levothyrox 75 µg',
      detail: '1 comprimé le matin à jeun',
      start_date: '2015-09-20',
    },
    { person_id: camille, section: 'allergies', label: 'Pénicilline', detail: 'Plaques rouges sur tout le corps', start_date: null },
    { person_id: camille, section: 'family_history', label: 'Cancer du sein', detail: 'Mère, à 62 ans', start_date: null },
    {
      person_id: camille,
      section: 'hospitalisations',
      label: "Opération de l'appendicite",
      detail: 'Hôpital Tenon, Paris',
      start_date: '1994-07-02',
      end_date: '1994-07-06',
    },
  ])
  await trx('profile_facts').insert({
    person_id: camille,
    blood_group: 'A+',
    organ_donation: 'accept',
    organ_donation_at: new Date(ctx.now.getTime() - 200 * DAY),
  })
  await trx('profile_contacts').insert([
    {
      person_id: camille,
      role: 'trusted',
      name: 'Thomas Martin',
      relationship: 'Conjoint',
      phone: '0611223344',
      email: 'thomas.martin@courriel.example',
    },
    { person_id: camille, role: 'emergency', name: 'Julie Martin', relationship: 'Sœur', phone: '0655667788', email: null },
  ])
  const weights = [
    [360, 66.2],
    [270, 65.4],
    [180, 64.8],
    [90, 63.9],
    [20, 63.1],
  ] as const
  const pressures = [
    [350, 142, 91],
    [250, 136, 88],
    [150, 131, 84],
    [60, 127, 82],
    [15, 124, 79],
  ] as const
  await trx('measures').insert([
    { person_id: camille, type: 'taille', value: 165, measured_on: ago(360) },
    ...weights.map(([d, v]) => ({ person_id: camille, type: 'poids', value: v, measured_on: ago(d) })),
    ...pressures.map(([d, s, di]) => ({ person_id: camille, type: 'tension', value: s, value2: di, measured_on: ago(d) })),
    { person_id: leo, type: 'taille', value: 142, measured_on: ago(120) },
    { person_id: leo, type: 'poids', value: 34.5, measured_on: ago(120) },
  ])
}
