import type { Knex } from 'knex'
import type { PolicyFacts } from '../../domain/accessPolicy'
import type { Actor } from '../../domain/actor'
import { ForbiddenError, NotFoundError } from '../../errors'
import type { AccessFacts } from '../../access/facts'
import type { ActivityLog } from '../history/activity'

export interface ProfessionalEntry {
  id: string
  rpps: string
  title: string | null
  first_name: string
  last_name: string
  profession: string
  specialty: string | null
  establishment: string | null
  city: string | null
}

export interface CareTeamEntry extends ProfessionalEntry {
  listed: boolean
  consent_at: Date | null
  administrator: boolean
  blocked_at: Date | null
}

export const fullName = (p: { title: string | null; first_name: string; last_name: string }) =>
  `${p.title ? `${p.title} ` : ''}${p.first_name} ${p.last_name}`

const PRO_COLUMNS = ['p.id', 'p.rpps', 'p.title', 'p.first_name', 'p.last_name', 'p.profession', 'p.specialty', 'p.establishment', 'p.city']

/**
 * «Mes professionnels de santé» (SPEC §5, §7): the care team, the médecin traitant (from the
 * registry), administrators, blocked professionals, the three emergency switches and the default
 * masking of new documents. Only the holder or a legal representative manages them
 * (`can(actor, 'manage', { type: 'space' })`); every change is logged in the same transaction.
 */
