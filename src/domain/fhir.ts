/**
 * Pure FHIR R4 shapes of the API (issue 8): OperationOutcome for every error, the
 * CapabilityStatement, Patient. JSON only, `application/fhir+json`.
 */
import { isMeasureType, MEASURE_BY_TYPE, type MeasureType } from './measures'
import { addDays, isoDate, parisInstant, parisToUtc } from './parisTime'

export const FHIR_JSON = 'application/fhir+json'

export type IssueCode =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'security'
  | 'login'
  | 'forbidden'
  | 'not-found'
  | 'not-supported'
  | 'too-long'
  | 'throttled'
  | 'exception'
  | 'processing'
  | 'transient'

export interface OperationOutcome {
  resourceType: 'OperationOutcome'
  issue: { severity: 'fatal' | 'error' | 'warning' | 'information'; code: IssueCode; diagnostics?: string; expression?: string[] }[]
}

export function operationOutcome(
  code: IssueCode,
  diagnostics: string,
  severity: 'error' | 'fatal' | 'information' = 'error',
  expression?: string[],
): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics, ...(expression ? { expression } : {}) }] }
}

export interface PersonIdentity {
  id: string
  lastName: string
  firstNames: string
  sex: string
  birthDate: string
}

export function toPatient(p: PersonIdentity) {
  const given = p.firstNames.split(/\s+/).filter(Boolean)
  return {
    resourceType: 'Patient' as const,
    id: p.id,
    active: true,
    name: [{ use: 'official', family: p.lastName, given }],
    gender: p.sex === 'F' ? 'female' : p.sex === 'M' ? 'male' : 'unknown',
    birthDate: p.birthDate,
  }
}

export function capabilityStatement(opts: {
  baseUrl: string
  issuer: string
  date: string
  resources: { type: string; interactions: string[]; searchParams?: { name: string; type: string }[] }[]
}) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: opts.date,
    publisher: 'Mon espace santé',
    kind: 'instance',
    implementation: { description: 'API FHIR de Mon espace santé pour les services connectés', url: opts.baseUrl },
    fhirVersion: '4.0.1',
    format: [FHIR_JSON, 'json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [
            { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth', display: 'OAuth' }] },
          ],
          description: `OAuth 2.0 (code d'autorisation avec PKCE) : ${opts.issuer}/.well-known/openid-configuration`,
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: `${opts.issuer}/auth` },
                { url: 'token', valueUri: `${opts.issuer}/token` },
                { url: 'revoke', valueUri: `${opts.issuer}/token/revocation` },
              ],
            },
          ],
        },
        resource: opts.resources.map((r) => ({
          type: r.type,
          interaction: r.interactions.map((code) => ({ code })),
          ...(r.searchParams ? { searchParam: r.searchParams } : {}),
        })),
      },
    ],
  }
}

/* ------------------------------------------------------------------ Observation (measures) */

export const LOINC = 'http://loinc.org'
export const UCUM = 'http://unitsofmeasure.org'
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category'

export interface ObservationCode {
  loinc: string
  display: string
  ucum: string
  category: 'vital-signs' | 'laboratory' | 'survey'
  components?: { loinc: string; display: string; text: string }[]
}

/**
 * THE table of the measures exchanged as FHIR Observations (SPEC §7): LOINC code, UCUM unit, FHIR
 * category, for every measure type of the profile. The API (reads, searches, writes) and the export
 * («Télécharger mes données») both read it: a measure the export codes is one the API serves.
 */
