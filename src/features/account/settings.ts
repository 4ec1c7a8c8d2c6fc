import type { CarersService } from '../carers/service'
import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import { archiveUntil, deletionDueDate } from '../../domain/lifecycle'
import { checkPassword } from '../../domain/password'
import { TooManyRequestsError, errorMessage } from '../../errors'
import type { Notifier } from '../../infrastructure/notifier'
import { hashPassword, verifyPassword } from '../../infrastructure/passwords'
import type { LimiterFactory } from '../../infrastructure/rateLimit'
import { frenchDate, isoDate } from '../../domain/parisTime'
import type { ActivityLog } from '../history/activity'
import { spacesRepository } from '../spaces/repository'
import type { Devices } from './devices'
import type { EmailCheck, EmailVerification } from './emailVerification'
import { effectivePrefs, type NotificationPrefs, type NotificationPrefsService } from './notificationPrefs'
import { passwordChangedText } from './recovery'
import { accountRepository } from './repository'

/** Thrown when the password typed again was wrong too many times: the route ends the session. */
export class ReauthLimitError extends TooManyRequestsError {}

export type FieldFailure = { ok: false; field: string; message: string }

/**
 * «Mon compte»: contact details (password asked again, a new e-mail verified by a code), password
 * change (the other sessions end), notification settings, signed-in devices, «Fermer mon profil».
 * Always the signed-in person's own account, whichever profile they are looking at.
 */
