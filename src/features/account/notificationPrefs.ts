import type { Knex } from 'knex'
import { accountRepository } from './repository'

/**
 * Notification settings (SPEC §6): one switch per kind, all on by default. An emergency access is
 * always notified and cannot be turned off. Stored in `accounts.notification_prefs`; the new sign-in
 * switch is also kept in `accounts.notify_new_signin`, which the sign-in reads.
 *
 * Other features ask before sending: `services.notificationPrefs.recipient(personId, 'new_document')`
 * gives the address to write to, or null when the person turned that kind off (or has no account).
 */
export const NOTIFICATION_KINDS = [
  {
    key: 'new_signin',
    label: 'Nouvelle connexion à votre profil',
    hint: 'Un courriel à chaque connexion, pour repérer une connexion qui ne serait pas de vous.',
  },
  {
    key: 'professional_access',
    label: "Accès d'un professionnel de santé à votre profil",
    hint: 'Quand un professionnel de santé consulte votre profil pour la première fois.',
  },
  { key: 'new_document', label: 'Nouveau document dans votre profil', hint: 'Quand un professionnel de santé ajoute un document.' },
  { key: 'new_message', label: 'Nouveau message', hint: 'Quand vous recevez un message dans la messagerie sécurisée.' },
  {
    key: 'prevention_due',
    label: 'Vaccination ou dépistage à faire',
    hint: 'Quand un vaccin ou un examen de dépistage recommandé arrive à échéance.',
  },
  {
    key: 'connected_services',
    label: 'Liste de vos services connectés',
    hint: 'Tous les 90 jours, le rappel des services connectés à votre profil.',
  },
] as const

export type OptionalNotification = (typeof NOTIFICATION_KINDS)[number]['key']
export type NotificationKind = OptionalNotification | 'emergency_access'
export type NotificationPrefs = Record<OptionalNotification, boolean>

/** One switch per kind, each given by `on` (every kind named: TypeScript checks none is missing). */
export function prefsFrom(on: (kind: OptionalNotification) => boolean): NotificationPrefs {
  return {
    new_signin: on('new_signin'),
    professional_access: on('professional_access'),
    new_document: on('new_document'),
    new_message: on('new_message'),
    prevention_due: on('prevention_due'),
    connected_services: on('connected_services'),
  }
}

/** The stored preferences completed with the defaults (everything on). */
export function effectivePrefs(stored: Record<string, unknown> | null | undefined, notifyNewSignin?: boolean): NotificationPrefs {
  const prefs = prefsFrom((key) => stored?.[key] !== false)
  if (notifyNewSignin === false) prefs.new_signin = false
  return prefs
}

/** Whether a kind of notification is sent, given the preferences: emergency access always is. */
export function wants(prefs: NotificationPrefs, kind: NotificationKind): boolean {
  return kind === 'emergency_access' ? true : prefs[kind]
}

export function createNotificationPrefs(db: Knex) {
  async function forAccount(accountId: string): Promise<NotificationPrefs> {
    const row = await accountRepository.notificationPrefs(db, accountId)
    return effectivePrefs(row?.notification_prefs, row?.notify_new_signin)
  }
  return {
    forAccount,

    /** Whether this person wants this kind of notification (false without an account). */
    async wants(personId: string, kind: NotificationKind, trx?: Knex | Knex.Transaction): Promise<boolean> {
      return (await this.recipient(personId, kind, trx)) !== null
    },

    /**
     * The e-mail address to notify for this kind, or null (turned off, no account, no address, closed space).
     * `trx`: the caller's transaction, when it holds one (never a second pooled connection, issue 20).
     */
    async recipient(personId: string, kind: NotificationKind, trx?: Knex | Knex.Transaction): Promise<string | null> {
      const row = await accountRepository.notifiablePatient(trx ?? db, personId)
      if (!row?.email) return null
      return wants(effectivePrefs(row.notification_prefs, row.notify_new_signin), kind) ? row.email : null
    },

    /**
     * The legal representatives of a child to notify for this kind (SPEC §3, §6): active
     * representatives whose own switches allow it, each at their own address.
     */
    async representativeRecipients(
      childPersonId: string,
      kind: NotificationKind,
      except?: string,
      trx?: Knex | Knex.Transaction,
    ): Promise<string[]> {
      const rows = await accountRepository.notifiableRepresentatives(trx ?? db, childPersonId, except)
      return rows.flatMap((r) => (r.email && wants(effectivePrefs(r.notification_prefs, r.notify_new_signin), kind) ? [r.email] : []))
    },

    /** Saves the switches (in the caller's transaction). */
    async save(trx: Knex.Transaction, accountId: string, prefs: NotificationPrefs): Promise<void> {
      await accountRepository.setNotificationPrefs(trx, accountId, prefs, prefs.new_signin)
    },
  }
}

export type NotificationPrefsService = ReturnType<typeof createNotificationPrefs>
