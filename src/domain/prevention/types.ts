export type RecommendationKind = 'vaccin' | 'depistage' | 'examen'

interface RuleBase {
  id: string
  kind: RecommendationKind
  /** Only for this sex. */
  sex?: 'F' | 'M'
  /** What the person reads in «Examens et vaccins recommandés». */
  label: string
  /** The title pre-filled in the agenda when the person adds it («Ajouter à mon agenda»). */
  agendaTitle: string
  /**
   * Vaccine codes or `ACTE:<rule id>`: what counts as done (a vaccination, an honoured appointment
   * added from this recommendation, or a reimbursed act or agenda appointment that `acts` matches).
   */
  doneBy: string[]
  /**
   * Years between two occurrences for a periodic screening: once done, the next window opens this
   * long after the date it was done (not before the next age of `ages`).
   */
  interval?: number
  /** Where the rule comes from, shown to the person. */
  source: string
}

/** Occurrences at given ages, each lasting `window` years (one length for all, or one per age); null: open. */
export interface AgeRule extends RuleBase {
  ages: number[]
  window: number | number[] | null
  season?: undefined
}

/** A yearly campaign (e.g. the flu, 15 October to 31 January) from an age on. */
export interface SeasonRule extends RuleBase {
  season: { fromAge: number; start: [month: number, day: number]; end: [month: number, day: number] }
  ages?: undefined
  window?: undefined
}

export type PreventionRule = AgeRule | SeasonRule

/**
 * How a reimbursed act (or an agenda appointment) counts as a prevention record: by the code of the
 * act in its nomenclature (CCAM, NGAP, NABM), as the caisse sends it, or by its label.
 */
export interface ActMatch {
  /** The record it makes: a vaccine code (`GRIPPE`) or `ACTE:<rule id>`. */
  record: string
  /** Codes of the act (CCAM `QEQK004`, NGAP…), compared in capitals. */
  codes?: string[]
  /** Labels: each entry lists words that must all be in the label (compared without case or accents). */
  labels?: string[][]
  /** Where the code or label comes from. */
  source: string
}

export interface PreventionRuleSet {
  year: number
  rules: PreventionRule[]
  /** What turns a reimbursed act or an appointment into a record (see `acts.ts`). */
  acts: ActMatch[]
}

export type RecommendationStatus = 'À planifier' | 'Planifié' | 'Réalisé' | 'Non réalisé'

export interface Recommendation {
  ruleId: string
  kind: RecommendationKind
  label: string
  agendaTitle: string
  /** First day of the window (YYYY-MM-DD). */
  from: string
  /** Last day of the window, or null for an open one. */
  to: string | null
  status: RecommendationStatus
  /** The date of the vaccination, act or appointment that fulfils it. */
  doneOn?: string
  /** «Planifié»: the date of the booked appointment. */
  plannedOn?: string
  /** What showed it done or booked («Remboursement : Mammographie de dépistage»), when known. */
  via?: string
  source: string
}

/** A vaccination, a reimbursed or honoured act (or, `planned`, a booked appointment): its code and its date. */
export interface PreventionRecord {
  code: string
  date: string
  /** A booked appointment not yet honoured: the recommendation is «Planifié», not «Réalisé». */
  planned?: boolean
  /** What it is, for the person («Remboursement : Mammographie de dépistage»). */
  via?: string
}
