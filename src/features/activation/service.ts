import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { personActor, type Actor } from '../../domain/actor'
import { canActivate, type ActivationDecision } from '../../domain/lifecycle'
import { isMinor } from '../../domain/age'
import { validateIdentifiant } from '../../domain/identifiant'
import { checkPassword } from '../../domain/password'
import type { Notifier } from '../../infrastructure/notifier'
import { hashPassword } from '../../infrastructure/passwords'
import type { LimiterFactory } from '../../infrastructure/rateLimit'
import { isoDate } from '../../domain/parisTime'
import { errorCode } from '../../errors'
import type { ActivityLog } from '../history/activity'
import type { CodeService } from '../codes/service'
import type { EmailVerification, EmailCheck } from '../account/emailVerification'
import { summariseDevice } from '../account/signin'
import { accountRepository } from '../account/repository'
import { activationRepository } from './repository'
import type { HolderCheckService, HolderInput } from '../spaces/holder'
import { displayName, spacesRepository, type HolderRow } from '../spaces/repository'

export const TERMS_VERSION = '2026-11'

export type IdentifyResult =
  | { kind: 'ok'; personId: string; codeId: number; firstNames: string; lastName: string; email: string | null }
  | { kind: 'mismatch' | 'code_expired' | 'code_used' }
  | { kind: 'refused'; reason: Exclude<ActivationDecision, { ok: true }>['reason'] }

/** What the journey keeps between its pages (in the session): ids and a password hash, never a code or a password. */
export interface ActivationJourney {
  personId: string
  codeId: number
  firstNames: string
  lastName: string
  emailOnFile: string | null
  identifiant?: string
  passwordHash?: string
  email?: string
  mobile?: string
  verificationId?: string
  emailVerified?: boolean
}

export type CredentialsResult =
  | { ok: true; identifiant: string; passwordHash: string }
  | { ok: false; errors: { field: 'identifiant' | 'password' | 'confirmation'; message: string }[] }

export type ActivateResult =
  { ok: true; accountId: string } | { ok: false; reason: 'code_gone' | 'identifiant_taken' | 'email_unverified' | 'refused' }

/**
 * «Activer mon profil»: code → NIR + date of birth → identifiant + password → verified contact
 * e-mail (and optional mobile) → terms → `activated`, welcome e-mail, history row. From `notified`,
 * `auto_created`, `opposed` (after a new code) and an adult's space activated by their representative.
 */