export const OBSERVATION_CODES: Record<MeasureType, ObservationCode> = {
  poids: { loinc: '29463-7', display: 'Body weight', ucum: 'kg', category: 'vital-signs' },
  taille: { loinc: '8302-2', display: 'Body height', ucum: 'cm', category: 'vital-signs' },
  tension: {
    loinc: '85354-9',
    display: 'Blood pressure panel with all children optional',
    ucum: 'mm[Hg]',
    category: 'vital-signs',
    components: [
      { loinc: '8480-6', display: 'Systolic blood pressure', text: 'Systolique' },
      { loinc: '8462-4', display: 'Diastolic blood pressure', text: 'Diastolique' },
    ],
  },
  'frequence-cardiaque': { loinc: '8867-4', display: 'Heart rate', ucum: '/min', category: 'vital-signs' },
  glycemie: { loinc: '2339-0', display: 'Glucose [Mass/volume] in Blood', ucum: 'g/L', category: 'laboratory' },
  hba1c: { loinc: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', ucum: '%', category: 'laboratory' },
  temperature: { loinc: '8310-5', display: 'Body temperature', ucum: 'Cel', category: 'vital-signs' },
  'tour-de-taille': { loinc: '8280-0', display: 'Waist Circumference at umbilicus by Tape measure', ucum: 'cm', category: 'vital-signs' },
  douleur: {
    loinc: '72514-3',
    display: 'Pain severity - 0-10 verbal numeric rating [Score] - Reported',
    ucum: '{score}',
    category: 'survey',
  },
  'perimetre-cranien': { loinc: '9843-4', display: 'Head Occipital-frontal circumference', ucum: 'cm', category: 'vital-signs' },
}

// Object.entries() types the keys as strings: they are OBSERVATION_CODES', MeasureTypes.
export const MEASURE_TYPE_BY_LOINC: Record<string, MeasureType> = Object.fromEntries(
  Object.entries(OBSERVATION_CODES).map(([type, c]) => [c.loinc, type]),
) as Record<string, MeasureType>

export interface MeasureRecord {
  id: string
  type: string
  value: number
  value2: number | null
  measured_on: string
  source_name?: string | null
}

/** A UCUM quantity; `unit` is the unit as people read it («bpm», «°C»). */
const quantity = (value: number, ucum: string, unit: string) => ({ value, unit, system: UCUM, code: ucum })

/**
 * A measure as an Observation, for the API and the export alike. `subject`: the reference to the
 * patient (`Patient/<id>` in the API, the patient's `urn:uuid:` inside the export's Bundle). The
 * connected service that wrote the measure, if any, is its `device`.
 */
export function toObservation(m: MeasureRecord, subject: string) {
  if (!isMeasureType(m.type)) throw new Error(`type de mesure inconnu : ${m.type}`)
  const c = OBSERVATION_CODES[m.type]
  const def = MEASURE_BY_TYPE[m.type]
  const unit = def?.unit ?? c.ucum
  const base = {
    resourceType: 'Observation' as const,
    id: m.id,
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: c.category }] }],
    code: { coding: [{ system: LOINC, code: c.loinc, display: c.display }], text: def?.label ?? m.type },
    subject: { reference: subject },
    effectiveDateTime: m.measured_on,
    ...(m.source_name ? { device: { display: m.source_name } } : {}),
  }
  if (c.components) {
    const values = [m.value, m.value2]
    return {
      ...base,
      component: c.components.flatMap((k, i) =>
        values[i] === null || values[i] === undefined
          ? []
          : [
              {
                code: { coding: [{ system: LOINC, code: k.loinc, display: k.display }], text: k.text },
                valueQuantity: quantity(values[i], c.ucum, unit),
              },
            ],
      ),
    }
  }
  return { ...base, valueQuantity: quantity(m.value, c.ucum, unit) }
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; status: 400 | 422; code: IssueCode; message: string; expression?: string }

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const bad = (
  message: string,
  expression?: string,
  status: 400 | 422 = 400,
  code: IssueCode = 'invalid',
): { ok: false; status: 400 | 422; code: IssueCode; message: string; expression?: string } => ({
  ok: false,
  status,
  code,
  message,
  expression,
})

function codingCode(concept: unknown, system: string): string | undefined {
  if (!isObj(concept) || !Array.isArray(concept.coding)) return undefined
  const codings: unknown[] = concept.coding
  const c = codings.find((x) => isObj(x) && x.system === system && typeof x.code === 'string')
  return isObj(c) ? String(c.code) : undefined
}

