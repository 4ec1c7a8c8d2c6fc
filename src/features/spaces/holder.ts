import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type { LimiterFactory } from '../../infrastructure/rateLimit'
import type { CodeService } from '../codes/service'
import { spacesRepository, type HolderRow } from './repository'

export interface HolderInput {
  /** Normalised provisional code (12 characters). */
  code: string
  /** Normalised NIR (15 characters). */
  nir: string
  /** YYYY-MM-DD */
  birthDate: string
}

export type HolderCheck =
  { ok: true; holder: HolderRow; code: { status: 'valid' | 'expired' | 'used'; id: number } } | { ok: false; reason: 'mismatch' }

/**
 * Who holds a provisional code: code + NIR + date of birth must all match, and a wrong combination
 * gets one answer that does not say which part is wrong. Brute force: 5 wrong entries for one NIR in
 * an hour lock that NIR's entry for an hour (the fifth answers 429), and a limit per address.
 * Shared by activation, opposition and the attachment of a child.
 */
export function createHolderCheck(deps: { db: Knex; codes: CodeService; limiter: LimiterFactory; codeKey: Buffer }) {
  const perNir = deps.limiter('code-entry-nir', {
    points: 4,
    durationSeconds: 60 * 60,
    blockSeconds: 60 * 60,
    message:
      'Vous avez fait 5 essais incorrects avec ce numéro de sécurité sociale. Par sécurité, la saisie du code provisoire est bloquée pendant une heure.',
  })
  const perAddress = deps.limiter('code-entry-address', {
    points: 30,
    durationSeconds: 60 * 60,
    blockSeconds: 60 * 60,
    message: 'Trop de codes provisoires incorrects ont été saisis depuis cette adresse.',
  })
  // The NIR never appears in a Redis key: a keyed hash stands for it.
  const nirKey = (nir: string) => crypto.createHmac('sha256', deps.codeKey).update(`nir:${nir}`).digest('hex').slice(0, 32)

  return {
    async check(input: HolderInput, address: string): Promise<HolderCheck> {
      await perAddress.check(address)
      await perNir.check(nirKey(input.nir))
      const holder = await spacesRepository.findByNirAndBirthDate(deps.db, input.nir, input.birthDate)
      const found = holder ? await deps.codes.find(deps.db, holder.id, input.code) : ({ status: 'wrong' } as const)
      if (!holder || found.status === 'wrong') {
        await perAddress.consume(address)
        await perNir.consume(nirKey(input.nir))
        return { ok: false, reason: 'mismatch' }
      }
      return { ok: true, holder, code: found }
    },
  }
}

export type HolderCheckService = ReturnType<typeof createHolderCheck>

/** The one message for a wrong combination (SPEC §2: never say which part is wrong). */
export const MISMATCH_MESSAGE =
  'Le code provisoire, le numéro de sécurité sociale et la date de naissance ne correspondent pas. Vérifiez les trois informations : elles figurent sur le courrier ou le courriel reçu et sur votre carte Vitale.'
