import type { Knex } from 'knex'
import { personActor, type Actor } from '../../domain/actor'
import { canOppose, newReference, type OppositionDecision } from '../../domain/lifecycle'
import { seal } from '../../infrastructure/crypto'
import type { Notifier } from '../../infrastructure/notifier'
import { frenchDate } from '../../domain/parisTime'
import type { ActivityLog } from '../history/activity'
import type { CodeService } from '../codes/service'
import type { HolderCheckService, HolderInput } from '../spaces/holder'
import { displayName, spacesRepository, type HolderRow } from '../spaces/repository'
import { lettersRepository } from '../back-office/lettersRepository'
import { oppositionRepository } from './repository'

export type OppositionCheck =
  | { kind: 'ok'; personId: string; codeId: number; deadline: Date }
  | { kind: 'mismatch' | 'code_expired' | 'code_used' }
  | { kind: 'refused'; reason: Exclude<OppositionDecision, { ok: true }>['reason']; opposedAt?: Date | null; reference?: string | null }

/** What the receipt page shows (kept in the session between the confirmation and the receipt: opposedAt is an ISO string). */
export interface OppositionReceipt {
  reference: string
  opposedAt: string
  name: string
  channel: 'email' | 'post'
}

/**
 * «M'opposer à la création de mon profil»: code + NIR + date of birth → explicit confirmation →
 * `opposed`, a receipt with a reference, an e-mail (or a letter without e-mail). Possible until the
 * space is auto-created; the person may later ask for a new code and activate.
 */
export function createOppositionService(deps: {
  db: Knex
  notifier: Notifier
  activity: ActivityLog
  codes: CodeService
  holder: HolderCheckService
  masterKey: Buffer
  publicUrl: string
}) {
  const { db, notifier, activity, codes, holder } = deps

  /** The opposition itself: state, reference, history row, e-mail or letter. The caller holds the space's lock. */
  async function record(
    trx: Knex.Transaction,
    h: HolderRow,
    actor: Actor,
    details: Record<string, unknown> = {},
  ): Promise<OppositionReceipt> {
    let reference = newReference('OPP')
    while (await oppositionRepository.referenceTaken(trx, reference)) reference = newReference('OPP')
    const now = new Date()
    await spacesRepository.setSpace(trx, h.id, { state: 'opposed', opposed_at: now, opposition_reference: reference })
    await activity.record(trx, actor, {
      action: 'space.opposed',
      subjectPersonId: h.id,
      objectType: 'space',
      objectId: h.id,
      details: { reference, ...details },
    })
    const channel = h.email ? 'email' : 'post'
    const when = frenchDate(now)
    if (h.email) {
      await notifier.email(trx, {
        to: h.email,
        kind: 'opposition-receipt',
        subject: 'Votre opposition à la création de Mon espace santé',
        text: [
          `Bonjour ${displayName(h)},`,
          '',
          `Nous avons bien enregistré, le ${when}, votre opposition à la création de votre profil Mon espace santé.`,
          `Référence : ${reference}`,
          '',
          "Votre profil ne sera pas créé. Si vous changez d'avis, vous pourrez demander un nouveau code provisoire et activer votre profil :",
          `${deps.publicUrl}/nouveau-code`,
          '',
          'Mon espace santé – Assurance Maladie',
        ].join('\n'),
      })
    } else {
      const address = { name: displayName(h), line1: h.address_line1, line2: h.address_line2, postcode: h.postcode, city: h.city }
      const payload = seal(deps.masterKey, JSON.stringify({ reference, opposedAt: now.toISOString() }))
      await lettersRepository.queue(trx, h.id, 'opposition_receipt', address, payload)
    }
    return { reference, opposedAt: now.toISOString(), name: displayName(h), channel }
  }

  return {
    async check(input: HolderInput, address: string, now = new Date()): Promise<OppositionCheck> {
      const checked = await holder.check(input, address)
      if (!checked.ok) return { kind: 'mismatch' }
      const h = checked.holder
      const d = canOppose(h, now)
      if (!d.ok) return { kind: 'refused', reason: d.reason, opposedAt: h.opposed_at, reference: h.opposition_reference }
      if (checked.code.status === 'expired') return { kind: 'code_expired' }
      if (checked.code.status === 'used') return { kind: 'code_used' }
      return { kind: 'ok', personId: h.id, codeId: checked.code.id, deadline: d.deadline }
    },

    async oppose(
      personId: string,
      codeId: number,
    ): Promise<{ ok: true; receipt: OppositionReceipt } | { ok: false; reason: 'code_gone' | 'refused' }> {
      return db.transaction(async (trx) => {
        const h = await spacesRepository.findById(trx, personId, { lock: true })
        if (!h || !canOppose(h).ok) return { ok: false, reason: 'refused' } as const
        if (!(await codes.consumeById(trx, h.id, codeId))) return { ok: false, reason: 'code_gone' } as const
        return { ok: true, receipt: await record(trx, h, personActor(h.id, displayName(h))) } as const
      })
    },

    /**
     * An opposition received by someone else on the person's behalf (the 3422 by phone, a France
     * Services counter), in the caller's transaction, after they checked the person's identity instead
     * of the provisional code: same rules, same receipt; the code still in force is voided; the history
     * row names the actor (an operator or an agent) with `details`.
     */
    async opposeFor(
      trx: Knex.Transaction,
      actor: Actor,
      personId: string,
      details: Record<string, unknown>,
    ): Promise<
      { ok: true; receipt: OppositionReceipt } | { ok: false; reason: Exclude<OppositionDecision, { ok: true }>['reason'] | 'unknown' }
    > {
      const h = await spacesRepository.findById(trx, personId, { lock: true })
      if (!h) return { ok: false, reason: 'unknown' } as const
      const d = canOppose(h)
      if (!d.ok) return { ok: false, reason: d.reason } as const
      await codes.voidActive(trx, h.id)
      return { ok: true, receipt: await record(trx, h, actor, details) } as const
    },
  }
}

export type OppositionService = ReturnType<typeof createOppositionService>
