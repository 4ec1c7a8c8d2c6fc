import { isMinor } from './age'
/**
 * Measures of the medical profile (SPEC §7): each type with its unit, its plausible range and who it
 * applies to; IMC computed from weight and height, with the adult bands. Pure rules, no I/O.
 */
export type MeasureType =
  | 'poids'
  | 'taille'
  | 'tension'
  | 'frequence-cardiaque'
  | 'glycemie'
  | 'hba1c'
  | 'temperature'
  | 'tour-de-taille'
  | 'douleur'
  | 'perimetre-cranien'

export interface MeasureDefinition {
  type: MeasureType
  /** The label users read. */
  label: string
  /** The unit as shown after a value. */
  unit: string
  /** The unit spelt out, for screen readers and the chart description. */
  unitLong: string
  min: number
  max: number
  /** Decimal places accepted. */
  decimals: number
  /** Only for children (under 18). */
  childrenOnly?: boolean
  /** Two values (systolic / diastolic). */
  pair?: { min2: number; max2: number }
  hint: string
}

export const MEASURES: MeasureDefinition[] = [
  {
    type: 'poids',
    label: 'Poids',
    unit: 'kg',
    unitLong: 'kilogrammes',
    min: 0.3,
    max: 350,
    decimals: 2,
    hint: 'En kilogrammes, par exemple 62,5 (un nouveau-né : 3,2)',
  },
  {
    type: 'taille',
    label: 'Taille',
    unit: 'cm',
    unitLong: 'centimètres',
    min: 20,
    max: 250,
    decimals: 1,
    hint: 'En centimètres, par exemple 168',
  },
  {
    type: 'tension',
    label: 'Tension artérielle',
    unit: 'mmHg',
    unitLong: 'millimètres de mercure',
    min: 50,
    max: 260,
    decimals: 0,
    pair: { min2: 30, max2: 160 },
    hint: 'Le premier chiffre (systolique) est plus grand que le second (diastolique), par exemple 125 et 80',
  },
  {
    type: 'frequence-cardiaque',
    label: 'Fréquence cardiaque',
    unit: 'bpm',
    unitLong: 'battements par minute',
    min: 20,
    max: 250,
    decimals: 0,
    hint: 'En battements par minute, par exemple 72',
  },
  {
    type: 'glycemie',
    label: 'Glycémie',
    unit: 'g/L',
    unitLong: 'grammes par litre',
    min: 0.2,
    max: 6,
    decimals: 2,
    hint: 'En grammes par litre, par exemple 0,95',
  },
  {
    type: 'hba1c',
    label: 'Hémoglobine glyquée (HbA1c)',
    unit: '%',
    unitLong: 'pour cent',
    min: 3,
    max: 20,
    decimals: 1,
    hint: 'En pourcentage, par exemple 6,2',
  },
  {
    type: 'temperature',
    label: 'Température',
    unit: '°C',
    unitLong: 'degrés Celsius',
    min: 30,
    max: 45,
    decimals: 1,
    hint: 'En degrés Celsius, par exemple 37,2',
  },
  {
    type: 'tour-de-taille',
    label: 'Tour de taille',
    unit: 'cm',
    unitLong: 'centimètres',
    min: 30,
    max: 250,
    decimals: 1,
    hint: 'En centimètres, par exemple 82',
  },
  {
    type: 'douleur',
    label: 'Douleur',
    unit: '/10',
    unitLong: 'sur 10',
    min: 0,
    max: 10,
    decimals: 0,
    hint: 'Un nombre entier de 0 (aucune douleur) à 10 (la pire douleur imaginable)',
  },
  {
    type: 'perimetre-cranien',
    label: 'Périmètre crânien',
    unit: 'cm',
    unitLong: 'centimètres',
    min: 20,
    max: 65,
    decimals: 1,
    childrenOnly: true,
    hint: 'En centimètres, par exemple 45,5',
  },
]

export const MEASURE_BY_TYPE: Record<string, MeasureDefinition> = Object.fromEntries(MEASURES.map((m) => [m.type, m]))

export function isMeasureType(s: string): s is MeasureType {
  return Object.prototype.hasOwnProperty.call(MEASURE_BY_TYPE, s)
}

/** The measure types a person may record at their age. */
export function measuresFor(birthDate: string, today: string): MeasureDefinition[] {
  const minor = isMinor(birthDate, today)
  return MEASURES.filter((m) => !m.childrenOnly || minor)
}

/** Reads a French decimal («62,5» or «62.5»); undefined when it is not a plain number. */
export function parseDecimal(raw: string | undefined): number | undefined {
  const s = (raw ?? '').trim().replace(/\s/g, '').replace(',', '.')
  if (!/^-?\d+(\.\d+)?$/.test(s)) return undefined
  return Number(s)
}

export type MeasureCheck = { ok: true; value: number; value2?: number } | { ok: false; field: 'value' | 'value2' | 'date'; message: string }