export function createAccountSettings(deps: {
  /** A closed space ends its carer relationships, on both sides (SPEC §3). */
  carers?: Pick<CarersService, 'endAllOnClosure'>
  db: Knex
  notifier: Notifier
  activity: ActivityLog
  limiter: LimiterFactory
  devices: Devices
  emailVerification: EmailVerification
  notificationPrefs: NotificationPrefsService
  publicUrl: string
}) {
  const { db, notifier, activity, devices } = deps
  // 4 points: the fifth wrong password exceeds the limit and ends the session.
  const reauth = deps.limiter('reauth', {
    points: 4,
    durationSeconds: 15 * 60,
    blockSeconds: 15 * 60,
    message: 'Vous avez saisi un mot de passe incorrect 5 fois. Par sécurité, vous avez été déconnecté.',
  })
  const self = (actor: Actor): Actor => ({ ...actor, acting: undefined })

  async function account(actor: Actor) {
    const a = await accountRepository.findById(db, actor.accountId)
    if (!a) throw new TooManyRequestsError('Reconnectez-vous.')
    return a
  }

  /** The password typed again: 5 wrong in 15 minutes end the session (ReauthLimitError). */
  async function checkCurrentPassword(actor: Actor, password: string): Promise<boolean> {
    const a = await account(actor)
    await reauth.check(a.id).catch((err) => {
      throw new ReauthLimitError(errorMessage(err))
    })
    if (password && (await verifyPassword(a.password_hash, password))) return true
    try {
      await reauth.consume(a.id)
    } catch (err) {
      throw new ReauthLimitError(errorMessage(err))
    }
    return false
  }

  return {
    async overview(actor: Actor) {
      const a = await account(actor)
      const h = await spacesRepository.findByAccountId(db, a.id)
      return {
        login: a.login,
        email: a.email,
        mobile: a.mobile,
        displayName: a.display_name,
        prefs: effectivePrefs(a.notification_prefs, a.notify_new_signin),
        activatedAt: h?.activated_at,
        passwordChangedAt: a.password_changed_at,
      }
    },

    /** New contact details. An unchanged e-mail is saved at once; a new one waits for its code. */
    async startContactChange(
      actor: Actor,
      input: { email: string; mobile: string | null; password: string },
    ): Promise<FieldFailure | { ok: true; done: true } | { ok: true; done: false; verificationId: string }> {
      if (!(await checkCurrentPassword(actor, input.password)))
        return { ok: false, field: 'password', message: 'Le mot de passe est incorrect' }
      const a = await account(actor)
      if (input.email !== a.email) {
        const verificationId = await deps.emailVerification.send({
          personId: a.person_id!,
          accountId: a.id,
          email: input.email,
          purpose: 'contact_change',
        })
        return { ok: true, done: false, verificationId }
      }
      if (input.mobile !== a.mobile) {
        await db.transaction(async (trx) => {
          await accountRepository.setMobile(trx, a.id, input.mobile)
          await activity.record(trx, self(actor), {
            action: 'account.contact_changed',
            subjectPersonId: a.person_id,
            objectType: 'account',
            objectId: a.id,
            details: { fields: ['mobile'] },
          })
          if (a.email)
            await notifier.email(trx, {
              to: a.email,
              kind: 'contact-changed',
              subject: 'Vos coordonnées ont été modifiées',
              text: contactChangedText(deps.publicUrl),
            })
        })
      }
      return { ok: true, done: true }
    },

    verifyEmailCode: (actor: Actor, verificationId: string, code: string): Promise<EmailCheck> =>
      deps.emailVerification.verify(verificationId, actor.personId!, code),

    /** Saves the verified e-mail (and the mobile typed with it); the old address is told. */
    async confirmContactChange(actor: Actor, verificationId: string, mobile: string | null): Promise<boolean> {
      return db.transaction(async (trx) => {
        const a = (await accountRepository.findById(trx, actor.accountId))!
        const email = await deps.emailVerification.consume(trx, verificationId, a.person_id!)
        if (!email) return false
        await accountRepository.setContact(trx, a.id, { email, mobile })
        await activity.record(trx, self(actor), {
          action: 'account.contact_changed',
          subjectPersonId: a.person_id,
          objectType: 'account',
          objectId: a.id,
          details: { fields: mobile !== a.mobile ? ['email', 'mobile'] : ['email'] },
        })
        if (a.email)
          await notifier.email(trx, {
            to: a.email,
            kind: 'contact-changed',
            subject: 'Vos coordonnées ont été modifiées',
            text: contactChangedText(deps.publicUrl),
          })
        return true
      })
    },

    /** A new password; every other session of the account ends. */
    async changePassword(
      actor: Actor,
      input: { current: string; password: string; confirmation: string },
    ): Promise<FieldFailure | { ok: true }> {
      if (!(await checkCurrentPassword(actor, input.current)))
        return { ok: false, field: 'current', message: 'Le mot de passe actuel est incorrect' }
      const h = await spacesRepository.findByAccountId(db, actor.accountId)
      if (!h) return { ok: false, field: 'current', message: 'Reconnectez-vous.' }
      const rule = checkPassword(input.password, {
        firstNames: h.first_names,
        lastName: h.last_name,
        birthDate: h.birth_date,
        nir: h.nir,
        identifiant: h.login ?? undefined,
      })
      if (!rule.ok) return { ok: false, field: 'password', message: rule.message }
      if (input.password === input.current)
        return { ok: false, field: 'password', message: "Le nouveau mot de passe doit être différent de l'actuel" }
      if (input.password !== input.confirmation)
        return { ok: false, field: 'confirmation', message: 'Les deux mots de passe ne sont pas identiques' }
      const hash = await hashPassword(input.password)
      await db.transaction(async (trx) => {
        await accountRepository.setPasswordHash(trx, actor.accountId, hash)
        await activity.record(trx, self(actor), {
          action: 'account.password_changed',
          subjectPersonId: h.id,
          objectType: 'account',
          objectId: actor.accountId,
        })
        if (h.account_email)
          await notifier.email(trx, {
            to: h.account_email,
            kind: 'password-changed',
            subject: 'Votre mot de passe a été changé',
            text: passwordChangedText(deps.publicUrl),
          })
      })
      await devices.endAll(actor.accountId, actor.sessionId)
      return { ok: true }
    },

    async savePrefs(actor: Actor, prefs: NotificationPrefs): Promise<void> {
      await db.transaction(async (trx) => {
        await deps.notificationPrefs.save(trx, actor.accountId, prefs)
        await activity.record(trx, self(actor), {
          action: 'account.notifications_changed',
          subjectPersonId: actor.personId ?? null,
          objectType: 'account',
          objectId: actor.accountId,
          details: {
            off: Object.entries(prefs)
              .filter(([, v]) => !v)
              .map(([k]) => k),
          },
        })
      })
    },

    devices: (actor: Actor) => devices.list(actor.accountId, actor.sessionId),

    async signOutDevice(actor: Actor, publicId: string): Promise<{ ended: boolean; current: boolean }> {
      const r = await devices.endOne(actor.accountId, publicId)
      if (r.ended) {
        await db.transaction((trx) =>
          activity.record(trx, self(actor), {
            action: 'account.device_signed_out',
            subjectPersonId: actor.personId ?? null,
            objectType: 'account',
            objectId: actor.accountId,
          }),
        )
      }
      return { ended: r.ended, current: r.sid !== undefined && r.sid === actor.sessionId }
    },

    async signOutEverywhere(actor: Actor): Promise<number> {
      await db.transaction((trx) =>
        activity.record(trx, self(actor), {
          action: 'account.signed_out_everywhere',
          subjectPersonId: actor.personId ?? null,
          objectType: 'account',
          objectId: actor.accountId,
        }),
      )
      return devices.endAll(actor.accountId)
    },

    /**
     * «Fermer mon profil»: password again; state `closed`, archived 10 years (or deleted within 3
     * months on request); access ends for everyone at once; every session ends; e-mail; history.
     */
    async close(
      actor: Actor,
      input: { password: string; deleteData: boolean },
    ): Promise<FieldFailure | { ok: true; until: string; deletion: boolean }> {
      if (!(await checkCurrentPassword(actor, input.password)))
        return { ok: false, field: 'password', message: 'Le mot de passe est incorrect' }
      const today = isoDate()
      const result = await db.transaction(async (trx) => {
        const h = await spacesRepository.findByAccountId(trx, actor.accountId, { lock: true })
        if (!h || (h.state !== 'activated' && h.state !== 'auto_created')) return null
        const until = archiveUntil(today)
        await spacesRepository.setSpace(trx, h.id, {
          state: 'closed',
          closed_at: trx.fn.now(),
          archive_until: until,
          deletion_requested_at: input.deleteData ? trx.fn.now() : null,
        })
        await activity.record(trx, self(actor), {
          action: 'space.closed',
          subjectPersonId: h.id,
          objectType: 'space',
          objectId: h.id,
          details: { deletionRequested: input.deleteData },
        })
        await deps.carers?.endAllOnClosure(trx, self(actor), h.id)
        if (h.account_email) {
          const what = input.deleteData
            ? `Comme vous l'avez demandé, vos données seront supprimées au plus tard le ${frenchDate(deletionDueDate(today))}. D'ici là, vous pouvez encore rouvrir votre profil.`
            : `Vos données sont archivées jusqu'au ${frenchDate(until)}, puis supprimées. D'ici là, vous pouvez rouvrir votre profil en vous connectant : vos données seront restaurées.`
          await notifier.email(trx, {
            to: h.account_email,
            kind: 'space-closed',
            subject: 'Votre profil Mon espace santé est fermé',
            text: [
              'Bonjour,',
              '',
              'Votre profil Mon espace santé est fermé : plus personne ne peut y accéder.',
              what,
              '',
              "Si vous n'êtes pas à l'origine de cette fermeture, appelez le 3422.",
              '',
              'Mon espace santé',
            ].join('\n'),
          })
        }
        return { until: input.deleteData ? deletionDueDate(today) : until }
      })
      if (!result) return { ok: false, field: 'password', message: 'Votre profil ne peut pas être fermé dans son état actuel.' }
      await devices.endAll(actor.accountId)
      return { ok: true, until: result.until, deletion: input.deleteData }
    },
  }
}

function contactChangedText(publicUrl: string): string {
  return [
    'Bonjour,',
    '',
    "Les coordonnées de votre profil Mon espace santé viennent d'être modifiées.",
    '',
    `Si vous n'êtes pas à l'origine de ce changement, changez votre mot de passe (${publicUrl}/connexion/mot-de-passe-oublie) et appelez le 3422.`,
    '',
    'Mon espace santé',
  ].join('\n')
}
