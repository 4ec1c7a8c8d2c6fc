import type { PreventionRecord, PreventionRuleSet } from './types'

/**
 * The matching rules of a rule set (`acts`, data next to the rules) applied to reimbursed acts and
 * agenda appointments: which prevention records they make. Pure.
 */

/** The words of a label, without case or accents («Mammographie de dépistage» → mammographie, de, depistage). */
export function labelWords(label: string): Set<string> {
  return new Set(
    label
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter(Boolean),
  )
}

interface CompiledActs {
  byCode: Map<string, string[]>
  byLabel: { record: string; words: string[] }[]
}

const compiled = new WeakMap<PreventionRuleSet, CompiledActs>()

function compile(set: PreventionRuleSet): CompiledActs {
  let c = compiled.get(set)
  if (!c) {
    const byCode = new Map<string, string[]>()
    const byLabel: CompiledActs['byLabel'] = []
    for (const a of set.acts) {
      for (const code of a.codes ?? []) byCode.set(code.toUpperCase(), [...(byCode.get(code.toUpperCase()) ?? []), a.record])
      for (const words of a.labels ?? []) byLabel.push({ record: a.record, words })
    }
    c = { byCode, byLabel }
    compiled.set(set, c)
  }
  return c
}

/** The record codes an act makes: by its code when one is known and matched, else by the words of its label. */
export function recordsOfAct(set: PreventionRuleSet, act: { label: string; code?: string | null }): string[] {
  const c = compile(set)
  const byCode = act.code ? c.byCode.get(act.code.trim().toUpperCase()) : undefined
  if (byCode) return byCode
  const words = labelWords(act.label)
  const out: string[] = []
  for (const m of c.byLabel) if (!out.includes(m.record) && m.words.every((w) => words.has(w))) out.push(m.record)
  return out
}

/** Reimbursed acts (date, label, code) as prevention records. */
export function reimbursementRecords(
  set: PreventionRuleSet,
  acts: readonly { date: string; label: string; code?: string | null }[],
): PreventionRecord[] {
  const out: PreventionRecord[] = []
  for (const a of acts) for (const code of recordsOfAct(set, a)) out.push({ code, date: a.date, via: `Remboursement : ${a.label}` })
  return out
}

/**
 * Agenda appointments as prevention records: an appointment added from a recommendation counts for
 * its rule (`ACTE:<rule>`), any other one by the words of its title. «Honoré»: done; «Confirmé» on
 * today or later: planned (a cancelled, missed or past unconfirmed one counts for nothing).
 */
export function appointmentRecords(
  set: PreventionRuleSet,
  events: readonly { date: string; title: string; status: string; prevention_rule?: string | null }[],
  today: string,
): PreventionRecord[] {
  const out: PreventionRecord[] = []
  for (const e of events) {
    const planned = e.status === 'confirme' && e.date >= today
    if (e.status !== 'honore' && !planned) continue
    const codes = e.prevention_rule ? [`ACTE:${e.prevention_rule}`] : recordsOfAct(set, { label: e.title })
    const via = `Rendez-vous : ${e.title}`
    for (const code of codes) out.push(planned ? { code, date: e.date, planned: true, via } : { code, date: e.date, via })
  }
  return out
}
