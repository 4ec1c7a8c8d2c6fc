import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { canBackOffice, type Action } from '../../domain/accessPolicy'
import { CATEGORIES, categoryLabel, isCategory } from '../../domain/documents'
import { forbidden, notFound } from '../../errors'
import type { ActivityLog } from '../history/activity'
import { accessMatrixRepository as repo, adminLogRepository } from './adminRepository'

/** The professions of the matrice d'habilitation, as operators read them. */
export const PROFESSION_LABELS: Record<string, string> = {
  MEDECIN: 'Médecin',
  SAGE_FEMME: 'Sage-femme',
  PHARMACIEN: 'Pharmacien',
  INFIRMIER: 'Infirmier',
  CHIRURGIEN_DENTISTE: 'Chirurgien-dentiste',
  MASSEUR_KINESITHERAPEUTE: 'Masseur-kinésithérapeute',
}
export const professionLabel = (code: string) => PROFESSION_LABELS[code] ?? code

export const MATRIX_REASON_MAX = 200

export interface MatrixChange {
  at: Date
  by: string
  organisation: string | null
  profession: string
  added: string[]
  removed: string[]
  reason: string | null
}

/** Which categories were added and removed between two sets, in the order of the categories. */
export function diffCategories(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  const order: string[] = CATEGORIES.map((c) => c.code)
  const sort = (xs: string[]) => xs.sort((a, b) => order.indexOf(a) - order.indexOf(b))
  return { added: sort(after.filter((c) => !before.includes(c))), removed: sort(before.filter((c) => !after.includes(c))) }
}

/**
 * «Matrice d'accès» (SPEC §5, §12): which document categories each profession may read. The access
 * policy reads it through `access.loadFacts` on every use case (never cached), so a change applies
 * to the very next request of every professional. Each change: one transaction, the profession's
 * row locked, one activity row on the operator's chain (who, when, before → after, the reason).
 */
export function createAccessMatrix(deps: { db: Knex; activity: ActivityLog }) {
  const { db, activity } = deps
  const allow = (actor: Actor, action: Action) => {
    if (!canBackOffice(actor, action, { type: 'access-matrix' })) throw forbidden()
  }

  return {
    categories: CATEGORIES.map((c) => ({ code: c.code, label: c.label })),

    async matrix(actor: Actor): Promise<{ profession: string; label: string; readable: string[] }[]> {
      allow(actor, 'list')
      const rows = await repo.all(db)
      const by = new Map<string, string[]>()
      for (const r of rows) {
        if (!by.has(r.profession)) by.set(r.profession, [])
        if (r.can_read) by.get(r.profession)!.push(r.category)
      }
      const order = Object.keys(PROFESSION_LABELS)
      return [...by.entries()]
        .map(([profession, readable]) => ({ profession, label: professionLabel(profession), readable }))
        .sort(
          (a, b) =>
            (order.indexOf(a.profession) + 1 || 99) - (order.indexOf(b.profession) + 1 || 99) || a.label.localeCompare(b.label, 'fr'),
        )
    },

    async profession(actor: Actor, profession: string): Promise<{ profession: string; label: string; readable: string[] }> {
      allow(actor, 'read')
      const row = (await this.matrix(actor)).find((r) => r.profession === profession)
      if (!row) throw notFound()
      return row
    },

    /** Sets what a profession may read. Returns what changed (nothing written when nothing changed). */
    async update(actor: Actor, profession: string, readable: string[], reason: string): Promise<{ added: string[]; removed: string[] }> {
      allow(actor, 'update')
      if (readable.some((c) => !isCategory(c))) throw new Error('Catégorie inconnue')
      return db.transaction(async (trx) => {
        const current = await repo.lockProfession(trx, profession)
        if (!current.length) throw notFound()
        const before = current.filter((c) => c.can_read).map((c) => c.category)
        const after = [...new Set(readable)]
        const d = diffCategories(before, after)
        if (!d.added.length && !d.removed.length) return d
        const known = new Set([...current.map((c) => c.category), ...CATEGORIES.map((c) => c.code)])
        await repo.setProfession(
          trx,
          profession,
          [...known].map((category) => ({ category, can_read: after.includes(category) })),
        )
        await activity.record(trx, actor, {
          action: 'access_matrix.updated',
          objectType: 'access_matrix',
          objectId: profession,
          details: {
            profession,
            before: diffCategories([], before).added,
            after: diffCategories([], after).added,
            added: d.added,
            removed: d.removed,
            reason,
          },
        })
        return d
      })
    },

    /** The last changes (the activity log is the record of them). */
    async changes(actor: Actor, limit = 10): Promise<MatrixChange[]> {
      allow(actor, 'list')
      const rows = await adminLogRepository.changes(db, ['access_matrix.updated'], limit)
      return rows.map((r) => {
        // The activity log's details are JSON: `update` above wrote them in this shape.
        const d = (r.details ?? {}) as { profession?: string; added?: string[]; removed?: string[]; reason?: string }
        return {
          at: r.occurred_at,
          by: r.actor_name,
          organisation: r.actor_organisation,
          profession: professionLabel(d.profession ?? r.object_id ?? ''),
          added: (d.added ?? []).map(categoryLabel),
          removed: (d.removed ?? []).map(categoryLabel),
          reason: d.reason ?? null,
        }
      })
    },
  }
}
