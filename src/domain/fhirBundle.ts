import { randomUUID } from 'node:crypto'
import { toPatient } from './fhir'
import { MEASURE_BY_TYPE } from './measures'
import { vaccineLabel, doseLabel } from './vaccines'
import { categoryLabel } from './documents'
import { statusLabel } from './agenda'
import { LIST_SECTIONS, ORGAN_DONATION_LABELS, type OrganDonation } from './profileSections'

/**
 * «Télécharger mes données» (issue 8): the whole space as a FHIR R4 `Bundle` of type `collection`.
 * Pure: the export job loads a `SpaceData` and gets JSON-ready objects back. References between
 * entries use their `urn:uuid:` full URLs; each DocumentReference points to its file inside the ZIP.
 */

export interface SpaceData {
  person: { id: string; lastName: string; firstNames: string; sex: string; birthDate: string }
  contacts: {
    id: string
    role: 'trusted' | 'emergency'
    name: string
    relationship: string | null
    phone: string | null
    email: string | null
  }[]
  facts: { bloodGroup: string | null; organDonation: string | null; organDonationNote: string | null } | null
  entries: { id: string; section: string; label: string; detail: string | null; startDate: string | null; endDate: string | null }[]
  /** `source`: the connected service that wrote the measure («Ajoutée par Withings Health Mate»), null when typed in. */
  measures: { id: string; type: string; value: number; value2: number | null; measuredOn: string; source?: string | null }[]
  vaccinations: {
    id: string
    vaccine: string
    otherName: string | null
    date: string
    dose: string
    professional: string
    lot: string | null
  }[]
  events: {
    id: string
    title: string
    date: string
    time: string | null
    place: string | null
    professional: string | null
    notes: string | null
    status: string
  }[]
  /** Documents in the ZIP, with the path of their file inside it. */
  documents: {
    id: string
    title: string
    category: string
    date: string
    mime: string
    size: number
    authorName: string
    authorProfession: string | null
    createdAt: string
    masked: boolean
    path: string
  }[]
}

/** LOINC code and UCUM unit of each measure of the profile (SPEC §7). */
export const MEASURE_LOINC: Record<
  string,
  { code: string; display: string; unit: string; category: 'vital-signs' | 'laboratory' | 'survey' }
> = {
  poids: { code: '29463-7', display: 'Body weight', unit: 'kg', category: 'vital-signs' },
  taille: { code: '8302-2', display: 'Body height', unit: 'cm', category: 'vital-signs' },
  tension: { code: '85354-9', display: 'Blood pressure panel with all children optional', unit: 'mm[Hg]', category: 'vital-signs' },
  'frequence-cardiaque': { code: '8867-4', display: 'Heart rate', unit: '/min', category: 'vital-signs' },
  glycemie: { code: '2339-0', display: 'Glucose [Mass/volume] in Blood', unit: 'g/L', category: 'laboratory' },
  hba1c: { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', unit: '%', category: 'laboratory' },
  temperature: { code: '8310-5', display: 'Body temperature', unit: 'Cel', category: 'vital-signs' },
  'tour-de-taille': { code: '8280-0', display: 'Waist Circumference at umbilicus by Tape measure', unit: 'cm', category: 'vital-signs' },
  douleur: {
    code: '72514-3',
    display: 'Pain severity - 0-10 verbal numeric rating [Score] - Reported',
    unit: '{score}',
    category: 'survey',
  },
  'perimetre-cranien': { code: '9843-4', display: 'Head Occipital-frontal circumference', unit: 'cm', category: 'vital-signs' },
}

const LOINC = 'http://loinc.org'
const UCUM = 'http://unitsofmeasure.org'
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category'
/** Our own code systems (no national terminology covers these local codes). */
const LOCAL = 'urn:mon-espace-sante'

const urn = (id: string) => `urn:uuid:${id}`

function quantity(value: number, unit: string, display: string) {
  return { value, unit: display, system: UCUM, code: unit }
}

/** The UTC offset of Europe/Paris on a day, as «+01:00» / «+02:00». */
export function parisOffset(isoDay: string, time = '12:00'): string {
  const guess = new Date(`${isoDay}T${time}:00Z`)
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Paris',
    hour: '2-digit',
    hourCycle: 'h23',
    day: '2-digit',
  }).formatToParts(guess)
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0)
  const day = Number(parts.find((p) => p.type === 'day')?.value ?? guess.getUTCDate())
  let diff = hour - guess.getUTCHours()
  if (day !== guess.getUTCDate()) diff += 24
  const h = ((diff % 24) + 24) % 24
  return `+${String(h).padStart(2, '0')}:00`
}

