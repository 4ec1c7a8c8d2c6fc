import { bornOn } from '../../domain/french'
import type { Knex } from 'knex'
import { subjectPersonId, type Actor } from '../../domain/actor'
import {
  checkMeasure,
  formatMeasure,
  imc,
  imcBand,
  IMC_BAND_LABELS,
  MEASURE_BY_TYPE,
  measuresFor,
  type MeasureDefinition,
} from '../../domain/measures'
import { ageOn } from '../../domain/age'
import {
  BLOOD_GROUPS,
  LIST_SECTIONS,
  MAX_EMERGENCY_CONTACTS,
  mayWriteDirectives,
  ORGAN_DONATION_LABELS,
  type ListSection,
  type ListSectionDefinition,
  type OrganDonation,
} from '../../domain/profileSections'
import { BILAN_PREVENTION_2026 } from '../../domain/questionnaires/bilan-prevention-2026'
import { DIRECTIVES_ANTICIPEES_2026 } from '../../domain/questionnaires/directives-anticipees-2026'
import { HABITUDES_DE_VIE_2026 } from '../../domain/questionnaires/habitudes-de-vie-2026'
import {
  answerText,
  bilanOffered,
  cleanAnswers,
  missingRequired,
  visibleSections,
  type Answers,
  type Questionnaire,
} from '../../domain/questionnaires/types'
import {
  can,
  isEmergencyAccess,
  PROFESSIONAL_PROFILE_SECTIONS,
  readableProfileSections,
  type Action,
  type ProfileSection,
} from '../../domain/accessPolicy'
import { doseLabel, vaccineLabel } from '../../domain/vaccines'
import { ForbiddenError, NotFoundError } from '../../errors'
import type { AccessFacts } from '../../access/facts'
import { frenchDate, isoDate } from '../../domain/parisTime'
import type { ActivityLog } from '../history/activity'
import { renderPdf, type PdfSection } from '../../infrastructure/pdf'
import { profileRepository as repo, type ContactInput, type ContactRow, type EntryInput } from './repository'
import { isUuid } from '../../domain/uuid'

/** The documents feature's filing use case (SPEC §4), given by the composition root when it exists. */
export interface DocumentFiler {
  fileDocument(
    trx: Knex.Transaction,
    actor: Actor,
    input: {
      personId: string
      category: string
      title: string
      date: string
      bytes: Buffer
      mime?: 'application/pdf'
      fileName?: string
      author?: { kind?: 'system'; name?: string }
      notify?: boolean
    },
  ): Promise<{ id: string }>
  /** Removes a document the system filed for this person (superseded); false when already gone. */
  withdrawSystemDocument?(trx: Knex.Transaction, personId: string, id: string): Promise<boolean>
}

export interface Subject {
  personId: string
  firstNames: string
  lastName: string
  birthDate: string
  sex: 'F' | 'M'
  age: number
  today: string
  /** The actor looks at someone else's profile (a child's). */
  acting: boolean
}

export type MeasureResult = { ok: true; id: string } | { ok: false; field: 'value' | 'value2' | 'date'; message: string }

export const QUESTIONNAIRES: Record<string, Questionnaire> = {
  [HABITUDES_DE_VIE_2026.id]: HABITUDES_DE_VIE_2026,
  [BILAN_PREVENTION_2026.id]: BILAN_PREVENTION_2026,
  [DIRECTIVES_ANTICIPEES_2026.id]: DIRECTIVES_ANTICIPEES_2026,
}

/** What a change's work may return: its result alone, or with the object its activity row names. */
type ChangeOutcome<T> = { result: T; objectId?: string; objectType?: string }
function withObject<T>(out: ChangeOutcome<T> | T): out is ChangeOutcome<T> {
  return typeof out === 'object' && out !== null && 'result' in out
}

/**
 * The medical profile (SPEC §7): every section of the person whose profile the actor looks at
 * (themselves, or a child they represent), each change in a transaction with its activity row.
 */
