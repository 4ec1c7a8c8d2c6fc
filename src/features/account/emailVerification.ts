import type { Knex } from 'knex'
import { OTP_MAX_ATTEMPTS, OTP_VALIDITY_MS, generateOtp, hashOtp, otpMatches } from '../../domain/otp'
import type { Notifier } from '../../infrastructure/notifier'
import type { LimiterFactory } from '../../infrastructure/rateLimit'
import { emailVerificationsRepository } from './repository'

export type EmailCheck =
  { ok: true; email: string } | { ok: false; reason: 'wrong'; attemptsLeft: number } | { ok: false; reason: 'expired' | 'exhausted' }

/**
 * A contact e-mail address is verified by a 6-digit code sent to it (activation, change of contact
 * e-mail): 10 minutes, 5 tries, a new code voids the previous one, at most 5 sends in 15 minutes.
 */
export function createEmailVerification(deps: { db: Knex; notifier: Notifier; limiter: LimiterFactory; codeKey: Buffer }) {
  const { db, notifier, codeKey } = deps
  const sends = deps.limiter('email-verification-send', {
    points: 5,
    durationSeconds: 15 * 60,
    message: 'Trop de codes de vérification demandés.',
  })

  return {
    async send(input: { personId: string; accountId?: string; email: string; purpose: 'activation' | 'contact_change' }): Promise<string> {
      await sends.consume(input.personId)
      return db.transaction(async (trx) => {
        await emailVerificationsRepository.voidOpen(trx, input.personId, input.purpose)
        const code = generateOtp()
        const id = await emailVerificationsRepository.insert(trx, {
          personId: input.personId,
          accountId: input.accountId ?? null,
          purpose: input.purpose,
          email: input.email,
          expiresAt: new Date(Date.now() + OTP_VALIDITY_MS),
        })
        await emailVerificationsRepository.setCodeHash(trx, id, hashOtp(codeKey, id, code))
        await notifier.email(trx, {
          to: input.email,
          kind: 'email-verification',
          subject: 'Vérification de votre adresse électronique',
          text: [
            'Bonjour,',
            '',
            `Pour confirmer cette adresse électronique dans Mon espace santé, saisissez le code : ${code}`,
            '',
            "Il est valable 10 minutes et ne sert qu'une fois. Ne le communiquez à personne.",
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.",
            '',
            'Mon espace santé',
          ].join('\n'),
        })
        return id
      })
    },

    /** Checks the typed code; a right code marks the address verified (it is used by the caller's next step). */
    async verify(id: string, personId: string, code: string): Promise<EmailCheck> {
      return db.transaction(async (trx) => {
        const row = await emailVerificationsRepository.findForUpdate(trx, id, personId)
        if (!row || row.used_at || new Date(row.expires_at).getTime() < Date.now()) return { ok: false, reason: 'expired' }
        if (row.verified_at) return { ok: true, email: row.email }
        if (row.attempts >= OTP_MAX_ATTEMPTS) return { ok: false, reason: 'exhausted' }
        if (!/^\d{6}$/.test(code) || !otpMatches(codeKey, row.id, code, row.code_hash)) {
          const attempts = row.attempts + 1
          await emailVerificationsRepository.setAttempts(trx, id, attempts, attempts >= OTP_MAX_ATTEMPTS)
          return attempts >= OTP_MAX_ATTEMPTS
            ? { ok: false, reason: 'exhausted' }
            : { ok: false, reason: 'wrong', attemptsLeft: OTP_MAX_ATTEMPTS - attempts }
        }
        await emailVerificationsRepository.markVerified(trx, id)
        return { ok: true, email: row.email }
      })
    },

    /** In the caller's transaction: the verified address, consumed (null if it is not verified or already used). */
    async consume(trx: Knex.Transaction, id: string, personId: string): Promise<string | null> {
      return (await emailVerificationsRepository.consumeVerified(trx, id, personId)) ?? null
    },
  }
}

export type EmailVerification = ReturnType<typeof createEmailVerification>