function measureObservation(m: SpaceData['measures'][number], patientRef: string) {
  const def = MEASURE_BY_TYPE[m.type]
  const loinc = MEASURE_LOINC[m.type]
  const code = loinc
    ? { coding: [{ system: LOINC, code: loinc.code, display: loinc.display }], text: def?.label ?? m.type }
    : { text: def?.label ?? m.type }
  const base = {
    resourceType: 'Observation' as const,
    id: m.id,
    status: 'final',
    category: [{ coding: [{ system: OBS_CATEGORY, code: loinc?.category ?? 'vital-signs' }] }],
    code,
    subject: { reference: patientRef },
    effectiveDateTime: m.measuredOn,
    ...(m.source ? { device: { display: m.source } } : {}),
  }
  if (m.type === 'tension') {
    return {
      ...base,
      component: [
        {
          code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }], text: 'Systolique' },
          valueQuantity: quantity(m.value, 'mm[Hg]', 'mmHg'),
        },
        ...(m.value2 !== null
          ? [
              {
                code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }], text: 'Diastolique' },
                valueQuantity: quantity(m.value2, 'mm[Hg]', 'mmHg'),
              },
            ]
          : []),
      ],
    }
  }
  return { ...base, valueQuantity: quantity(m.value, loinc?.unit ?? '1', def?.unit ?? '') }
}

const APPOINTMENT_STATUS: Record<string, string> = { confirme: 'booked', honore: 'fulfilled', annule: 'cancelled', non_honore: 'noshow' }

function sectionTitle(section: string): string {
  return LIST_SECTIONS.find((s) => s.section === section)?.title ?? section
}

function entryResource(e: SpaceData['entries'][number], patientRef: string): Record<string, unknown> {
  const note = e.detail ? [{ text: e.detail }] : undefined
  const ended = e.endDate !== null
  switch (e.section) {
    case 'allergies':
      return {
        resourceType: 'AllergyIntolerance',
        id: e.id,
        code: { text: e.label },
        patient: { reference: patientRef },
        ...(e.startDate ? { onsetDateTime: e.startDate } : {}),
        ...(note ? { note } : {}),
      }
    case 'treatments':
      return {
        resourceType: 'MedicationStatement',
        id: e.id,
        status: ended ? 'completed' : 'active',
        medicationCodeableConcept: { text: e.label },
        subject: { reference: patientRef },
        ...(e.startDate || e.endDate
          ? { effectivePeriod: { ...(e.startDate ? { start: e.startDate } : {}), ...(e.endDate ? { end: e.endDate } : {}) } }
          : {}),
        ...(note ? { note } : {}),
      }
    case 'family_history':
      return {
        resourceType: 'FamilyMemberHistory',
        id: e.id,
        status: 'completed',
        patient: { reference: patientRef },
        relationship: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'FAMMEMB', display: 'family member' }],
          text: 'Membre de la famille',
        },
        condition: [{ code: { text: e.label }, ...(note ? { note } : {}) }],
      }
    case 'hospitalisations':
      return {
        resourceType: 'Encounter',
        id: e.id,
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
        subject: { reference: patientRef },
        reasonCode: [{ text: e.label }],
        ...(e.startDate || e.endDate
          ? { period: { ...(e.startDate ? { start: e.startDate } : {}), ...(e.endDate ? { end: e.endDate } : {}) } }
          : {}),
      }
    default:
      // Maladies et sujets de santé, handicaps: a Condition whose category says the section.
      return {
        resourceType: 'Condition',
        id: e.id,
        clinicalStatus: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: ended ? 'resolved' : 'active' }],
        },
        category: [{ coding: [{ system: `${LOCAL}:section`, code: e.section }], text: sectionTitle(e.section) }],
        code: { text: e.label },
        subject: { reference: patientRef },
        ...(e.startDate ? { onsetDateTime: e.startDate } : {}),
        ...(e.endDate ? { abatementDateTime: e.endDate } : {}),
        ...(note ? { note } : {}),
      }
  }
}