const fr = (n: number) => String(n).replace('.', ',')

/**
 * Checks a measure typed by a person: number, decimals, plausible range, pair order, and a date
 * between the birth date and today. `raw2` is the diastolic pressure.
 */
export function checkMeasure(
  def: MeasureDefinition,
  input: { raw: string | undefined; raw2?: string | undefined; date: string; birthDate: string; today: string },
): MeasureCheck {
  const v = checkMeasureValue(def, input.raw, input.raw2)
  if (!v.ok) return v
  if (input.date < input.birthDate)
    return { ok: false, field: 'date', message: 'La date de la mesure ne peut pas être antérieure à la date de naissance' }
  if (input.date > input.today) return { ok: false, field: 'date', message: "La date de la mesure doit être dans le passé ou aujourd'hui" }
  return v
}

/** The value(s) alone: number, decimals, plausible range, pair order. */
export function checkMeasureValue(def: MeasureDefinition, raw: string | undefined, raw2?: string): MeasureCheck {
  const input = { raw, raw2 }
  const name = def.pair ? 'la pression systolique (le premier chiffre)' : `la valeur`
  const value = parseDecimal(input.raw)
  if (!(input.raw ?? '').trim()) return { ok: false, field: 'value', message: `Saisissez ${name}` }
  if (value === undefined)
    return {
      ok: false,
      field: 'value',
      message: `Saisissez ${name} en chiffres, par exemple ${def.pair ? '125' : fr(def.min < 1 ? 0.95 : Math.round((def.min + def.max) / 4))}`,
    }
  const decimals = (input.raw!.trim().replace(',', '.').split('.')[1] ?? '').length
  if (decimals > def.decimals) {
    return {
      ok: false,
      field: 'value',
      message:
        def.decimals === 0
          ? `Saisissez un nombre entier`
          : `Saisissez au plus ${def.decimals} chiffre${def.decimals > 1 ? 's' : ''} après la virgule`,
    }
  }
  if (value < def.min || value > def.max) {
    return {
      ok: false,
      field: 'value',
      message: `${def.pair ? 'La pression systolique' : 'La valeur'} doit être comprise entre ${fr(def.min)} et ${fr(def.max)} ${def.unit}`,
    }
  }
  let value2: number | undefined
  if (def.pair) {
    if (!(input.raw2 ?? '').trim()) return { ok: false, field: 'value2', message: 'Saisissez la pression diastolique (le second chiffre)' }
    value2 = parseDecimal(input.raw2)
    if (value2 === undefined || !Number.isInteger(value2))
      return { ok: false, field: 'value2', message: 'Saisissez la pression diastolique en nombre entier, par exemple 80' }
    if (value2 < def.pair.min2 || value2 > def.pair.max2) {
      return {
        ok: false,
        field: 'value2',
        message: `La pression diastolique doit être comprise entre ${def.pair.min2} et ${def.pair.max2} mmHg`,
      }
    }
    if (value <= value2)
      return {
        ok: false,
        field: 'value2',
        message: 'La pression diastolique (le second chiffre) doit être plus petite que la pression systolique (le premier chiffre)',
      }
  }
  return { ok: true, value, value2 }
}

export type ImcBand = 'denutrition' | 'maigreur' | 'normale' | 'surpoids' | 'obesite-moderee' | 'obesite-severe' | 'obesite-massive'

export const IMC_BAND_LABELS: Record<ImcBand, string> = {
  denutrition: 'Dénutrition',
  maigreur: 'Maigreur',
  normale: 'Corpulence normale',
  surpoids: 'Surpoids',
  'obesite-moderee': 'Obésité modérée',
  'obesite-severe': 'Obésité sévère',
  'obesite-massive': 'Obésité massive',
}

/** IMC = poids (kg) / taille (m)², rounded to one decimal. */
export function imc(weightKg: number, heightCm: number): number {
  const m = heightCm / 100
  return Math.round((weightKg / (m * m)) * 10) / 10
}

/** The adult bands (WHO, as used by the Haute Autorité de santé); undefined for a child (their curves differ). */
export function imcBand(value: number, age: number): ImcBand | undefined {
  if (age < 18) return undefined
  if (value < 16.5) return 'denutrition'
  if (value < 18.5) return 'maigreur'
  if (value < 25) return 'normale'
  if (value < 30) return 'surpoids'
  if (value < 35) return 'obesite-moderee'
  if (value < 40) return 'obesite-severe'
  return 'obesite-massive'
}

/** A value as French users read it: comma, the unit after a narrow space. */
export function formatMeasure(def: MeasureDefinition, value: number, value2?: number | null): string {
  const n = (v: number) => v.toLocaleString('fr-FR', { maximumFractionDigits: def.decimals, useGrouping: false })
  return def.pair && value2 != null ? `${n(value)}/${n(value2)} ${def.unit}` : `${n(value)} ${def.unit}`
}
