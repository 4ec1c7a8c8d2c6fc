import type { SeedStep } from './demo'

const DAY = 24 * 60 * 60 * 1000

/**
 * Camille's reimbursed care over the last two years («Mon histoire de santé»). The screening
 * mammography (CCAM QEQK004) marks her breast screening «Réalisé» in «Examens et vaccins recommandés».
 */
export const DEMO_REIMBURSEMENTS: {
  days: number
  act: string
  act_code?: string
  care_type: string
  professional: string
  paid: number
  reimbursed: number
}[] = [
  {
    days: 12,
    act: 'Consultation de médecine générale',
    care_type: 'consultation',
    professional: 'Dr Sophie Bernard',
    paid: 3000,
    reimbursed: 2000,
  },
  { days: 12, act: 'Médicaments prescrits', care_type: 'pharmacie', professional: 'Pharmacie des Pyrénées', paid: 2345, reimbursed: 1524 },
  {
    days: 40,
    act: 'Consultation de cardiologie',
    care_type: 'consultation',
    professional: 'Dr Karim Haddad',
    paid: 6000,
    reimbursed: 3150,
  },
  { days: 41, act: 'Électrocardiogramme', care_type: 'autre', professional: 'Dr Karim Haddad', paid: 1452, reimbursed: 1016 },
  { days: 75, act: 'Bilan sanguin', care_type: 'biologie', professional: 'Laboratoire Gambetta', paid: 4580, reimbursed: 2748 },
  {
    days: 200,
    act: 'Mammographie de dépistage',
    act_code: 'QEQK004',
    care_type: 'imagerie',
    professional: "Centre d'imagerie Gambetta",
    paid: 6600,
    reimbursed: 6600,
  },
  {
    days: 380,
    act: 'Consultation de médecine générale',
    care_type: 'consultation',
    professional: 'Dr Sophie Bernard',
    paid: 2650,
    reimbursed: 1755,
  },
  { days: 420, act: 'Détartrage', care_type: 'dentaire', professional: 'Dr Claire Lambert', paid: 2892, reimbursed: 2024 },
  { days: 500, act: 'Lunettes (verres et monture)', care_type: 'optique', professional: 'Optique des Lilas', paid: 35000, reimbursed: 900 },
  {
    days: 530,
    act: 'Séances de kinésithérapie (10)',
    care_type: 'auxiliaire',
    professional: 'Cabinet de kinésithérapie Pyrénées',
    paid: 16130,
    reimbursed: 9678,
  },
]

export const reimbursementsSeed: SeedStep = async (trx, ctx) => {
  await trx('reimbursements').insert(
    DEMO_REIMBURSEMENTS.map((r, i) => ({
      reference: `RB-DEMO-${String(i + 1).padStart(4, '0')}`,
      person_id: ctx.persons.camille,
      care_date: new Date(ctx.now.getTime() - r.days * DAY).toISOString().slice(0, 10),
      act: r.act,
      act_code: r.act_code ?? null,
      care_type: r.care_type,
      professional: r.professional,
      amount_paid_cents: r.paid,
      amount_reimbursed_cents: r.reimbursed,
    })),
  )
}