function readQuantity(q: unknown, ucum: string, where: string): Parsed<number> {
  if (!isObj(q) || typeof q.value !== 'number' || !Number.isFinite(q.value)) return bad(`${where}.value doit être un nombre`, where)
  const unit = typeof q.code === 'string' ? q.code : q.unit
  if (unit !== ucum) return bad(`Unité attendue : ${ucum} (UCUM)`, where, 422, 'value')
  return { ok: true, value: q.value }
}

/** The date part of a FHIR date or dateTime (YYYY-MM-DD), or undefined. */
export function fhirDay(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined
  const m = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.exec(v)
  if (!m) return undefined
  const d = new Date(`${m[1]}T00:00:00Z`)
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== m[1] ? undefined : m[1]
}

/** A posted Observation, checked for shape: the measure type, the value(s) as numbers, the day. */
export function parseObservation(body: unknown): Parsed<{ type: MeasureType; value: number; value2?: number; day: string }> {
  if (!isObj(body) || body.resourceType !== 'Observation')
    return bad('Le corps doit être une ressource Observation', 'Observation', 400, 'structure')
  if (
    body.status !== undefined &&
    (typeof body.status !== 'string' || !['final', 'amended', 'corrected', 'preliminary'].includes(body.status))
  )
    return bad('Observation.status non accepté', 'Observation.status')
  const loinc = codingCode(body.code, LOINC)
  if (!loinc) return bad('Observation.code doit porter un code LOINC', 'Observation.code', 400, 'required')
  const type: MeasureType | undefined = MEASURE_TYPE_BY_LOINC[loinc]
  if (!type) return bad(`Code LOINC non pris en charge : ${loinc.slice(0, 20)}`, 'Observation.code', 422, 'not-supported')
  const day = fhirDay(body.effectiveDateTime ?? body.effectiveDate)
  if (!day)
    return bad(
      'Observation.effectiveDateTime doit être une date (AAAA-MM-JJ ou date et heure)',
      'Observation.effectiveDateTime',
      400,
      'required',
    )
  const c = OBSERVATION_CODES[type]
  if (c.components) {
    const comps: unknown[] = Array.isArray(body.component) ? body.component : []
    const find = (code: string) => comps.filter(isObj).find((x) => codingCode(x.code, LOINC) === code)
    const sys = find(c.components[0].loinc)
    const dia = find(c.components[1].loinc)
    if (!sys || !dia)
      return bad(
        'La tension demande deux composants : systolique (8480-6) et diastolique (8462-4)',
        'Observation.component',
        400,
        'required',
      )
    const v1 = readQuantity(sys.valueQuantity, c.ucum, 'Observation.component[0].valueQuantity')
    if (!v1.ok) return v1
    const v2 = readQuantity(dia.valueQuantity, c.ucum, 'Observation.component[1].valueQuantity')
    if (!v2.ok) return v2
    return { ok: true, value: { type, value: v1.value, value2: v2.value, day } }
  }
  const v = readQuantity(body.valueQuantity, c.ucum, 'Observation.valueQuantity')
  if (!v.ok) return v
  return { ok: true, value: { type, value: v.value, day } }
}

/* ------------------------------------------------------------------ DocumentReference */

export const DOCUMENT_CATEGORY_SYSTEM = 'https://monespacesante.fr/fhir/CodeSystem/categorie-document'

export interface DocumentRecord {
  id: string
  category: string
  title: string
  document_date: string
  mime: string
  size_bytes: number | string
  author_name: string
  created_at: Date | string
}

export function toDocumentReference(d: DocumentRecord, patientId: string, categoryLabel: string, data?: string) {
  const concept = { coding: [{ system: DOCUMENT_CATEGORY_SYSTEM, code: d.category, display: categoryLabel }] }
  return {
    resourceType: 'DocumentReference' as const,
    id: d.id,
    status: 'current',
    type: concept,
    category: [concept],
    subject: { reference: `Patient/${patientId}` },
    date: new Date(d.created_at).toISOString(),
    author: [{ display: d.author_name }],
    description: d.title,
    content: [
      {
        attachment: {
          contentType: d.mime,
          size: Number(d.size_bytes),
          title: d.title,
          creation: d.document_date,
          ...(data !== undefined ? { data } : {}),
        },
      },
    ],
  }
}

