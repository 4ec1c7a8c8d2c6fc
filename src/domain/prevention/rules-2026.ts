import type { PreventionRuleSet } from './types'

const VACCINS = 'Calendrier des vaccinations et recommandations vaccinales 2026, ministère de la Santé et HAS'
const SEIN = 'Programme national de dépistage organisé du cancer du sein, INCa 2026'
const COLON = 'Programme national de dépistage organisé du cancer colorectal, INCa 2026'
const COL = "Programme national de dépistage organisé du cancer du col de l'utérus, HAS 2026"
const ENFANT = "Examens de santé de l'enfant et programme M'T dents, Assurance Maladie 2026"
const CCAM = 'Classification commune des actes médicaux (CCAM), version 2026'
const LIBELLES = "Libellés des actes et des médicaments remboursés, relevés de l'Assurance Maladie 2026"

/**
 * The prevention calendar of 2026 (SPEC §8), as data: the function in `recommendations.ts` reads
 * these rules, no rule is written as code. A new year gets a new file (rules-2027.ts) registered
 * in `index.ts`; the person's list uses the set of the current calendar year.
 *
 * Ages are in completed years; a window [from, to) starts on the birthday of `from` and ends the
 * day before the birthday of `to`. `ages` lists the occurrences; `window` is the length of each one;
 * `to: null` is an open window (from this age on, once). `doneBy` lists what counts as done:
 * vaccine codes (see `vaccines.ts`) or act codes (an honoured agenda appointment added from
 * this recommendation). `interval` (periodic screenings): the next window opens that many years
 * after the date it was done.
 *
 * `acts`: the matching rules that turn a reimbursed act («Mes remboursements») or an agenda
 * appointment into a record: by the act's code (CCAM…) when the caisse sends it, else by words of
 * its label (a vaccine dispensed by the pharmacy is recognised by its name). Each with its source.
 */
