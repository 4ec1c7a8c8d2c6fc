/**
 * The vaccines a person can record in «Vaccinations» (SPEC §7, §8). The codes are stored in the
 * `vaccinations` table and read by the prevention rules (`src/domain/prevention`).
 */
export const VACCINES = [
  { code: 'DTP', label: 'dTP (diphtérie, tétanos, poliomyélite)' },
  { code: 'DTCAP', label: 'dTP-coqueluche (diphtérie, tétanos, poliomyélite, coqueluche)' },
  { code: 'GRIPPE', label: 'Grippe' },
  { code: 'ZONA', label: 'Zona' },
  { code: 'PNEUMO', label: 'Pneumocoque' },
  { code: 'VRS', label: 'VRS (virus respiratoire syncytial)' },
  { code: 'HPV', label: 'HPV (papillomavirus humains)' },
  { code: 'MENACWY', label: 'Méningocoque ACWY' },
  { code: 'ROR', label: 'ROR (rougeole, oreillons, rubéole)' },
  { code: 'HEPB', label: 'Hépatite B' },
  { code: 'COVID', label: 'COVID-19' },
  { code: 'AUTRE', label: 'Autre vaccin' },
] as const

export type VaccineCode = (typeof VACCINES)[number]['code']

const BY_CODE = new Map<string, string>(VACCINES.map((v) => [v.code, v.label]))

export function isVaccineCode(code: unknown): code is VaccineCode {
  return typeof code === 'string' && BY_CODE.has(code)
}

/** The label of a vaccine; for «Autre vaccin», the name the person typed. */
export function vaccineLabel(code: string, otherName?: string | null): string {
  if (code === 'AUTRE' && otherName) return otherName
  return BY_CODE.get(code) ?? code
}

/** The dose numbers offered in the form (1st dose, 2nd dose, 3rd dose, booster). */
export const DOSES = [
  { value: '1', label: '1re dose' },
  { value: '2', label: '2e dose' },
  { value: '3', label: '3e dose' },
  { value: 'R', label: 'Rappel' },
] as const

export function doseLabel(dose: string): string {
  return DOSES.find((d) => d.value === dose)?.label ?? dose
}