export function createActivationService(deps: {
  db: Knex
  notifier: Notifier
  activity: ActivityLog
  codes: CodeService
  holder: HolderCheckService
  emailVerification: EmailVerification
  limiter: LimiterFactory
  codeKey: Buffer
  publicUrl: string
}) {
  const { db, notifier, activity, codes, holder } = deps
  const newCodeByAddress = deps.limiter('new-code-address', {
    points: 20,
    durationSeconds: 60 * 60,
    blockSeconds: 60 * 60,
    message: 'Trop de demandes de nouveau code depuis cette adresse.',
  })
  const newCodeByNir = deps.limiter('new-code-nir', {
    points: 5,
    durationSeconds: 60 * 60,
    blockSeconds: 60 * 60,
    message: 'Trop de demandes de nouveau code pour ce numéro de sécurité sociale.',
  })
  const nirKey = (nir: string) => crypto.createHmac('sha256', deps.codeKey).update(`nir:${nir}`).digest('hex').slice(0, 32)

  function decision(h: HolderRow): ActivationDecision {
    return canActivate(h, { hasAccount: Boolean(h.account_id), minor: isMinor(h.birth_date, isoDate()) })
  }

  return {
    async identify(input: HolderInput, address: string): Promise<IdentifyResult> {
      const checked = await holder.check(input, address)
      if (!checked.ok) return { kind: 'mismatch' }
      const h = checked.holder
      const d = decision(h)
      if (!d.ok) return { kind: 'refused', reason: d.reason }
      if (checked.code.status === 'expired') return { kind: 'code_expired' }
      if (checked.code.status === 'used') return { kind: 'code_used' }
      return {
        kind: 'ok',
        personId: h.id,
        codeId: checked.code.id,
        firstNames: h.first_names,
        lastName: h.last_name,
        email: h.account_email ?? h.email,
      }
    },

    /** Checks the chosen identifiant (rules, free) and password (rules, with the person's own data); hashes it. */
    async checkCredentials(
      personId: string,
      input: { identifiant: string; password: string; confirmation: string },
    ): Promise<CredentialsResult> {
      const errors: { field: 'identifiant' | 'password' | 'confirmation'; message: string }[] = []
      const id = validateIdentifiant(input.identifiant)
      if (!id.ok) errors.push({ field: 'identifiant', message: id.message })
      else if (await accountRepository.findByLogin(db, 'patient', id.identifiant)) {
        errors.push({ field: 'identifiant', message: 'Cet identifiant est déjà utilisé : choisissez-en un autre' })
      }
      const person = await spacesRepository.findById(db, personId)
      if (!person) return { ok: false, errors: [{ field: 'identifiant', message: "Recommencez l'activation" }] }
      const pw = checkPassword(input.password, {
        firstNames: person.first_names,
        lastName: person.last_name,
        birthDate: person.birth_date,
        nir: person.nir,
        identifiant: id.ok ? id.identifiant : input.identifiant,
      })
      if (!pw.ok) errors.push({ field: 'password', message: pw.message })
      else if (input.password !== input.confirmation)
        errors.push({ field: 'confirmation', message: 'Les deux mots de passe ne sont pas identiques' })
      if (errors.length || !id.ok) return { ok: false, errors }
      return { ok: true, identifiant: id.identifiant, passwordHash: await hashPassword(input.password) }
    },

    sendEmailCode(personId: string, email: string): Promise<string> {
      return deps.emailVerification.send({ personId, email, purpose: 'activation' })
    },

    verifyEmailCode(verificationId: string, personId: string, code: string): Promise<EmailCheck> {
      return deps.emailVerification.verify(verificationId, personId, code)
    },

    /** The last step, in one transaction: the code is consumed, the account created, the space activated. */
    async activate(
      j: ActivationJourney,
      context: { userAgent?: string; assistedBy?: { agentAccountId: string; organisation: string } },
    ): Promise<ActivateResult> {
      const { identifiant, passwordHash } = j
      if (!identifiant || !passwordHash || !j.verificationId) return { ok: false, reason: 'email_unverified' }
      try {
        return await db.transaction(async (trx) => {
          const h = await spacesRepository.findById(trx, j.personId, { lock: true })
          if (!h || !decision(h).ok) return { ok: false, reason: 'refused' } as const
          if (!(await codes.consumeById(trx, h.id, j.codeId))) return { ok: false, reason: 'code_gone' } as const
          const email = await deps.emailVerification.consume(trx, j.verificationId!, h.id)
          if (!email) return { ok: false, reason: 'email_unverified' } as const
          if (await accountRepository.findByLogin(trx, 'patient', identifiant)) return { ok: false, reason: 'identifiant_taken' } as const
          const now = new Date()
          const account = {
            id: await activationRepository.insertPatientAccount(trx, {
              login: identifiant,
              passwordHash,
              personId: h.id,
              displayName: displayName(h),
              email,
              mobile: j.mobile || null,
              termsVersion: TERMS_VERSION,
              at: now,
            }),
          }
          const from = h.state
          await spacesRepository.setSpace(trx, h.id, { state: 'activated', activated_at: now })
          // At a France Services counter, the history says the activation was assisted.
          const actor: Actor = {
            accountId: account.id,
            kind: 'patient',
            displayName: displayName(h),
            personId: h.id,
            assistedBy: context.assistedBy,
          }
          await activity.record(trx, actor, {
            action: 'space.activated',
            subjectPersonId: h.id,
            objectType: 'space',
            objectId: h.id,
            details: { from },
          })
          await activity.record(trx, actor, {
            action: 'account.signin',
            subjectPersonId: h.id,
            objectType: 'account',
            objectId: account.id,
            details: { device: summariseDevice(context.userAgent), via: 'activation' },
          })
          await notifier.email(trx, {
            to: email,
            kind: 'welcome',
            subject: 'Bienvenue dans Mon espace santé',
            text: [
              `Bonjour ${h.first_names} ${h.last_name},`,
              '',
              'Votre profil Mon espace santé est activé.',
              `Vous vous connecterez avec votre identifiant, votre mot de passe et un code reçu à chaque connexion : ${deps.publicUrl}/connexion`,
              '',
              "Vous pouvez fermer votre profil à tout moment depuis « Mon compte ». Besoin d'aide ? Appelez le 3422.",
              '',
              'Mon espace santé – Assurance Maladie',
            ].join('\n'),
          })
          return { ok: true, accountId: account.id } as const
        })
      } catch (err) {
        // Two people choosing the same identifiant at the same instant: the unique index decides.
        if (errorCode(err) === '23505') return { ok: false, reason: 'identifiant_taken' }
        throw err
      }
    },

    /**
     * «Recevoir un nouveau code»: to the e-mail or postal address on file. The answer is the same
     * whatever happens (unknown person, 30-second rule, space that needs no code, success).
     */
    async requestNewCode(nir: string, birthDate: string, address: string): Promise<void> {
      await newCodeByAddress.consume(address)
      await newCodeByNir.consume(nirKey(nir))
      const h = await spacesRepository.findByNirAndBirthDate(db, nir, birthDate)
      if (!h || !decision(h).ok) return
      await db.transaction((trx) => codes.issue(trx, h, personActor(h.id, displayName(h)), { reason: 'request' }))
    },
  }
}
