import { ageOn } from '../age'

/**
 * Questionnaires are data: a versioned list of questions rendered by one generic page. A question
 * may be reserved to some ages (tobacco and alcohol from 15).
 */
export interface Question {
  id: string
  label: string
  hint?: string
  kind: 'choice' | 'text'
  options?: { value: string; text: string }[]
  /** Shown from this age (inclusive). */
  minAge?: number
  /** Required to finalise. */
  required?: boolean
}

export interface QuestionnaireSection {
  id: string
  title: string
  questions: Question[]
}

export interface Questionnaire {
  id: string
  version: string
  title: string
  /** Where the rules come from. */
  source: string
  sections: QuestionnaireSection[]
}

export type Answers = Record<string, string>

/** The sections and questions a person of this age sees (empty sections dropped). */
export function visibleSections(q: Questionnaire, birthDate: string, today: string): QuestionnaireSection[] {
  const age = ageOn(birthDate, today)
  return q.sections
    .map((s) => ({ ...s, questions: s.questions.filter((x) => x.minAge === undefined || age >= x.minAge) }))
    .filter((s) => s.questions.length > 0)
}

/** Keeps only the answers to visible questions, with allowed values; texts trimmed and cut at 500 characters. */
export function cleanAnswers(q: Questionnaire, birthDate: string, today: string, body: Record<string, unknown>): Answers {
  const out: Answers = {}
  for (const s of visibleSections(q, birthDate, today)) {
    for (const x of s.questions) {
      const raw = body[x.id]
      if (typeof raw !== 'string' || !raw.trim()) continue
      if (x.kind === 'choice' && !x.options!.some((o) => o.value === raw)) continue
      out[x.id] = raw.trim().slice(0, 500)
    }
  }
  return out
}

/** The questions still unanswered among the required ones (to finalise). */
export function missingRequired(q: Questionnaire, birthDate: string, today: string, answers: Answers): Question[] {
  return visibleSections(q, birthDate, today).flatMap((s) => s.questions.filter((x) => x.required && !answers[x.id]))
}

/** The text of an answer as read back (the option's label for a choice). */
export function answerText(question: Question, value: string | undefined): string {
  if (!value) return 'Sans réponse'
  if (question.kind === 'choice') return question.options!.find((o) => o.value === value)?.text ?? value
  return value
}

/** «Mon bilan prévention» is offered at the key ages 18–25, 45–50, 60–65 and 70–75 (inclusive). */
export const BILAN_AGES: [number, number][] = [
  [18, 25],
  [45, 50],
  [60, 65],
  [70, 75],
]

export function bilanOffered(birthDate: string, today: string): boolean {
  const age = ageOn(birthDate, today)
  return BILAN_AGES.some(([a, b]) => age >= a && age <= b)
}
