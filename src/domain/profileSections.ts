/**
 * The sections of the medical profile (SPEC §7), as data: the list sections share one generic page
 * (add / edit / delete), each with its own words.
 */
export type ListSection = 'conditions' | 'treatments' | 'allergies' | 'family_history' | 'hospitalisations' | 'disabilities'

export interface ListSectionDefinition {
  section: ListSection
  slug: string
  title: string
  /** «Ajouter une maladie ou un sujet de santé». */
  addText: string
  /** The thing, with its article, in a sentence: «cette allergie». */
  thisOne: string
  label: { text: string; hint?: string; required: string }
  detail: { text: string; hint?: string }
  start: { text: string }
  end?: { text: string }
  empty: string
}

export const LIST_SECTIONS: ListSectionDefinition[] = [
  {
    section: 'conditions',
    slug: 'maladies-et-sujets-de-sante',
    title: 'Maladies et sujets de santé',
    addText: 'Ajouter une maladie ou un sujet de santé',
    thisOne: 'cette maladie ou ce sujet de santé',
    label: {
      text: 'Maladie ou sujet de santé',
      hint: 'Par exemple : asthme, diabète de type 2, grossesse',
      required: 'Saisissez la maladie ou le sujet de santé',
    },
    detail: { text: 'Précisions (facultatif)' },
    start: { text: 'Depuis quand ? (facultatif)' },
    empty: 'Aucune maladie ni sujet de santé enregistré.',
  },
  {
    section: 'treatments',
    slug: 'traitements',
    title: 'Traitements',
    addText: 'Ajouter un traitement',
    thisOne: 'ce traitement',
    label: {
      text: 'Nom du médicament ou du traitement',
      hint: 'Par exemple : Levothyrox 75 µg',
      required: 'Saisissez le nom du médicament ou du traitement',
    },
    detail: { text: 'Comment le prendre (facultatif)', hint: 'Par exemple : 1 comprimé le matin' },
    start: { text: 'Date de début (facultatif)' },
    end: { text: 'Date de fin (facultatif)' },
    empty: 'Aucun traitement enregistré.',
  },
  {
    section: 'allergies',
    slug: 'allergies',
    title: 'Allergies',
    addText: 'Ajouter une allergie',
    thisOne: 'cette allergie',
    label: {
      text: 'Allergie ou intolérance',
      hint: 'Par exemple : pénicilline, arachide, pollen',
      required: "Saisissez l'allergie ou l'intolérance",
    },
    detail: { text: 'Réaction observée (facultatif)', hint: 'Par exemple : plaques rouges, gêne respiratoire' },
    start: { text: 'Depuis quand ? (facultatif)' },
    empty: 'Aucune allergie enregistrée.',
  },
  {
    section: 'family_history',
    slug: 'antecedents-familiaux',
    title: 'Antécédents familiaux',
    addText: 'Ajouter un antécédent familial',
    thisOne: 'cet antécédent familial',
    label: { text: 'Maladie', hint: 'Par exemple : cancer du sein, maladie cardiaque', required: 'Saisissez la maladie' },
    detail: { text: 'Membre de la famille concerné (facultatif)', hint: 'Par exemple : mère, grand-père paternel' },
    start: { text: 'Date du diagnostic, si vous la connaissez (facultatif)' },
    empty: 'Aucun antécédent familial enregistré.',
  },
  {
    section: 'hospitalisations',
    slug: 'hospitalisations',
    title: 'Hospitalisations',
    addText: 'Ajouter une hospitalisation',
    thisOne: 'cette hospitalisation',
    label: {
      text: "Motif de l'hospitalisation",
      hint: "Par exemple : opération de l'appendicite",
      required: "Saisissez le motif de l'hospitalisation",
    },
    detail: { text: 'Établissement (facultatif)', hint: 'Par exemple : hôpital Tenon, Paris' },
    start: { text: "Date d'entrée (facultatif)" },
    end: { text: 'Date de sortie (facultatif)' },
    empty: 'Aucune hospitalisation enregistrée.',
  },
  {
    section: 'disabilities',
    slug: 'handicaps',
    title: 'Handicaps',
    addText: 'Ajouter un handicap',
    thisOne: 'ce handicap',
    label: { text: 'Handicap', hint: 'Par exemple : surdité, mobilité réduite', required: 'Saisissez le handicap' },
    detail: { text: 'Aides et aménagements utiles (facultatif)', hint: 'Par exemple : fauteuil roulant, interprète en langue des signes' },
    start: { text: 'Depuis quand ? (facultatif)' },
    empty: 'Aucun handicap enregistré.',
  },
]

export const LIST_SECTION_BY_SLUG: Record<string, ListSectionDefinition> = Object.fromEntries(LIST_SECTIONS.map((s) => [s.slug, s]))

export const BLOOD_GROUPS = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'] as const

export type OrganDonation = 'accept' | 'refuse' | 'undecided'
export const ORGAN_DONATION_LABELS: Record<OrganDonation, string> = {
  accept: "J'accepte de donner mes organes et tissus après ma mort",
  refuse: 'Je refuse de donner mes organes et tissus après ma mort',
  undecided: 'Je ne me suis pas encore décidé(e)',
}

const isOrganDonation = (value: string): value is OrganDonation => Object.prototype.hasOwnProperty.call(ORGAN_DONATION_LABELS, value)

/** The label of a stored organ donation choice (the value itself when it is none of ours). */
export const organDonationLabel = (value: string): string => (isOrganDonation(value) ? ORGAN_DONATION_LABELS[value] : value)

export const MAX_EMERGENCY_CONTACTS = 3

/** Directives anticipées are for adults only (Code de la santé publique, art. L1111-11). */
export function mayWriteDirectives(age: number): boolean {
  return age >= 18
}
