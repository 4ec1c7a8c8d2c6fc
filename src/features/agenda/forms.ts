import { isEventStatus, parseTime } from '../../domain/agenda'
import { findRule } from '../../domain/prevention'
import { isVaccineCode, DOSES } from '../../domain/vaccines'
import { addError, checkDate, dateParts, emptyErrors, type FormErrors } from '../../validation'
import { isoDate } from '../../domain/parisTime'
import type { EventFields } from './repository'
import type { VaccinationFields } from '../vaccinations/repository'

type Body = Record<string, unknown> | undefined
const str = (body: Body, name: string) => (typeof body?.[name] === 'string' ? body[name].trim() : '')

/** The form as typed, to show it again. */
export function typedValues(body: Body, dateNames: string[] = ['date']): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(body ?? {})) if (k !== '_csrf' && typeof v === 'string') values[k] = v
  for (const d of dateNames) values[d] = dateParts(body, d)
  return values
}

/** Date fields of a stored date, for the form. */
export function dateValue(iso: string) {
  const [y, m, d] = iso.split('-')
  return { day: String(Number(d)), month: String(Number(m)), year: y }
}

function limited(errors: FormErrors, body: Body, name: string, max: number, label: string, required?: string): string | null {
  const v = str(body, name)
  if (!v) {
    if (required) addError(errors, name, required)
    return null
  }
  if (v.length > max) addError(errors, name, `${label} doit contenir ${max} caractères au maximum`)
  return v
}

/** The event form: title, date, optional time, place, professional, notes; status on edit. */
export function readEvent(body: Body, opts: { edit: boolean; today?: string }): { errors: FormErrors; fields?: EventFields } {
  const errors = emptyErrors()
  const title = limited(errors, body, 'title', 150, 'Le titre', 'Saisissez un titre, par exemple « Consultation chez le dentiste »')
  const date = checkDate(dateParts(body, 'date'), 'la date')
  if (!date.ok) addError(errors, 'date', date.message, `date-${date.part}`)
  const rawTime = str(body, 'time')
  const time = rawTime ? parseTime(rawTime) : null
  if (rawTime && !time) addError(errors, 'time', "Saisissez l'heure en heures et minutes, par exemple 9h30 ou 14:00")
  const place = limited(errors, body, 'place', 200, 'Le lieu')
  const professional = limited(errors, body, 'professional', 150, 'Le nom du professionnel')
  const notes = limited(errors, body, 'notes', 2000, 'Les notes')
  let status: string | undefined
  if (opts.edit) {
    status = str(body, 'status')
    if (!isEventStatus(status)) addError(errors, 'status', 'Choisissez le statut du rendez-vous', 'status')
    else if (date.ok && (status === 'honore' || status === 'non_honore') && date.value > (opts.today ?? isoDate())) {
      addError(errors, 'status', 'Un rendez-vous à venir ne peut pas être marqué « Honoré » ou « Non honoré »', 'status')
    }
  }
  const rule = str(body, 'preventionRule')
  const preventionRule = rule && findRule(rule, Number((opts.today ?? isoDate()).slice(0, 4))) ? rule : null
  if (errors.list.length || !title || !date.ok) return { errors }
  const fields: EventFields = { title, date: date.value, time, place, professional, notes, ...(opts.edit ? { status } : {}) }
  if (!opts.edit) fields.prevention_rule = preventionRule
  return { errors, fields }
}

/** The reminder form: the day before, or on a date. */
export function readReminder(body: Body): { errors: FormErrors; input?: { kind: 'veille' | 'date'; date?: string } } {
  const errors = emptyErrors()
  const kind = str(body, 'when')
  if (kind !== 'veille' && kind !== 'date') {
    addError(errors, 'when', 'Choisissez quand recevoir le rappel', 'when')
    return { errors }
  }
  if (kind === 'veille') return { errors, input: { kind } }
  const d = checkDate(dateParts(body, 'remindOn'), 'la date du rappel')
  if (!d.ok) {
    addError(errors, 'remindOn', d.message, `remindOn-${d.part}`)
    return { errors }
  }
  return { errors, input: { kind, date: d.value } }
}

export const REMINDER_MESSAGES: Record<string, string> = {
  limit: 'Vous avez déjà 10 rappels pour ce rendez-vous : supprimez-en un pour en ajouter un autre.',
  past: 'La date du rappel est déjà passée : choisissez une date à partir d’aujourd’hui.',
  after_event: 'La date du rappel doit être avant le rendez-vous ou le jour même.',
  duplicate: 'Vous avez déjà un rappel à cette date.',
  cancelled: 'Ce rendez-vous est annulé : il ne peut plus avoir de rappel.',
}

/** The vaccination form. The date may not be in the future nor before the birth. */
export function readVaccination(body: Body, birthDate: string, today = new Date()): { errors: FormErrors; fields?: VaccinationFields } {
  const errors = emptyErrors()
  const vaccine = str(body, 'vaccine')
  if (!isVaccineCode(vaccine)) addError(errors, 'vaccine', 'Choisissez le vaccin', 'vaccine')
  const otherName = vaccine === 'AUTRE' ? limited(errors, body, 'otherName', 100, 'Le nom du vaccin', 'Saisissez le nom du vaccin') : null
  const date = checkDate(dateParts(body, 'date'), 'la date de vaccination', { notFuture: true, notBefore: birthDate, today })
  if (!date.ok) addError(errors, 'date', date.message, `date-${date.part}`)
  const dose = str(body, 'dose')
  if (!DOSES.some((d) => d.value === dose)) addError(errors, 'dose', 'Choisissez la dose', 'dose')
  const professional = limited(
    errors,
    body,
    'professional',
    150,
    'Le nom du professionnel',
    'Saisissez le professionnel ou le lieu de vaccination',
  )
  const lot = limited(errors, body, 'lot', 40, 'Le numéro de lot')
  if (errors.list.length || !date.ok || !professional) return { errors }
  return { errors, fields: { vaccine, other_name: otherName, date: date.value, dose, professional, lot } }
}