export function createCareTeamService(deps: { db: Knex; access: AccessFacts; activity: ActivityLog }) {
  const { db, access, activity } = deps

  async function managed<T>(actor: Actor, personId: string, fn: (trx: Knex.Transaction, facts: PolicyFacts) => Promise<T>): Promise<T> {
    return db.transaction(async (trx) => {
      return fn(trx, await access.authorize(trx, actor, 'manage', { type: 'space' }, personId))
    })
  }

  /** Blocking: the holder or a representative, or an «administrateur» professional (SPEC §5), per the policy. */
  async function blocking<T>(actor: Actor, personId: string, fn: (trx: Knex.Transaction, facts: PolicyFacts) => Promise<T>): Promise<T> {
    return db.transaction(async (trx) => {
      return fn(trx, await access.authorize(trx, actor, 'manage', { type: 'blocks' }, personId))
    })
  }

  async function professional(trx: Knex.Transaction, id: string): Promise<ProfessionalEntry> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError()
    const p = await trx('professionals as p').where('p.id', id).first(PRO_COLUMNS)
    if (!p) throw new NotFoundError()
    return p
  }

  async function upsert(trx: Knex.Transaction, personId: string, professionalId: string, patch: Record<string, unknown>): Promise<void> {
    await trx('patient_professionals')
      .insert({ person_id: personId, professional_id: professionalId, ...patch })
      .onConflict(['person_id', 'professional_id'])
      .merge(patch)
  }

  async function log(
    trx: Knex.Transaction,
    actor: Actor,
    personId: string,
    action: string,
    pro?: ProfessionalEntry,
    details?: Record<string, unknown>,
  ) {
    await activity.record(trx, actor, {
      action,
      subjectPersonId: personId,
      objectType: pro ? 'professional' : 'settings',
      objectId: pro?.rpps,
      details: { ...(pro ? { professional: fullName(pro) } : {}), ...(details ?? {}) },
    })
  }

  return {
    async overview(actor: Actor, personId: string) {
      return managed(actor, personId, async (trx, facts) => {
        const person = await trx('insured_persons').where({ id: personId }).first('medecin_traitant_rpps')
        const medecinTraitant: ProfessionalEntry | undefined = person?.medecin_traitant_rpps
          ? await trx('professionals as p').where('p.rpps', person.medecin_traitant_rpps).first(PRO_COLUMNS)
          : undefined
        const rows: CareTeamEntry[] = await trx('patient_professionals as pp')
          .join('professionals as p', 'p.id', 'pp.professional_id')
          .where('pp.person_id', personId)
          .orderBy([{ column: 'p.last_name' }, { column: 'p.first_name' }])
          .select([...PRO_COLUMNS, 'pp.listed', 'pp.consent_at', 'pp.administrator', 'pp.blocked_at'])
        const team = rows.filter((r) => !r.blocked_at && (r.listed || r.consent_at || r.administrator))
        const blocked = rows.filter((r) => r.blocked_at)
        return { medecinTraitant, team, blocked, settings: facts.settings }
      })
    },

    /** The directory, by name or RPPS (at most 20 answers). */
    async search(actor: Actor, personId: string, q: string): Promise<ProfessionalEntry[]> {
      return managed(actor, personId, async (trx) => {
        const term = q.trim()
        const query = trx('professionals as p')
          .select(PRO_COLUMNS)
          .orderBy([{ column: 'p.last_name' }, { column: 'p.first_name' }])
          .limit(20)
        if (/^\d{11}$/.test(term.replace(/\s/g, ''))) query.where('p.rpps', term.replace(/\s/g, ''))
        else {
          const like = `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
          query.where((w) =>
            w
              .whereRaw('lower(p.last_name) LIKE ?', [like])
              .orWhereRaw('lower(p.first_name) LIKE ?', [like])
              .orWhereRaw("lower(p.first_name || ' ' || p.last_name) LIKE ?", [like]),
          )
        }
        return query
      })
    },

    /** Adds a professional to «Mes professionnels de santé» (grants no access by itself). */
    async add(actor: Actor, personId: string, professionalId: string) {
      return managed(actor, personId, async (trx) => {
        const pro = await professional(trx, professionalId)
        await upsert(trx, personId, pro.id, { listed: true })
        await log(trx, actor, personId, 'careteam.add', pro)
        return pro
      })
    },

    /** Removes a professional from the care team: their consent-based access ends. */
    async remove(actor: Actor, personId: string, professionalId: string) {
      return managed(actor, personId, async (trx) => {
        const pro = await professional(trx, professionalId)
        await trx('patient_professionals')
          .where({ person_id: personId, professional_id: pro.id })
          .update({ listed: false, consent_at: null, administrator: false })
        await log(trx, actor, personId, 'careteam.remove', pro)
        return pro
      })
    },

    async setAdministrator(actor: Actor, personId: string, professionalId: string, administrator: boolean) {
      return managed(actor, personId, async (trx) => {
        const pro = await professional(trx, professionalId)
        const link = await trx('patient_professionals').where({ person_id: personId, professional_id: pro.id }).first()
        if (!link || link.blocked_at) throw new ForbiddenError()
        await upsert(trx, personId, pro.id, { administrator, listed: true })
        await log(trx, actor, personId, administrator ? 'careteam.administrator' : 'careteam.administrator_removed', pro)
        return pro
      })
    },

    /**
     * Blocks a professional: every access ends at their next request (consent and emergency too).
     * An administrator may block others, never themselves.
     */
    async block(actor: Actor, personId: string, professionalId: string) {
      return blocking(actor, personId, async (trx, facts) => {
        const pro = await professional(trx, professionalId)
        if (facts.relation.kind === 'professional' && facts.relation.professionalId === pro.id) throw new ForbiddenError()
        await upsert(trx, personId, pro.id, { blocked_at: new Date(), consent_at: null, administrator: false, listed: false })
        await trx('emergency_accesses')
          .where({ person_id: personId, professional_id: pro.id })
          .where('expires_at', '>', new Date())
          .update({ expires_at: new Date() })
        await log(trx, actor, personId, 'careteam.block', pro)
        return pro
      })
    },

    /** A professional of the directory by RPPS, for an administrator about to block them (null: unknown). */
    async findForBlocking(actor: Actor, personId: string, rpps: string): Promise<ProfessionalEntry | null> {
      return blocking(actor, personId, async (trx) => (await trx('professionals as p').where('p.rpps', rpps).first(PRO_COLUMNS)) ?? null)
    },

    /**
     * Unblocks: no access comes back by itself (SPEC §5): the consent and the «administrateur» status
     * are cleared, whatever the row held, so consent must be declared again.
     */
    async unblock(actor: Actor, personId: string, professionalId: string) {
      return managed(actor, personId, async (trx) => {
        const pro = await professional(trx, professionalId)
        await trx('patient_professionals')
          .where({ person_id: personId, professional_id: pro.id })
          .update({ blocked_at: null, consent_at: null, administrator: false })
        await log(trx, actor, personId, 'careteam.unblock', pro)
        return pro
      })
    },

    async setEmergency(actor: Actor, personId: string, s: { etreat: boolean; btg: boolean; masked: boolean }) {
      return managed(actor, personId, async (trx) => {
        const patch = { emergency_etreat: s.etreat, emergency_btg: s.btg, emergency_masked: s.masked, updated_at: new Date() }
        await trx('patient_settings')
          .insert({ person_id: personId, ...patch })
          .onConflict('person_id')
          .merge(patch)
        await log(trx, actor, personId, 'settings.emergency', undefined, { ETREAT: s.etreat, BTG: s.btg, MASKED: s.masked })
      })
    },

    async setMaskNewDocuments(actor: Actor, personId: string, mask: boolean) {
      return managed(actor, personId, async (trx) => {
        const patch = { mask_new_documents: mask, updated_at: new Date() }
        await trx('patient_settings')
          .insert({ person_id: personId, ...patch })
          .onConflict('person_id')
          .merge(patch)
        await log(trx, actor, personId, 'settings.mask_new_documents', undefined, { mask })
      })
    },
  }
}

export type CareTeamService = ReturnType<typeof createCareTeamService>
