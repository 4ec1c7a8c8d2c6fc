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
  /** Vaccine codes or `ACTE:<rule id>` (an honoured appointment added from this recommendation). */
  doneBy: string[]
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

export interface PreventionRuleSet {
  year: number
  rules: PreventionRule[]
}

export type RecommendationStatus = 'À planifier' | 'Réalisé' | 'Non réalisé'

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
  /** The date of the vaccination or appointment that fulfils it. */
  doneOn?: string
  source: string
}

/** A vaccination or an honoured act: its code and its date. */
export interface PreventionRecord {
  code: string
  date: string
}