export function createProfileService(deps: { db: Knex; activity: ActivityLog; access: AccessFacts; documents?: DocumentFiler }) {
  const { db, activity, access } = deps

  /**
   * Whose profile (the actor's own, or the child's they switched to), and may the actor do this?
   * The access policy decides (src/domain/accessPolicy.ts, resource 'profile-section'); these
   * pages serve the patient side only, so professionals, agents and operators are refused.
   */
  async function subject(q: Knex | Knex.Transaction, actor: Actor, action: Action, section: ProfileSection): Promise<Subject> {
    const personId = subjectPersonId(actor)
    if (actor.kind !== 'patient' || !personId) throw new ForbiddenError()
    await access.authorize(q, actor, action, { type: 'profile-section', section }, personId)
    const p = await repo.person(q, personId)
    if (!p) throw new NotFoundError()
    const today = isoDate()
    return {
      personId,
      firstNames: p.first_names,
      lastName: p.last_name,
      birthDate: p.birth_date,
      sex: p.sex,
      age: ageOn(p.birth_date, today),
      today,
      acting: Boolean(actor.acting),
    }
  }

  /** A change: the subject checked, the work and its activity row in one transaction. */
  async function change<T>(
    actor: Actor,
    section: ProfileSection,
    action: string,
    work: (trx: Knex.Transaction, s: Subject) => Promise<ChangeOutcome<T> | T>,
    policyAction: Action = 'update',
  ): Promise<T> {
    return db.transaction(async (trx) => {
      const s = await subject(trx, actor, policyAction, section)
      const out = await work(trx, s)
      const wrapped = withObject(out) ? out : { result: out }
      await activity.record(trx, actor, {
        action,
        subjectPersonId: s.personId,
        objectType: wrapped.objectType ?? 'profile',
        objectId: wrapped.objectId,
        details: { section },
      })
      return wrapped.result
    })
  }

  /** A read of the profile: logged when the reader is someone else (a representative). */
  async function read<T>(
    actor: Actor,
    section: ProfileSection,
    work: (q: Knex | Knex.Transaction, s: Subject) => Promise<T>,
  ): Promise<T & { subject: Subject }> {
    const s = await subject(db, actor, 'read', section)
    if (!s.acting) return { ...(await work(db, s)), subject: s }
    return db.transaction(async (trx) => {
      const out = await work(trx, s)
      await activity.record(trx, actor, {
        action: 'profile.read',
        subjectPersonId: s.personId,
        objectType: 'profile',
        details: { section },
      })
      return { ...out, subject: s }
    })
  }

  const checkId = (id: string) => {
    if (!isUuid(id)) throw new NotFoundError()
  }

  function measureView(
    def: MeasureDefinition,
    m: { id: string; value: number; value2: number | null; measured_on: string; source_name?: string | null },
  ) {
    return {
      id: m.id,
      date: m.measured_on,
      value: m.value,
      value2: m.value2,
      text: formatMeasure(def, m.value, m.value2),
      source: m.source_name ? `Ajoutée par ${m.source_name}` : null,
    }
  }

  /** IMC from the last weight and the last height, with the adult band. */
  function imcOf(last: Record<string, { value: number; measured_on: string }>, age: number) {
    const w = last.poids
    const h = last.taille
    if (!w || !h) return null
    const value = imc(w.value, h.value)
    const band = imcBand(value, age)
    return {
      value,
      text: value.toLocaleString('fr-FR', { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
      band: band ? IMC_BAND_LABELS[band] : null,
      date: w.measured_on > h.measured_on ? w.measured_on : h.measured_on,
    }
  }

  async function summary(q: Knex | Knex.Transaction, s: Subject) {
    // One after the other: `q` may be a transaction, whose single connection takes one query at a time.
    const entries = await repo.entries(q, s.personId)
    const facts = await repo.facts(q, s.personId)
    const contacts = await repo.contacts(q, s.personId)
    const lastMeasures = await repo.lastMeasures(q, s.personId)
    const directive = await repo.currentDirective(q, s.personId)
    const bilan = await repo.latestResponse(q, s.personId, BILAN_PREVENTION_2026.id)
    const last = Object.fromEntries(lastMeasures.map((m) => [m.type, m]))
    const measures = measuresFor(s.birthDate, s.today).map((def) => ({
      def,
      last: last[def.type] ? measureView(def, last[def.type]) : null,
    }))
    return {
      sections: LIST_SECTIONS.map((def) => ({ def, entries: entries.filter((e) => e.section === def.section) })),
      facts,
      organDonationText: facts?.organ_donation ? ORGAN_DONATION_LABELS[facts.organ_donation] : null,
      trusted: contacts.find((c) => c.role === 'trusted') ?? null,
      emergency: contacts.filter((c) => c.role === 'emergency'),
      measures,
      imc: imcOf(last, s.age),
      directive: directive ?? null,
      lifestyleCount: facts?.lifestyle ? Object.keys(facts.lifestyle).length : 0,
      bilan: bilan ?? null,
      bilanOffered: bilanOffered(s.birthDate, s.today),
      directivesAllowed: mayWriteDirectives(s.age),
    }
  }

  async function fileOrNull(
    trx: Knex.Transaction,
    actor: Actor,
    s: Subject,
    category: string,
    title: string,
    fileName: string,
    bytes: Buffer,
  ): Promise<string | null> {
    if (!deps.documents) return null
    const r = await deps.documents.fileDocument(trx, actor, {
      personId: s.personId,
      category,
      title,
      date: s.today,
      bytes,
      mime: 'application/pdf',
      fileName,
      author: { kind: 'system', name: 'Mon espace santé' },
      notify: false,
    })
    return r.id
  }

  function questionnairePdfSections(qn: Questionnaire, s: Subject, answers: Answers): PdfSection[] {
    return visibleSections(qn, s.birthDate, s.today).map((sec) => ({
      heading: sec.title,
      lines: sec.questions.map((x): [string, string] => [x.label, answerText(x, answers[x.id])]),
    }))
  }

  const who = (s: Subject) => `${s.firstNames} ${s.lastName}, ${bornOn(s.sex).toLowerCase()} ${frenchDate(s.birthDate)}`

  return {
    /** Whether documents can be filed (the documents feature is wired). */
    filesDocuments: Boolean(deps.documents),

    home: (actor: Actor) => read(actor, 'home', summary),
    /** What the actor may do on a section (for the pages: hide a form the policy would refuse). */
    may: async (actor: Actor, action: Action, section: ProfileSection) => {
      return access.allows(db, actor, action, { type: 'profile-section', section }, subjectPersonId(actor))
    },

    // ——— List sections (maladies, traitements, allergies, antécédents familiaux, hospitalisations, handicaps)
    list: (actor: Actor, def: ListSectionDefinition) =>
      read(actor, def.section, async (q, s) => ({ entries: await repo.entries(q, s.personId, def.section) })),
    entry: (actor: Actor, def: ListSectionDefinition, id: string) =>
      read(actor, def.section, async (q, s) => {
        checkId(id)
        const entry = await repo.entry(q, s.personId, def.section, id)
        if (!entry) throw new NotFoundError()
        return { entry }
      }),
    addEntry: (actor: Actor, def: ListSectionDefinition, input: EntryInput) =>
      change(
        actor,
        def.section,
        'profile.entry.add',
        async (trx, s) => {
          const id = await repo.insertEntry(trx, s.personId, def.section, input)
          return { result: id, objectId: id, objectType: 'profile_entry' }
        },
        'create',
      ),
    updateEntry: (actor: Actor, def: ListSectionDefinition, id: string, input: EntryInput) =>
      change(actor, def.section, 'profile.entry.update', async (trx, s) => {
        checkId(id)
        if (!(await repo.updateEntry(trx, s.personId, def.section, id, input))) throw new NotFoundError()
        return { result: id, objectId: id, objectType: 'profile_entry' }
      }),
    deleteEntry: (actor: Actor, def: ListSectionDefinition, id: string) =>
      change(
        actor,
        def.section,
        'profile.entry.delete',
        async (trx, s) => {
          checkId(id)
          if (!(await repo.deleteEntry(trx, s.personId, def.section, id))) throw new NotFoundError()
          return { result: id, objectId: id, objectType: 'profile_entry' }
        },
        'delete',
      ),

    // ——— Groupe sanguin, don d'organes
    facts: (actor: Actor, section: ProfileSection) =>
      read(actor, section, async (q, s) => ({ facts: (await repo.facts(q, s.personId)) ?? null })),
    setBloodGroup: (actor: Actor, group: string | null) =>
      change(actor, 'blood_group', 'profile.blood_group.set', async (trx, s) => {
        if (group !== null && !BLOOD_GROUPS.some((g) => g === group)) throw new Error('groupe sanguin invalide')
        await repo.upsertFacts(trx, s.personId, { blood_group: group })
        return null
      }),
    setOrganDonation: (actor: Actor, position: OrganDonation, note: string | null) =>
      change(actor, 'organ_donation', 'profile.organ_donation.set', async (trx, s) => {
        await repo.upsertFacts(trx, s.personId, { organ_donation: position, organ_donation_note: note, organ_donation_at: new Date() })
        return null
      }),

    // ——— Entourage et volontés
    contacts: (actor: Actor) =>
      read(actor, 'contacts', async (q, s) => {
        const all = await repo.contacts(q, s.personId)
        return { trusted: all.find((c) => c.role === 'trusted') ?? null, emergency: all.filter((c) => c.role === 'emergency') }
      }),
    contact: (actor: Actor, id: string) =>
      read(actor, 'contacts', async (q, s) => {
        checkId(id)
        const contact = await repo.contact(q, s.personId, id)
        if (!contact) throw new NotFoundError()
        return { contact }
      }),
    /** Adds the personne de confiance (one) or an emergency contact (up to 3). */
    addContact: (actor: Actor, role: ContactRow['role'], input: ContactInput) =>
      change<{ ok: true; id: string } | { ok: false; reason: 'trusted_exists' | 'full' }>(
        actor,
        'contacts',
        'profile.contact.add',
        async (trx, s) => {
          await repo.lockPerson(trx, s.personId)
          const all = await repo.contacts(trx, s.personId)
          if (role === 'trusted' && all.some((c) => c.role === 'trusted')) return { result: { ok: false, reason: 'trusted_exists' } }
          if (role === 'emergency' && all.filter((c) => c.role === 'emergency').length >= MAX_EMERGENCY_CONTACTS)
            return { result: { ok: false, reason: 'full' } }
          const id = await repo.insertContact(trx, s.personId, role, input)
          return { result: { ok: true, id }, objectId: id, objectType: 'profile_contact' }
        },
      ),
    updateContact: (actor: Actor, id: string, input: ContactInput) =>
      change(actor, 'contacts', 'profile.contact.update', async (trx, s) => {
        checkId(id)
        if (!(await repo.updateContact(trx, s.personId, id, input))) throw new NotFoundError()
        return { result: id, objectId: id, objectType: 'profile_contact' }
      }),
    deleteContact: (actor: Actor, id: string) =>
      change(
        actor,
        'contacts',
        'profile.contact.delete',
        async (trx, s) => {
          checkId(id)
          if (!(await repo.deleteContact(trx, s.personId, id))) throw new NotFoundError()
          return { result: id, objectId: id, objectType: 'profile_contact' }
        },
        'delete',
      ),

    // ——— Mesures
    measureTypes: (actor: Actor) => read(actor, 'measures', async (_q, s) => ({ types: measuresFor(s.birthDate, s.today) })),
    measureSeries: (actor: Actor, def: MeasureDefinition) =>
      read(actor, 'measures', async (q, s) => {
        if (def.childrenOnly && s.age >= 18) throw new NotFoundError()
        const rows = await repo.measures(q, s.personId, def.type)
        let imcSeries: { date: string; value: number; text: string; band: string | null }[] = []
        if (def.type === 'poids' || def.type === 'taille') {
          // IMC at each weight, with the last height known at that date (or the first one recorded).
          const weights = await repo.measures(q, s.personId, 'poids')
          const heights = await repo.measures(q, s.personId, 'taille')
          if (heights.length) {
            imcSeries = weights.map((w) => {
              const h = [...heights].reverse().find((x) => x.measured_on <= w.measured_on) ?? heights[0]
              const v = imc(w.value, h.value)
              const band = imcBand(v, ageOn(s.birthDate, w.measured_on))
              return {
                date: w.measured_on,
                value: v,
                text: v.toLocaleString('fr-FR', { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
                band: band ? IMC_BAND_LABELS[band] : null,
              }
            })
          }
        }
        return { measures: rows.map((m) => measureView(def, m)), imc: imcSeries }
      }),
    addMeasure: (actor: Actor, def: MeasureDefinition, input: { raw: string | undefined; raw2?: string; date: string }) =>
      db.transaction(async (trx): Promise<MeasureResult> => {
        const s = await subject(trx, actor, 'create', 'measures')
        if (def.childrenOnly && s.age >= 18) throw new NotFoundError()
        const c = checkMeasure(def, { raw: input.raw, raw2: input.raw2, date: input.date, birthDate: s.birthDate, today: s.today })
        if (!c.ok) return c
        const id = await repo.insertMeasure(trx, s.personId, {
          type: def.type,
          value: c.value,
          value2: c.value2 ?? null,
          measured_on: input.date,
        })
        await activity.record(trx, actor, {
          action: 'profile.measure.add',
          subjectPersonId: s.personId,
          objectType: 'measure',
          objectId: id,
          details: { section: 'measures', type: def.type },
        })
        return { ok: true, id }
      }),
    measure: (actor: Actor, id: string) =>
      read(actor, 'measures', async (q, s) => {
        checkId(id)
        const m = await repo.measure(q, s.personId, id)
        if (!m) throw new NotFoundError()
        const def = MEASURE_BY_TYPE[m.type]
        return { measure: measureView(def, m), def }
      }),
    deleteMeasure: (actor: Actor, id: string) =>
      change(
        actor,
        'measures',
        'profile.measure.delete',
        async (trx, s) => {
          checkId(id)
          const m = await repo.measure(trx, s.personId, id)
          if (!m || !(await repo.deleteMeasure(trx, s.personId, id))) throw new NotFoundError()
          return { result: m.type, objectId: id, objectType: 'measure' }
        },
        'delete',
      ),

    // ——— Questionnaires: habitudes de vie, bilan prévention, directives anticipées
    questionnaire: (id: string) => QUESTIONNAIRES[id],
    lifestyle: (actor: Actor) =>
      read(actor, 'lifestyle', async (q, s) => ({
        answers: (await repo.facts(q, s.personId))?.lifestyle ?? {},
        sections: visibleSections(HABITUDES_DE_VIE_2026, s.birthDate, s.today),
      })),
    saveLifestyle: (actor: Actor, body: Record<string, unknown>) =>
      change(actor, 'lifestyle', 'profile.lifestyle.set', async (trx, s) => {
        const answers = cleanAnswers(HABITUDES_DE_VIE_2026, s.birthDate, s.today, body)
        await repo.upsertFacts(trx, s.personId, { lifestyle: answers, lifestyle_version: HABITUDES_DE_VIE_2026.version })
        return null
      }),

    bilan: (actor: Actor) =>
      read(actor, 'bilan', async (q, s) => {
        const draft = await repo.latestResponse(q, s.personId, BILAN_PREVENTION_2026.id, 'draft')
        const last = await repo.latestResponse(q, s.personId, BILAN_PREVENTION_2026.id, 'final')
        return {
          offered: bilanOffered(s.birthDate, s.today),
          draft: draft ?? null,
          last: last ?? null,
          sections: visibleSections(BILAN_PREVENTION_2026, s.birthDate, s.today),
        }
      }),
    /** Saves the answers as a draft; with `finalise`, checks the required answers, makes the PDF and files it. */
    saveBilan: (actor: Actor, body: Record<string, unknown>, finalise: boolean) =>
      db.transaction(
        async (
          trx,
        ): Promise<
          { ok: true; documentId: string | null; pdf?: Buffer } | { ok: false; missing: { id: string; label: string }[]; answers: Answers }
        > => {
          const s = await subject(trx, actor, 'update', 'bilan')
          if (!bilanOffered(s.birthDate, s.today)) throw new ForbiddenError()
          const qn = BILAN_PREVENTION_2026
          const answers = cleanAnswers(qn, s.birthDate, s.today, body)
          const { rows } = await repo.upsertDraft(trx, s.personId, qn.id, qn.version, answers)
          const id = rows[0].id
          if (!finalise) {
            await activity.record(trx, actor, {
              action: 'profile.questionnaire.draft',
              subjectPersonId: s.personId,
              objectType: 'questionnaire',
              objectId: id,
              details: { section: 'bilan' },
            })
            return { ok: true, documentId: null }
          }
          const missing = missingRequired(qn, s.birthDate, s.today, answers)
          if (missing.length) return { ok: false, missing: missing.map((m) => ({ id: m.id, label: m.label })), answers }
          await repo.finalise(trx, id)
          const pdf = await renderPdf({
            title: 'Questionnaire santé – Mon bilan prévention',
            subtitle: `${who(s)}. Réponses finalisées le ${frenchDate(s.today)} (questionnaire version ${qn.version}).`,
            sections: questionnairePdfSections(qn, s, answers),
            footer: `Source du questionnaire : ${qn.source}. Document produit par Mon espace santé.`,
          })
          const documentId = await fileOrNull(trx, actor, s, 'QUEST_SANTE', 'Questionnaire santé', 'questionnaire-sante.pdf', pdf)
          if (documentId) await repo.setResponseDocument(trx, id, documentId)
          await activity.record(trx, actor, {
            action: 'profile.questionnaire.finalise',
            subjectPersonId: s.personId,
            objectType: 'questionnaire',
            objectId: id,
            details: { section: 'bilan' },
          })
          return { ok: true, documentId, pdf }
        },
      ),

    directives: (actor: Actor) =>
      read(actor, 'directives', async (q, s) => ({
        allowed: mayWriteDirectives(s.age),
        current: (await repo.currentDirective(q, s.personId)) ?? null,
        sections: DIRECTIVES_ANTICIPEES_2026.sections,
      })),
    /** A new set of directives replaces the old one and is filed as a PDF (DIR_ANT). Refused for minors. */
    saveDirectives: (actor: Actor, body: Record<string, unknown>) =>
      db.transaction(
        async (trx): Promise<{ ok: true; documentId: string | null } | { ok: false; reason: 'empty' | 'situation'; answers: Answers }> => {
          const s = await subject(trx, actor, 'update', 'directives')
          if (!mayWriteDirectives(s.age)) throw new ForbiddenError('Les directives anticipées sont réservées aux personnes majeures.')
          const qn = DIRECTIVES_ANTICIPEES_2026
          const answers = cleanAnswers(qn, s.birthDate, s.today, body)
          if (!answers.situation) return { ok: false, reason: 'situation', answers }
          if (!answers['maintien-en-vie'] && !answers.sedation && !answers.autres) return { ok: false, reason: 'empty', answers }
          await repo.lockPerson(trx, s.personId)
          const previous = await repo.currentDirective(trx, s.personId)
          const id = await repo.replaceDirective(trx, s.personId, answers)
          // The new directives replace the old ones everywhere: the old PDF leaves Documents (the old
          // answers stay archived in advance_directives with replaced_at, out of every page).
          let replacedDocument = false
          if (previous?.document_id && deps.documents?.withdrawSystemDocument)
            replacedDocument = await deps.documents.withdrawSystemDocument(trx, s.personId, previous.document_id)
          const pdf = await renderPdf({
            title: 'Mes directives anticipées',
            subtitle: `${who(s)}. Rédigées en ligne le ${frenchDate(s.today)} ; elles remplacent toutes les directives précédentes.`,
            sections: questionnairePdfSections(qn, s, answers),
            footer: 'Vous pouvez modifier ou annuler vos directives anticipées à tout moment (art. L1111-11 du Code de la santé publique).',
          })
          const documentId = await fileOrNull(trx, actor, s, 'DIR_ANT', 'Directives anticipées', 'directives-anticipees.pdf', pdf)
          if (documentId) await repo.setDirectiveDocument(trx, id, documentId)
          await activity.record(trx, actor, {
            action: 'profile.directives.replace',
            subjectPersonId: s.personId,
            objectType: 'advance_directive',
            objectId: id,
            details: { section: 'directives', ...(replacedDocument ? { replacedDocumentId: previous!.document_id } : {}) },
          })
          return { ok: true, documentId }
        },
      ),

    /**
     * The medical profile as a professional sees it (SPEC §5 and §7): only the sections the access
     * policy lets their profession read (resource 'profile-section', the matrice d'habilitation:
     * e.g. no directives anticipées for a dentist), the read logged as a professional access (an
     * emergency one highlighted) in the same transaction. 403 without access to the space.
     */
    forProfessional: (actor: Actor, personId: string) =>
      db.transaction(async (trx) => {
        if (actor.kind !== 'professional' || !isUuid(personId)) throw new NotFoundError()
        const facts = await access.authorize(trx, actor, 'read', { type: 'profile-section', section: 'home' }, personId)
        const p = await repo.person(trx, personId)
        if (!p) throw new NotFoundError()
        const today = isoDate()
        const s: Subject = {
          personId,
          firstNames: p.first_names,
          lastName: p.last_name,
          birthDate: p.birth_date,
          sex: p.sex,
          age: ageOn(p.birth_date, today),
          today,
          acting: true,
        }
        const sections = readableProfileSections(actor, facts)
        const shown = new Set<ProfileSection>(sections)
        const vaccinationsAllowed = can(actor, 'list', { type: 'vaccination' }, facts)
        // Only what the policy allows is read (one query after the other on the transaction's connection).
        const lists = LIST_SECTIONS.filter((def) => shown.has(def.section))
        const entries = lists.length ? await repo.entries(trx, personId) : []
        const pf =
          shown.has('blood_group') || shown.has('organ_donation') || shown.has('lifestyle') ? await repo.facts(trx, personId) : undefined
        const contacts = shown.has('contacts') ? await repo.contacts(trx, personId) : []
        const lastMeasures = shown.has('measures') ? await repo.lastMeasures(trx, personId) : []
        const directive = shown.has('directives') ? await repo.currentDirective(trx, personId) : undefined
        const bilan = shown.has('bilan') ? await repo.latestResponse(trx, personId, BILAN_PREVENTION_2026.id, 'final') : undefined
        const vaccinations = vaccinationsAllowed ? await repo.vaccinations(trx, personId) : []
        await activity.record(trx, actor, {
          action: 'profile.read',
          subjectPersonId: personId,
          objectType: 'profile',
          details: { sections: vaccinationsAllowed ? [...sections, 'vaccinations'] : sections },
          emergency: isEmergencyAccess(facts),
        })
        const last = Object.fromEntries(lastMeasures.map((m) => [m.type, m]))
        const lifestyleAnswers = pf?.lifestyle ?? {}
        const sectionsShown: Partial<Record<ProfileSection, boolean>> = Object.fromEntries(
          PROFESSIONAL_PROFILE_SECTIONS.map((x) => [x, shown.has(x)]),
        )
        return {
          subject: s,
          shown: sectionsShown,
          hidden: PROFESSIONAL_PROFILE_SECTIONS.filter((x) => !shown.has(x)).map((x) => PROFESSIONAL_SECTION_TITLES[x]),
          lists: lists.map((def) => ({ def, entries: entries.filter((e) => e.section === def.section) })),
          bloodGroup: shown.has('blood_group') ? (pf?.blood_group ?? null) : null,
          measures: measuresFor(s.birthDate, s.today)
            .filter((def) => last[def.type])
            .map((def) => ({ def, last: measureView(def, last[def.type]) })),
          imc: shown.has('measures') ? imcOf(last, s.age) : null,
          trusted: contacts.find((c) => c.role === 'trusted') ?? null,
          emergency: contacts.filter((c) => c.role === 'emergency'),
          organDonationText: shown.has('organ_donation') && pf?.organ_donation ? ORGAN_DONATION_LABELS[pf.organ_donation] : null,
          lifestyle: shown.has('lifestyle')
            ? visibleSections(HABITUDES_DE_VIE_2026, s.birthDate, s.today).map((sec) => ({
                title: sec.title,
                rows: sec.questions.map((x) => ({ label: x.label, text: answerText(x, lifestyleAnswers[x.id]) })),
              }))
            : [],
          lifestyleCount: shown.has('lifestyle') ? Object.keys(lifestyleAnswers).length : 0,
          bilan: bilan ?? null,
          directive: directive
            ? {
                createdAt: directive.created_at,
                sections: DIRECTIVES_ANTICIPEES_2026.sections.map((sec) => ({
                  title: sec.title,
                  rows: sec.questions.map((x) => ({ label: x.label, text: answerText(x, directive.answers[x.id]) })),
                })),
              }
            : null,
          vaccinationsAllowed,
          vaccinations: vaccinations.map((v) => ({ ...v, label: vaccineLabel(v.vaccine, v.other_name), doseLabel: doseLabel(v.dose) })),
        }
      }),

    /** «Synthèse du profil médical»: a PDF of the whole profile, filed into Documents (SYNTH_PML) when they exist. */
    synthesis: (actor: Actor) =>
      db.transaction(async (trx) => {
        const s = await subject(trx, actor, 'create', 'synthesis')
        const sum = await summary(trx, s)
        const sections: PdfSection[] = sum.sections.map(({ def, entries }) => ({
          heading: def.title,
          lines: entries.length
            ? entries.map((e): [string, string] => [
                e.label + (e.start_date ? ` (depuis le ${frenchDate(e.start_date)})` : ''),
                e.detail ?? '—',
              ])
            : [def.empty],
        }))
        sections.push({ heading: 'Groupe sanguin', lines: [sum.facts?.blood_group ?? 'Non renseigné'] })
        sections.push({
          heading: 'Mesures (dernière valeur)',
          lines: [
            ...sum.measures
              .filter((m) => m.last)
              .map((m): [string, string] => [m.def.label, `${m.last!.text}, le ${frenchDate(m.last!.date)}`]),
            ...(sum.imc ? [['IMC', `${sum.imc.text}${sum.imc.band ? ` (${sum.imc.band})` : ''}`] satisfies [string, string]] : []),
          ],
        })
        if (!sections[sections.length - 1].lines.length) sections[sections.length - 1].lines.push('Aucune mesure enregistrée.')
        sections.push({
          heading: 'Entourage et volontés',
          lines: [
            [
              'Personne de confiance',
              sum.trusted ? `${sum.trusted.name}${sum.trusted.phone ? `, ${sum.trusted.phone}` : ''}` : 'Non désignée',
            ],
            ...sum.emergency.map((c): [string, string] => ['Contact en cas d’urgence', `${c.name}${c.phone ? `, ${c.phone}` : ''}`]),
            ['Don d’organes', sum.organDonationText ?? 'Position non renseignée'],
            ['Directives anticipées', sum.directive ? `rédigées le ${frenchDate(sum.directive.created_at)}` : 'Aucune'],
          ],
        })
        const pdf = await renderPdf({
          title: 'Synthèse du profil médical',
          subtitle: `${who(s)}. Synthèse établie le ${frenchDate(s.today)} à partir des informations du profil médical.`,
          sections,
          footer:
            'Document produit par Mon espace santé à partir des informations saisies dans le profil médical ; il ne remplace pas un avis médical.',
        })
        const documentId = await fileOrNull(trx, actor, s, 'SYNTH_PML', 'Synthèse du profil médical', 'synthese-profil-medical.pdf', pdf)
        await activity.record(trx, actor, {
          action: 'profile.synthesis',
          subjectPersonId: s.personId,
          objectType: 'document',
          objectId: documentId ?? undefined,
          details: { section: 'synthesis' },
        })
        return { documentId, pdf }
      }),
  }
}

const PROFESSIONAL_SECTION_TITLES: Record<ProfileSection, string> = {
  // Object.fromEntries types its keys as string: LIST_SECTIONS defines every ListSection.
  ...(Object.fromEntries(LIST_SECTIONS.map((d) => [d.section, d.title])) as Record<ListSection, string>),
  home: 'Profil médical',
  blood_group: 'Groupe sanguin',
  measures: 'Mesures',
  contacts: 'Entourage',
  organ_donation: 'Don d’organes',
  lifestyle: 'Habitudes de vie',
  bilan: 'Mon bilan prévention',
  directives: 'Directives anticipées',
  synthesis: 'Synthèse du profil médical',
}
