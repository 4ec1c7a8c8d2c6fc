import { randomUUID } from 'node:crypto'
import { DOCUMENT_CATEGORY_SYSTEM, LOINC, toAppointment, toImmunization, toObservation, toPatient, type AppointmentSource } from './fhir'
import { vaccineLabel, doseLabel } from './vaccines'
import { categoryLabel } from './documents'
import { LIST_SECTIONS, organDonationLabel } from './profileSections'

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
  /** Agenda events, with their notes (the export writes them; the API does not). */
  events: (AppointmentSource & { notes: string | null })[]
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

/** Our own code systems (no national terminology covers these local codes). */
const LOCAL = 'urn:mon-espace-sante'

const urn = (id: string) => `urn:uuid:${id}`

function sectionTitle(section: string): string {
  return LIST_SECTIONS.find((s) => s.section === section)?.title ?? section
}

function entryResource(e: SpaceData['entries'][number], patientRef: string): Record<string, unknown> & { id: string } {
  const note = e.detail ? [{ text: e.detail }] : undefined
  const ended = e.endDate !== null
  switch (e.section) {
    case 'allergies':
      return {
        resourceType: 'AllergyIntolerance',
        id: e.id,
        // R4 ait-1: the clinical status is always given (an allergy with an end date is resolved).
        clinicalStatus: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: ended ? 'resolved' : 'active' }],
        },
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

  for (const e of data.entries) add(entryResource(e, patientRef))

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
      valueString: organDonationLabel(data.facts.organDonation),
      ...(data.facts.organDonationNote ? { note: [{ text: data.facts.organDonationNote }] } : {}),
    })
  }

  for (const m of data.measures)
    add(
      toObservation(
        { id: m.id, type: m.type, value: m.value, value2: m.value2, measured_on: m.measuredOn, source_name: m.source ?? null },
        patientRef,
      ),
    )

  for (const v of data.vaccinations)
    add(toImmunization({ ...v, label: vaccineLabel(v.vaccine, v.otherName), dose: doseLabel(v.dose) }, patientRef))

  for (const ev of data.events) add(toAppointment(ev, patientRef, { withNotes: true }))

  for (const d of data.documents) {
    add({
      resourceType: 'DocumentReference',
      id: d.id,
      status: 'current',
      type: { text: d.title },
      category: [{ coding: [{ system: DOCUMENT_CATEGORY_SYSTEM, code: d.category, display: categoryLabel(d.category) }] }],
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