export const RULES_2026: PreventionRuleSet = {
  year: 2026,
  rules: [
    {
      id: 'dtpca-25',
      kind: 'vaccin',
      label: 'Rappel diphtérie, tétanos, poliomyélite et coqueluche (25 ans)',
      agendaTitle: 'Vaccin dTP-coqueluche',
      ages: [25],
      window: 1,
      doneBy: ['DTCAP'],
      source: VACCINS,
    },
    {
      id: 'dtp-adulte',
      kind: 'vaccin',
      label: 'Rappel diphtérie, tétanos, poliomyélite',
      agendaTitle: 'Rappel dTP',
      ages: [45, 65, 75, 85, 95, 105],
      window: 1,
      doneBy: ['DTP', 'DTCAP'],
      source: VACCINS,
    },
    {
      id: 'grippe',
      kind: 'vaccin',
      label: 'Vaccin contre la grippe (chaque automne)',
      agendaTitle: 'Vaccin contre la grippe',
      season: { fromAge: 65, start: [10, 15], end: [1, 31] },
      doneBy: ['GRIPPE'],
      source: VACCINS,
    },
    {
      id: 'zona',
      kind: 'vaccin',
      label: 'Vaccin contre le zona',
      agendaTitle: 'Vaccin contre le zona',
      ages: [65],
      window: null,
      doneBy: ['ZONA'],
      source: VACCINS,
    },
    {
      id: 'pneumocoque',
      kind: 'vaccin',
      label: 'Vaccin contre le pneumocoque',
      agendaTitle: 'Vaccin contre le pneumocoque',
      ages: [65],
      window: null,
      doneBy: ['PNEUMO'],
      source: VACCINS,
    },
    {
      id: 'vrs',
      kind: 'vaccin',
      label: 'Vaccin contre le VRS (bronchiolite, infections respiratoires)',
      agendaTitle: 'Vaccin contre le VRS',
      ages: [75],
      window: null,
      doneBy: ['VRS'],
      source: VACCINS,
    },
    {
      id: 'dtcap-6',
      kind: 'vaccin',
      label: 'Rappel diphtérie, tétanos, coqueluche et poliomyélite (6 ans)',
      agendaTitle: 'Rappel DTCaP-Polio (6 ans)',
      ages: [6],
      window: 1,
      doneBy: ['DTCAP'],
      source: VACCINS,
    },
    {
      id: 'dtcap-11',
      kind: 'vaccin',
      label: 'Rappel diphtérie, tétanos, coqueluche et poliomyélite, de 11 à 13 ans',
      agendaTitle: 'Rappel dTcaP-Polio',
      ages: [11],
      window: 3,
      doneBy: ['DTCAP'],
      source: VACCINS,
    },
    {
      id: 'hpv',
      kind: 'vaccin',
      label: 'Vaccin contre les papillomavirus (HPV), de 11 à 14 ans',
      agendaTitle: 'Vaccin HPV',
      ages: [11],
      window: 4,
      doneBy: ['HPV'],
      source: VACCINS,
    },
    {
      id: 'acwy',
      kind: 'vaccin',
      label: 'Vaccin contre les méningocoques ACWY, de 11 à 14 ans (rattrapage de 15 à 24 ans)',
      agendaTitle: 'Vaccin méningocoque ACWY',
      ages: [11],
      window: 14,
      doneBy: ['MENACWY'],
      source: VACCINS,
    },
    {
      id: 'depistage-sein',
      kind: 'depistage',
      sex: 'F',
      label: 'Dépistage du cancer du sein (mammographie tous les 2 ans, de 50 à 74 ans)',
      agendaTitle: 'Mammographie de dépistage',
      ages: [50, 52, 54, 56, 58, 60, 62, 64, 66, 68, 70, 72, 74],
      window: 2,
      interval: 2,
      doneBy: ['ACTE:depistage-sein'],
      source: SEIN,
    },
    {
      id: 'depistage-colorectal',
      kind: 'depistage',
      label: 'Dépistage du cancer colorectal (test tous les 2 ans, de 50 à 74 ans)',
      agendaTitle: 'Test de dépistage du cancer colorectal',
      ages: [50, 52, 54, 56, 58, 60, 62, 64, 66, 68, 70, 72, 74],
      window: 2,
      interval: 2,
      doneBy: ['ACTE:depistage-colorectal'],
      source: COLON,
    },
    {
      id: 'depistage-col-cytologie',
      kind: 'depistage',
      sex: 'F',
      label: "Dépistage du cancer du col de l'utérus (examen cytologique, de 25 à 29 ans)",
      agendaTitle: 'Frottis de dépistage',
      ages: [25, 28],
      window: [3, 2],
      interval: 3,
      doneBy: ['ACTE:depistage-col-cytologie'],
      source: COL,
    },
    {
      id: 'depistage-col-hpv',
      kind: 'depistage',
      sex: 'F',
      label: "Dépistage du cancer du col de l'utérus (test HPV tous les 5 ans, de 30 à 65 ans)",
      agendaTitle: 'Test HPV de dépistage',
      ages: [30, 35, 40, 45, 50, 55, 60],
      window: [5, 5, 5, 5, 5, 5, 6],
      interval: 5,
      doneBy: ['ACTE:depistage-col-hpv'],
      source: COL,
    },
    {
      id: 'examen-enfant',
      kind: 'examen',
      label: "Examen de santé de l'enfant",
      agendaTitle: "Examen de santé de l'enfant",
      ages: [3, 6, 9, 12, 15],
      window: 1,
      doneBy: ['ACTE:examen-enfant'],
      source: ENFANT,
    },
    {
      id: 'mt-dents',
      kind: 'examen',
      label: "Examen bucco-dentaire M'T dents",
      agendaTitle: "Examen M'T dents",
      ages: [3, 6, 9, 12, 15, 18, 21, 24],
      window: 1,
      doneBy: ['ACTE:mt-dents'],
      source: ENFANT,
    },
  ],
  acts: [
    {
      record: 'ACTE:depistage-sein',
      codes: ['QEQK004', 'QEQK001'],
      labels: [['mammographie']],
      source: `${CCAM} : QEQK004 mammographie bilatérale de dépistage, QEQK001 mammographie bilatérale ; ${LIBELLES}`,
    },
    {
      record: 'ACTE:depistage-colorectal',
      labels: [['depistage', 'colorectal'], ['test', 'immunologique'], ['sang', 'selles'], ['coloscopie']],
      source: `${LIBELLES} : test immunologique de recherche de sang dans les selles, coloscopie`,
    },
    {
      record: 'ACTE:depistage-col-cytologie',
      codes: ['JKHD001'],
      labels: [['frottis'], ['cytologie', 'col'], ['examen', 'cytologique']],
      source: `${CCAM} : JKHD001 prélèvement cervicovaginal ; ${LIBELLES}`,
    },
    {
      record: 'ACTE:depistage-col-hpv',
      codes: ['JKHD001'],
      labels: [
        ['test', 'hpv'],
        ['detection', 'papillomavirus'],
        ['recherche', 'papillomavirus'],
      ],
      source: `${CCAM} : JKHD001 prélèvement cervicovaginal ; ${LIBELLES} : test HPV`,
    },
    {
      record: 'ACTE:mt-dents',
      labels: [
        ['m', 't', 'dents'],
        ['examen', 'bucco', 'dentaire'],
      ],
      source: `${LIBELLES} : examen bucco-dentaire M'T dents`,
    },
    {
      record: 'ACTE:examen-enfant',
      labels: [['examen', 'sante', 'enfant']],
      source: `${LIBELLES} : examen de santé de l'enfant`,
    },
    {
      record: 'GRIPPE',
      labels: [['vaccin', 'grippe'], ['antigrippal'], ['efluelda'], ['vaxigrip'], ['influvac'], ['fluarix']],
      source: `${LIBELLES} : vaccins contre la grippe délivrés en pharmacie`,
    },
    {
      record: 'DTP',
      labels: [['revaxis'], ['vaccin', 'dtp']],
      source: `${LIBELLES} : vaccin dTP`,
    },
    {
      record: 'DTCAP',
      labels: [['repevax'], ['boostrixtetra'], ['tetravac'], ['infanrixtetra'], ['vaccin', 'coqueluche']],
      source: `${LIBELLES} : vaccins dTcaP et DTCaP`,
    },
    { record: 'ZONA', labels: [['shingrix'], ['vaccin', 'zona']], source: `${LIBELLES} : vaccin contre le zona` },
    {
      record: 'PNEUMO',
      labels: [['prevenar'], ['capvaxive'], ['vaccin', 'pneumocoque']],
      source: `${LIBELLES} : vaccins contre le pneumocoque`,
    },
    { record: 'VRS', labels: [['arexvy'], ['abrysvo'], ['vaccin', 'vrs']], source: `${LIBELLES} : vaccins contre le VRS` },
    {
      record: 'HPV',
      labels: [['gardasil'], ['cervarix'], ['vaccin', 'hpv'], ['vaccin', 'papillomavirus']],
      source: `${LIBELLES} : vaccins contre les papillomavirus`,
    },
    {
      record: 'MENACWY',
      labels: [['nimenrix'], ['menquadfi'], ['menveo'], ['vaccin', 'meningocoque', 'acwy']],
      source: `${LIBELLES} : vaccins contre les méningocoques ACWY`,
    },
  ],
}
