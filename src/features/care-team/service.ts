import type { Knex } from 'knex'
import type { PolicyFacts } from '../../domain/accessPolicy'
import type { Actor } from '../../domain/actor'
import { ForbiddenError, NotFoundError } from '../../errors'
import type { AccessFacts } from '../../access/facts'
import type { ActivityLog } from '../history/activity'
import { careTeamRepository as repo, type ProfessionalEntry } from './repository'

export const fullName = (p: { title: string | null; first_name: string; last_name: string }) =>
  `${p.title ? `${p.title} ` : ''}${p.first_name} ${p.last_name}`

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
    const p = await repo.professionalById(trx, id)
    if (!p) throw new NotFoundError()
    return p
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
        const rpps = await repo.medecinTraitantRpps(trx, personId)
        const medecinTraitant = rpps ? await repo.professionalByRpps(trx, rpps) : undefined
        const rows = await repo.linkedProfessionals(trx, personId)
        const team = rows.filter((r) => !r.blocked_at && (r.listed || r.consent_at || r.administrator))
        const blocked = rows.filter((r) => r.blocked_at)
        return { medecinTraitant, team, blocked, settings: facts.settings }
      })
    },

    /** The directory, by name or RPPS (at most 20 answers). */
    async search(actor: Actor, personId: string, q: string): Promise<ProfessionalEntry[]> {
      return managed(actor, personId, async (trx) => {
        const term = q.trim()
        const digits = term.replace(/\s/g, '')
        return /^\d{11}$/.test(digits) ? repo.searchByRpps(trx, digits, 20) : repo.searchByName(trx, term, 20)
      })
    },

    /** Adds a professional to «Mes professionnels de santé» (grants no access by itself). */
    async add(actor: Actor, personId: string, professionalId: string) {
      return managed(actor, personId, async (trx) => {
        const pro = await professional(trx, professionalId)
        await repo.upsertLink(trx, personId, pro.id, { listed: true })
        await log(trx, actor, personId, 'careteam.add', pro)
        return pro
      })
    },

    /** Removes a professional from the care team: their consent-based access ends. */
    async remove(actor: Actor, personId: string, professionalId: string) {
      return managed(actor, personId, async (trx) => {
        const pro = await professional(trx, professionalId)
        await repo.updateLink(trx, personId, pro.id, { listed: false, consent_at: null, administrator: false })
        await log(trx, actor, personId, 'careteam.remove', pro)
        return pro
      })
    },

    async setAdministrator(actor: Actor, personId: string, professionalId: string, administrator: boolean) {
      return managed(actor, personId, async (trx) => {
        const pro = await professional(trx, professionalId)
        const link = await repo.findLink(trx, personId, pro.id)
        if (!link || link.blocked_at) throw new ForbiddenError()
        await repo.upsertLink(trx, personId, pro.id, { administrator, listed: true })
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
        const now = new Date()
        await repo.upsertLink(trx, personId, pro.id, { blocked_at: now, consent_at: null, administrator: false, listed: false })
        await repo.endEmergencyAccesses(trx, personId, pro.id, now)
        await log(trx, actor, personId, 'careteam.block', pro)
        return pro
      })
    },

    /** A professional of the directory by RPPS, for an administrator about to block them (null: unknown). */
    async findForBlocking(actor: Actor, personId: string, rpps: string): Promise<ProfessionalEntry | null> {
      return blocking(actor, personId, async (trx) => (await repo.professionalByRpps(trx, rpps)) ?? null)
    },

    /**
     * Unblocks: no access comes back by itself (SPEC §5): the consent and the «administrateur» status
     * are cleared, whatever the row held, so consent must be declared again.
     */
    async unblock(actor: Actor, personId: string, professionalId: string) {
      return managed(actor, personId, async (trx) => {
        const pro = await professional(trx, professionalId)
        await repo.updateLink(trx, personId, pro.id, { blocked_at: null, consent_at: null, administrator: false })
        await log(trx, actor, personId, 'careteam.unblock', pro)
        return pro
      })
    },

    async setEmergency(actor: Actor, personId: string, s: { etreat: boolean; btg: boolean; masked: boolean }) {
      return managed(actor, personId, async (trx) => {
        await repo.upsertSettings(trx, personId, { emergency_etreat: s.etreat, emergency_btg: s.btg, emergency_masked: s.masked })
        await log(trx, actor, personId, 'settings.emergency', undefined, { ETREAT: s.etreat, BTG: s.btg, MASKED: s.masked })
      })
    },

    async setMaskNewDocuments(actor: Actor, personId: string, mask: boolean) {
      return managed(actor, personId, async (trx) => {
        await repo.upsertSettings(trx, personId, { mask_new_documents: mask })
        await log(trx, actor, personId, 'settings.mask_new_documents', undefined, { mask })
      })
    },
  }
}

export type CareTeamService = ReturnType<typeof createCareTeamService>
