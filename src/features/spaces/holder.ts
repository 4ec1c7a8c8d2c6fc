import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type { ThrottleFactory } from '../../infrastructure/rateLimit'
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
 * gets one answer that does not say which part is wrong. Brute force: waits that grow with the wrong
 * entries for one NIR from one address, and from one address over all NIRs (the rule of the
 * sign-in, ASVS 6.1.1): someone else's wrong entries never hold the holder back, nothing is locked.
 * Shared by activation, opposition and the attachment of a child.
 */
export function createHolderCheck(deps: { db: Knex; codes: CodeService; throttle: ThrottleFactory; codeKey: Buffer }) {
  const perNirAddress = deps.throttle('code-entry-nir-address', {
    free: 4,
    firstDelaySeconds: 30,
    maxDelaySeconds: 60 * 60,
    windowSeconds: 24 * 60 * 60,
    message: 'Trop d’essais incorrects avec ce numéro de sécurité sociale.',
  })
  const perAddress = deps.throttle('code-entry-address', {
    free: 60,
    firstDelaySeconds: 5,
    maxDelaySeconds: 60 * 60,
    windowSeconds: 60 * 60,
    message: 'Trop de codes provisoires incorrects ont été saisis depuis cette adresse.',
  })
  // The NIR never appears in a Redis key: a keyed hash stands for it.
  const nirKey = (nir: string) => crypto.createHmac('sha256', deps.codeKey).update(`nir:${nir}`).digest('hex').slice(0, 32)

  return {
    async check(input: HolderInput, address: string): Promise<HolderCheck> {
      const nirAddress = `${nirKey(input.nir)}|${address}`
      await perAddress.check(address)
      await perNirAddress.check(nirAddress)
      const holder = await spacesRepository.findByNirAndBirthDate(deps.db, input.nir, input.birthDate)
      const found = holder ? await deps.codes.find(deps.db, holder.id, input.code) : ({ status: 'wrong' } as const)
      if (!holder || found.status === 'wrong') {
        await perAddress.fail(address)
        await perNirAddress.fail(nirAddress)
        return { ok: false, reason: 'mismatch' }
      }
      await perNirAddress.reset(nirAddress)
      return { ok: true, holder, code: found }
    },
  }
}

export type HolderCheckService = ReturnType<typeof createHolderCheck>

/** The one message for a wrong combination (SPEC §2: never say which part is wrong). */
export const MISMATCH_MESSAGE =
  'Le code provisoire, le numéro de sécurité sociale et la date de naissance ne correspondent pas. Vérifiez les trois informations : elles figurent sur le courrier ou le courriel reçu et sur votre carte Vitale.'