/** The Bundle (type `collection`) of the whole space. */
export function spaceBundle(data: SpaceData, opts: { id: string; timestamp: string }) {
  const patientRef = urn(data.person.id)
  const entry: { fullUrl: string; resource: Record<string, unknown> }[] = []
  const add = (resource: Record<string, unknown> & { id: string }) => entry.push({ fullUrl: urn(resource.id), resource })

  const patient: Record<string, unknown> & { id: string } = { ...toPatient(data.person) }
  if (data.contacts.length) {
    patient.contact = data.contacts.map((c) => ({
      relationship: [
        c.role === 'trusted'
          ? { coding: [{ system: `${LOCAL}:contact`, code: 'personne-de-confiance' }], text: 'Personne de confiance' }
          : {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'C', display: 'Emergency Contact' }],
              text: "Contact d'urgence",
            },
        ...(c.relationship ? [{ text: c.relationship }] : []),
      ],
      name: { text: c.name },
      ...(c.phone || c.email
        ? {
            telecom: [...(c.phone ? [{ system: 'phone', value: c.phone }] : []), ...(c.email ? [{ system: 'email', value: c.email }] : [])],
          }
        : {}),
    }))
  }
  add(patient)

  for (const e of data.entries) add(entryResource(e, patientRef) as Record<string, unknown> & { id: string })

  if (data.facts?.bloodGroup) {
    add({
      resourceType: 'Observation',
      id: randomUUID(),
      status: 'final',
      code: { coding: [{ system: LOINC, code: '882-1', display: 'ABO and Rh group [Type] in Blood' }], text: 'Groupe sanguin' },
      subject: { reference: patientRef },
      valueCodeableConcept: { text: data.facts.bloodGroup },
    })
  }
  if (data.facts?.organDonation) {
    add({
      resourceType: 'Observation',
      id: randomUUID(),
      status: 'final',
      code: { coding: [{ system: `${LOCAL}:profil`, code: 'don-d-organes' }], text: "Don d'organes" },
      subject: { reference: patientRef },
      valueString: ORGAN_DONATION_LABELS[data.facts.organDonation as OrganDonation] ?? data.facts.organDonation,
      ...(data.facts.organDonationNote ? { note: [{ text: data.facts.organDonationNote }] } : {}),
    })
  }

  for (const m of data.measures) add(measureObservation(m, patientRef))

  for (const v of data.vaccinations) {
    add({
      resourceType: 'Immunization',
      id: v.id,
      status: 'completed',
      vaccineCode: { coding: [{ system: `${LOCAL}:vaccin`, code: v.vaccine }], text: vaccineLabel(v.vaccine, v.otherName) },
      patient: { reference: patientRef },
      occurrenceDateTime: v.date,
      ...(v.lot ? { lotNumber: v.lot } : {}),
      performer: [{ actor: { display: v.professional } }],
      protocolApplied: [{ doseNumberString: doseLabel(v.dose) }],
    })
  }

  for (const ev of data.events) {
    const status = APPOINTMENT_STATUS[ev.status] ?? 'booked'
    const time = ev.time ?? '00:00'
    add({
      resourceType: 'Appointment',
      id: ev.id,
      status,
      description: ev.title,
      start: `${ev.date}T${time}:00${parisOffset(ev.date, time)}`,
      ...(ev.notes ? { comment: ev.notes } : {}),
      participant: [
        { actor: { reference: patientRef }, status: 'accepted' },
        ...(ev.professional ? [{ actor: { display: ev.professional }, status: 'accepted' }] : []),
        ...(ev.place ? [{ actor: { display: ev.place }, status: 'accepted', type: [{ text: 'Lieu' }] }] : []),
      ],
      extension: [{ url: `${LOCAL}:statut-agenda`, valueString: statusLabel(ev.status) }],
    })
  }

  for (const d of data.documents) {
    add({
      resourceType: 'DocumentReference',
      id: d.id,
      status: 'current',
      type: { text: d.title },
      category: [{ coding: [{ system: `${LOCAL}:categorie-document`, code: d.category }], text: categoryLabel(d.category) }],
      subject: { reference: patientRef },
      date: d.createdAt,
      author: [{ display: d.authorProfession ? `${d.authorName} (${d.authorProfession})` : d.authorName }],
      description: d.title,
      ...(d.masked
        ? { securityLabel: [{ coding: [{ system: `${LOCAL}:confidentialite`, code: 'MASQUE_PS' }], text: 'Masqué aux professionnels' }] }
        : {}),
      content: [{ attachment: { contentType: d.mime, url: d.path, size: d.size, title: d.title, creation: d.date } }],
    })
  }

  return { resourceType: 'Bundle' as const, id: opts.id, type: 'collection' as const, timestamp: opts.timestamp, entry }
}
