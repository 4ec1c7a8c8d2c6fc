import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { canReopen } from '../../domain/lifecycle'
import { checkPassword } from '../../domain/password'
import type { Notifier } from '../../infrastructure/notifier'
import { hashPassword } from '../../infrastructure/passwords'
import type { LimiterFactory } from '../../infrastructure/rateLimit'
import { dateOnly, frenchDate, isoDate } from '../../domain/parisTime'
import type { ActivityLog } from '../history/activity'
import { spacesRepository } from '../spaces/repository'
import type { Devices } from './devices'
import type { SignInService, VerifyResult } from './signin'
import { accountRepository, accountTokensRepository } from './repository'

/** The link of «Mot de passe oublié» is valid 30 minutes. */
export const RESET_LINK_MS = 30 * 60 * 1000

const actorOf = (a: { id: string; display_name: string; person_id: string | null }): Actor => ({
  accountId: a.id,
  kind: 'patient',
  displayName: a.display_name,
  personId: a.person_id ?? undefined,
})

/**
 * «Identifiant oublié», «Mot de passe oublié» (a link valid 30 minutes, then the one-time code: the
 * second factor is never skipped) and the reopening of a closed space. Answers never say whether an
 * account exists.
 */
export function createRecoveryService(deps: {
  db: Knex
  notifier: Notifier
  activity: ActivityLog
  limiter: LimiterFactory
  signIn: SignInService
  devices: Devices
  codeKey: Buffer
  publicUrl: string
}) {
  const { db, notifier, activity, signIn, devices } = deps
  const byAddress = deps.limiter('recovery-address', {
    points: 20,
    durationSeconds: 60 * 60,
    blockSeconds: 60 * 60,
    message: "Trop de demandes d'aide à la connexion depuis cette adresse.",
  })
  const byTarget = deps.limiter('recovery-target', { points: 5, durationSeconds: 60 * 60, message: 'Trop de demandes pour ce compte.' })
  const tokenHash = (token: string) => crypto.createHmac('sha256', deps.codeKey).update(`reset:${token}`).digest('hex')
  const targetKey = (s: string) => crypto.createHmac('sha256', deps.codeKey).update(`target:${s}`).digest('hex').slice(0, 32)

  return {
    /** Sends the identifiants of the patient accounts using this contact e-mail address (same answer otherwise). */
    async forgotIdentifiant(email: string, address: string): Promise<void> {
      await byAddress.consume(address)
      await byTarget.consume(targetKey(email))
      const accounts = await accountRepository.activePatientLoginsByEmail(db, email)
      if (!accounts.length) return
      await notifier.email(db, {
        to: email,
        kind: 'forgotten-identifiant',
        subject: 'Votre identifiant Mon espace santé',
        text: [
          'Bonjour,',
          '',
          accounts.length === 1
            ? `Votre identifiant est : ${accounts[0].login}`
            : `Les identifiants liés à cette adresse sont : ${accounts.map((a) => `${a.login} (${a.display_name})`).join(', ')}`,
          '',
          `Pour vous connecter : ${deps.publicUrl}/connexion`,
          "Si vous n'êtes pas à l'origine de cette demande, vous n'avez rien à faire.",
          '',
          'Mon espace santé',
        ].join('\n'),
      })
    },

    /** E-mails a link valid 30 minutes to the account's contact address (same answer for an unknown identifiant). */
    async forgotPassword(login: string, address: string): Promise<void> {
      await byAddress.consume(address)
      const normalised = login.trim().toLowerCase()
      await byTarget.consume(targetKey(normalised))
      const account = await accountRepository.findActivePatientByLogin(db, normalised)
      if (!account?.email) return
      const to = account.email
      const token = crypto.randomBytes(32).toString('base64url')
      await db.transaction(async (trx) => {
        await accountTokensRepository.voidOpen(trx, account.id, 'password_reset')
        await accountTokensRepository.insert(trx, {
          accountId: account.id,
          purpose: 'password_reset',
          tokenHash: tokenHash(token),
          expiresAt: new Date(Date.now() + RESET_LINK_MS),
        })
        await activity.record(trx, actorOf(account), {
          action: 'account.password_reset_requested',
          subjectPersonId: account.person_id,
          objectType: 'account',
          objectId: account.id,
        })
        await notifier.email(trx, {
          to,
          kind: 'password-reset',
          subject: 'Changer votre mot de passe',
          text: [
            'Bonjour,',
            '',
            'Pour choisir un nouveau mot de passe, ouvrez ce lien (valable 30 minutes, une seule fois) :',
            `${deps.publicUrl}/connexion/nouveau-mot-de-passe?jeton=${token}`,
            '',
            'Un code de connexion vous sera aussi demandé.',
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe ne change pas.",
            '',
            'Mon espace santé',
          ].join('\n'),
        })
      })
    },

    /** Opens a reset link: the account it is for, and a one-time code sent (the link is used up). */
    async openResetLink(token: string): Promise<{ ok: true; accountId: string; challengeId: string; sentTo: string } | { ok: false }> {
      if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return { ok: false }
      const accountId = await accountTokensRepository.consume(db, tokenHash(token), 'password_reset')
      if (!accountId) return { ok: false }
      const sent = await signIn.sendCode(accountId, 'password_reset')
      return { ok: true, accountId, ...sent }
    },

    resendCode: (accountId: string, purpose: 'password_reset' | 'reopen') => signIn.sendCode(accountId, purpose),

    /** Checks the one-time code of a reset or a reopening. */
    async checkCode(challengeId: string, purpose: 'password_reset' | 'reopen', code: string): Promise<VerifyResult> {
      return db.transaction((trx) => signIn.checkCode(trx, challengeId, purpose, code))
    },

    /** Sets the new password (rules with the person's own data); every session of the account ends. */
    async resetPassword(
      accountId: string,
      password: string,
      confirmation: string,
    ): Promise<{ ok: true } | { ok: false; field: 'password' | 'confirmation'; message: string }> {
      const h = await spacesRepository.findByAccountId(db, accountId)
      if (!h) return { ok: false, field: 'password', message: 'Recommencez depuis le début.' }
      const rule = checkPassword(password, {
        firstNames: h.first_names,
        lastName: h.last_name,
        birthDate: h.birth_date,
        nir: h.nir,
        identifiant: h.login ?? undefined,
      })
      if (!rule.ok) return { ok: false, field: 'password', message: rule.message }
      if (password !== confirmation) return { ok: false, field: 'confirmation', message: 'Les deux mots de passe ne sont pas identiques' }
      const hash = await hashPassword(password)
      const account = (await accountRepository.findById(db, accountId))!
      await db.transaction(async (trx) => {
        await accountRepository.setPasswordHash(trx, accountId, hash)
        await activity.record(trx, actorOf(account), {
          action: 'account.password_reset',
          subjectPersonId: account.person_id,
          objectType: 'account',
          objectId: accountId,
        })
        if (account.email)
          await notifier.email(trx, {
            to: account.email,
            kind: 'password-changed',
            subject: 'Votre mot de passe a été changé',
            text: passwordChangedText(deps.publicUrl),
          })
      })
      await devices.endAll(accountId)
      return { ok: true }
    },

    /** What the reopening page says: since when the space is closed, until when it can be reopened. */
    async reopenable(accountId: string): Promise<{ ok: true; closedAt: Date; until: string } | { ok: false; reason: string }> {
      const h = await spacesRepository.findByAccountId(db, accountId)
      if (!h) return { ok: false, reason: 'not_closed' }
      const d = canReopen(h, isoDate())
      return d.ok ? { ok: true, closedAt: h.closed_at!, until: d.until } : { ok: false, reason: d.reason }
    },

    /** Reopens a closed space within its archive period: the data come back as they were. */
    async reopen(accountId: string): Promise<boolean> {
      return db.transaction(async (trx) => {
        const h = await spacesRepository.findByAccountId(trx, accountId, { lock: true })
        if (!h || !canReopen(h, isoDate()).ok) return false
        await spacesRepository.setSpace(trx, h.id, {
          state: 'activated',
          closed_at: null,
          archive_until: null,
          deletion_requested_at: null,
        })
        const account = (await accountRepository.findById(trx, accountId))!
        await activity.record(trx, actorOf(account), {
          action: 'space.reopened',
          subjectPersonId: h.id,
          objectType: 'space',
          objectId: h.id,
          details: { closedOn: dateOnly(h.closed_at!) },
        })
        if (account.email) {
          await notifier.email(trx, {
            to: account.email,
            kind: 'space-reopened',
            subject: 'Votre profil Mon espace santé est rouvert',
            text: [
              'Bonjour,',
              '',
              `Votre profil Mon espace santé, fermé le ${frenchDate(h.closed_at!)}, est rouvert : vos données sont de nouveau accessibles, comme avant la fermeture.`,
              '',
              "Si vous n'êtes pas à l'origine de cette réouverture, appelez le 3422.",
              '',
              'Mon espace santé',
            ].join('\n'),
          })
        }
        return true
      })
    },
  }
}

export function passwordChangedText(publicUrl: string): string {
  return [
    'Bonjour,',
    '',
    "Le mot de passe de votre profil Mon espace santé vient d'être changé. Vos autres appareils ont été déconnectés.",
    '',
    `Si vous n'êtes pas à l'origine de ce changement, choisissez un nouveau mot de passe sans attendre (« Mot de passe oublié » : ${publicUrl}/connexion/mot-de-passe-oublie) et appelez le 3422.`,
    '',
    'Mon espace santé',
  ].join('\n')
}