/**
 * Standard base64 (RFC 4648 §4, padded): a multiple of 4 characters of the alphabet, then at most two «=».
 * Scanned for one character outside the alphabet, never matched whole by a backtracking pattern: over a
 * 14 Mo document, `/^[A-Za-z0-9+/]+={0,2}$/` could exhaust the regular-expression stack (a RangeError, a 500).
 */
export function isBase64(s: string): boolean {
  if (s.length === 0 || s.length % 4 !== 0 || /[^A-Za-z0-9+/=]/.test(s)) return false
  const pad = s.indexOf('=')
  return pad === -1 || (pad >= s.length - 2 && s.slice(pad) === '='.repeat(s.length - pad))
}

/** A posted DocumentReference: category code, title, date, content in base64 (checked as bytes later). */
export function parseDocumentReference(
  body: unknown,
  isCategory: (c: string) => boolean,
): Parsed<{ category: string; title: string; day: string; bytes: Buffer; contentType?: string }> {
  if (!isObj(body) || body.resourceType !== 'DocumentReference')
    return bad('Le corps doit être une ressource DocumentReference', 'DocumentReference', 400, 'structure')
  const cats = Array.isArray(body.category) ? body.category : []
  const category =
    codingCode(body.type, DOCUMENT_CATEGORY_SYSTEM) ?? cats.map((c: unknown) => codingCode(c, DOCUMENT_CATEGORY_SYSTEM)).find(Boolean)
  if (!category)
    return bad(
      `DocumentReference.category doit porter un code du système ${DOCUMENT_CATEGORY_SYSTEM}`,
      'DocumentReference.category',
      400,
      'required',
    )
  if (!isCategory(category)) return bad('Catégorie de document inconnue', 'DocumentReference.category', 422, 'value')
  const content: unknown = Array.isArray(body.content) ? body.content[0] : undefined
  const att = isObj(content) && isObj(content.attachment) ? content.attachment : undefined
  if (!att || typeof att.data !== 'string' || !att.data)
    return bad(
      'DocumentReference.content[0].attachment.data (base64) est obligatoire',
      'DocumentReference.content[0].attachment.data',
      400,
      'required',
    )
  if (!isBase64(att.data)) return bad("Le contenu n'est pas du base64 valide", 'DocumentReference.content[0].attachment.data')
  const title = (typeof att.title === 'string' ? att.title : typeof body.description === 'string' ? body.description : '').trim()
  if (!title) return bad('Donnez un titre (attachment.title ou description)', 'DocumentReference.description', 400, 'required')
  if (title.length > 50) return bad('Le titre doit contenir 50 caractères au plus', 'DocumentReference.description', 422, 'value')
  const day = att.creation !== undefined ? fhirDay(att.creation) : typeof body.date === 'string' ? fhirDay(body.date) : isoDate()
  if (!day) return bad('Date invalide (attachment.creation ou date)', 'DocumentReference.date')
  return {
    ok: true,
    value: {
      category,
      title,
      day,
      bytes: Buffer.from(att.data, 'base64'),
      contentType: typeof att.contentType === 'string' ? att.contentType : undefined,
    },
  }
}

/* ------------------------------------------------------------------ Immunization, Appointment */

export const VACCINE_SYSTEM = 'https://monespacesante.fr/fhir/CodeSystem/vaccin'

export function toImmunization(
  v: { id: string; vaccine: string; label: string; date: string; dose: string; professional: string; lot: string | null },
  subject: string,
) {
  return {
    resourceType: 'Immunization' as const,
    id: v.id,
    status: 'completed',
    vaccineCode: { coding: [{ system: VACCINE_SYSTEM, code: v.vaccine, display: v.label }], text: v.label },
    patient: { reference: subject },
    occurrenceDateTime: v.date,
    ...(v.lot ? { lotNumber: v.lot } : {}),
    performer: [{ actor: { display: v.professional } }],
    protocolApplied: [{ doseNumberString: v.dose }],
  }
}

const APPOINTMENT_STATUS: Record<string, string> = { confirme: 'booked', honore: 'fulfilled', annule: 'cancelled', non_honore: 'noshow' }

/** The agenda keeps no end time: an appointment lasts 30 minutes, as in its `.ics` (src/domain/ics.ts). */
export const APPOINTMENT_MINUTES = 30

/**
 * The start and end of an agenda event as FHIR instants (R4 app-2: both or neither; app-3: a booked
 * or fulfilled appointment has them): at a time, that time for `APPOINTMENT_MINUTES`; a whole day,
 * from midnight to midnight, Paris time.
 */
export function appointmentPeriod(date: string, time: string | null): { start: string; end: string } {
  if (time) {
    const start = parisToUtc(date, time)
    return { start: parisInstant(start), end: parisInstant(new Date(start.getTime() + APPOINTMENT_MINUTES * 60_000)) }
  }
  return { start: parisInstant(parisToUtc(date, '00:00')), end: parisInstant(parisToUtc(addDays(date, 1), '00:00')) }
}

/** An agenda event as an Appointment, for the API and the export (which adds the notes, `withNotes`). */
export interface AppointmentSource {
  id: string
  title: string
  date: string
  time: string | null
  place: string | null
  professional: string | null
  status: string
  notes?: string | null
}

export function toAppointment(e: AppointmentSource, subject: string, opts: { withNotes?: boolean } = {}) {
  return {
    resourceType: 'Appointment' as const,
    id: e.id,
    status: APPOINTMENT_STATUS[e.status] ?? 'booked',
    description: e.title,
    ...appointmentPeriod(e.date, e.time),
    ...(e.time ? {} : { extension: [{ url: 'https://monespacesante.fr/fhir/StructureDefinition/jour', valueDate: e.date }] }),
    ...(opts.withNotes && e.notes ? { comment: e.notes } : {}),
    participant: [
      { actor: { reference: subject }, status: 'accepted' },
      ...(e.professional ? [{ actor: { display: e.professional }, status: 'accepted' }] : []),
      ...(e.place ? [{ actor: { display: e.place }, status: 'accepted', type: [{ text: 'Lieu' }] }] : []),
    ],
  }
}

/* ------------------------------------------------------------------ search */

export interface DateRange {
  ge?: string
  gt?: string
  le?: string
  lt?: string
}

/** `date=ge2026-01-01&date=lt2026-02-01` (or `eq`/no prefix: that day) as bounds on a day column. */
export function parseDateParams(values: string[]): Parsed<DateRange> {
  const r: DateRange = {}
  for (const raw of values) {
    const m = /^(eq|ge|gt|le|lt)?(.+)$/.exec(raw)
    const day = m
      ? (fhirDay(m[2]) ?? (/^\d{4}-\d{2}$/.test(m[2]) ? `${m[2]}-01` : /^\d{4}$/.test(m[2]) ? `${m[2]}-01-01` : undefined))
      : undefined
    if (!m || !day) return bad(`Paramètre date invalide : ${raw.slice(0, 40)}`, 'date')
    const p = m[1] ?? 'eq'
    if (p === 'eq') {
      r.ge = day
      r.le = day
    } else if (p === 'ge' || p === 'gt' || p === 'le' || p === 'lt') r[p] = day
  }
  return { ok: true, value: r }
}

export const DEFAULT_COUNT = 50
export const MAX_COUNT = 200

export function searchBundle(opts: {
  selfUrl: string
  baseUrl: string
  total: number
  offset: number
  count: number
  nextUrl?: string
  prevUrl?: string
  resources: { resourceType: string; id: string }[]
}) {
  const link = [{ relation: 'self', url: opts.selfUrl }]
  if (opts.nextUrl) link.push({ relation: 'next', url: opts.nextUrl })
  if (opts.prevUrl) link.push({ relation: 'previous', url: opts.prevUrl })
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: opts.total,
    link,
    entry: opts.resources.map((r) => ({ fullUrl: `${opts.baseUrl}/${r.resourceType}/${r.id}`, resource: r, search: { mode: 'match' } })),
  }
}
