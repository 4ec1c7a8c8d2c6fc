import type { Knex } from 'knex'
import { can, professionalRefusal, type PolicyFacts, type ProfessionalRefusal } from '../../domain/accessPolicy'
import type { Actor } from '../../domain/actor'
import { HOLD_REMINDER_DAYS } from '../../domain/documents'
import { SYSTEM_ACTOR } from '../../domain/actor'
import { sameSurname } from '../../domain/surname'
import type { Notifier } from '../../infrastructure/notifier'
import type { Limiter } from '../../infrastructure/rateLimit'
import type { NotificationPrefsService } from '../account/notificationPrefs'
import type { AccessFacts } from '../../access/facts'
import { NotFoundError } from '../../errors'
import type { ActivityLog } from '../history/activity'
import { careTeamRepository } from '../care-team/repository'
import { proPortalRepository as repo } from './repository'

const DAY = 24 * 60 * 60 * 1000
/** How long an emergency access lasts. */
export const EMERGENCY_HOURS = 12

export interface FoundPatient {
  personId: string
  firstNames: string
  lastName: string
  birthDate: string
  sex: string
}

export type AccessDeclaration = { ok: true; emergency: boolean } | { ok: false; reason: ProfessionalRefusal }

/**
 * The professional portal (SPEC §5): find a patient by NIR + date of birth + surname (all three),
 * declare the patient's consent (joins the care team) or an emergency access, with clear refusals.
 * What the professional then sees is decided by the access policy in the documents service.
 */
export function createProPortalService(deps: {
  db: Knex
  access: AccessFacts
  activity: ActivityLog
  notifier: Notifier
  notificationPrefs: NotificationPrefsService
  limiter: Limiter
  publicUrl: string
}) {
  const { db, access, activity, notifier, notificationPrefs } = deps

  function facts(trx: Knex | Knex.Transaction, actor: Actor, personId: string): Promise<PolicyFacts> {
    return access.factsOf(trx, actor, personId)
  }

  return {
    /** All three must match; no partial search, no list. Limited per professional (no enumeration). */
    async findPatient(actor: Actor, input: { nir: string; birthDate: string; lastName: string }): Promise<FoundPatient | null> {
      await deps.limiter.consume(actor.accountId)
      const p = await repo.patientByNir(db, input.nir)
      if (!p || p.birth_date !== input.birthDate || !sameSurname(input.lastName, p.last_name)) return null
      return { personId: p.id, firstNames: p.first_names, lastName: p.last_name, birthDate: p.birth_date, sex: p.sex }
    },

    async patient(actor: Actor, personId: string) {
      const f = await facts(db, actor, personId)
      const p = await repo.patientById(db, personId)
      // (the facts were found, so the person exists: this only tells TypeScript, as factsOf would)
      if (!p) throw new NotFoundError()
      const r = f.relation
      return {
        person: p,
        facts: f,
        hasAccess: can(actor, 'list', { type: 'document' }, f),
        canFile: can(actor, 'create', { type: 'document' }, f),
        /** An «administrateur» may block other professionals for the patient (SPEC §5). */
        canBlock: can(actor, 'manage', { type: 'blocks' }, f),
        /** «Mon histoire de santé»: readable, or hidden by the patient's switch (the page says so). */
        canReadReimbursements: can(actor, 'read', { type: 'reimbursements' }, f),
        refusal: professionalRefusal(f, 'consent'),
        emergencyKind: r.kind === 'professional' ? (r.samuRegulator && f.settings.emergencyEtreat ? 'ETREAT' : 'BTG') : 'BTG',
        emergencyRefusal: professionalRefusal(
          f,
          r.kind === 'professional' && r.samuRegulator && f.settings.emergencyEtreat ? 'ETREAT' : 'BTG',
        ),
        isMinor: false,
      }
    },

    /** «Le patient a donné son consentement»: the professional joins the care team. */
    async declareConsent(actor: Actor, personId: string): Promise<AccessDeclaration> {
      return db.transaction(async (trx) => {
        const f = await facts(trx, actor, personId)
        const refusal = professionalRefusal(f, 'consent')
        if (refusal) return { ok: false, reason: refusal }
        const r = f.relation
        if (r.kind !== 'professional') return { ok: false, reason: 'blocked' }
        const now = new Date()
        await careTeamRepository.upsertLink(trx, personId, r.professionalId, { listed: true, consent_at: now })
        await activity.record(trx, actor, {
          action: 'careteam.consent',
          subjectPersonId: personId,
          objectType: 'professional',
          objectId: r.professionalId,
        })
        const to = await notificationPrefs.recipient(personId, 'professional_access', trx)
        if (to) {
          await notifier.email(trx, {
            to,
            kind: 'professional-access',
            subject: 'Un professionnel de santé a accès à votre profil',
            text: `Bonjour,\n\nUn professionnel de santé a déclaré votre consentement et peut désormais consulter votre profil Mon espace santé.\nPour voir qui, et le bloquer si ce n'est pas vous qui l'avez autorisé, connectez-vous : ${deps.publicUrl}/mes-professionnels\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.`,
          })
        }
        return { ok: true, emergency: false }
      })
    },

    /** «Accès en urgence» (bris de glace, or SAMU regulation): reason required, only if the patient allows it; always e-mailed. */
    async emergencyAccess(actor: Actor, personId: string, reason: string): Promise<AccessDeclaration> {
      return db.transaction(async (trx) => {
        const f = await facts(trx, actor, personId)
        const r = f.relation
        const kind = r.kind === 'professional' && r.samuRegulator && f.settings.emergencyEtreat ? 'ETREAT' : 'BTG'
        const refusal = professionalRefusal(f, kind)
        if (refusal) return { ok: false, reason: refusal }
        if (r.kind !== 'professional') return { ok: false, reason: 'blocked' }
        const now = new Date()
        await repo.insertEmergencyAccess(trx, {
          personId,
          professionalId: r.professionalId,
          kind,
          reason,
          startedAt: now,
          expiresAt: new Date(now.getTime() + EMERGENCY_HOURS * 3600 * 1000),
        })
        // The reason is the professional's words about the patient's health: kept in the access row, not in the log.
        await activity.record(trx, actor, {
          action: 'emergency.access',
          subjectPersonId: personId,
          objectType: 'emergency',
          objectId: kind,
          emergency: true,
        })
        const to = await notificationPrefs.recipient(personId, 'emergency_access', trx)
        if (to) {
          await notifier.email(trx, {
            to,
            kind: 'emergency-access',
            subject: 'Accès en urgence à votre profil Mon espace santé',
            text: `Bonjour,\n\nUn professionnel de santé a accédé à votre profil Mon espace santé en urgence.\nPour voir qui et quand, connectez-vous et ouvrez votre historique d'activité : ${deps.publicUrl}/historique?onglet=autres&urgence=oui\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.`,
          })
        }
        return { ok: true, emergency: true }
      })
    },

    /**
     * The daily job of the consultation d'annonce: after 2 weeks, tell the patient to see a
     * professional; after 1 month, the result becomes visible (the policy already shows it once
     * `held_until` passed) and the patient is told a new document is there.
     */
    async processHeldDocuments(now = new Date()): Promise<{ reminded: number; released: number }> {
      let reminded = 0
      let released = 0
      await db.transaction(async (trx) => {
        const due = await repo.heldDueForReminder(trx, new Date(now.getTime() - HOLD_REMINDER_DAYS * DAY))
        for (const d of due) {
          await repo.markHeldReminderSent(trx, d.id, now)
          const to = await notificationPrefs.recipient(d.person_id, 'new_document', trx)
          // A child's legal representatives are told as well (never of a document hidden from them).
          const representatives = d.invisible_to_representatives
            ? []
            : await notificationPrefs.representativeRecipients(d.person_id, 'new_document', undefined, trx)
          for (const rep of representatives) {
            await notifier.email(trx, {
              to: rep,
              kind: 'held-document-reminder-representative',
              subject: 'Un résultat attend votre enfant dans Mon espace santé',
              text: `Bonjour,\n\nUn professionnel de santé a déposé il y a deux semaines un résultat dans le profil Mon espace santé d'un enfant dont vous êtes représentant légal. Il souhaite l'expliquer lors d'une consultation : prenez rendez-vous avec lui ou avec le médecin de l'enfant.\nLe document deviendra visible un mois après son dépôt : ${deps.publicUrl}/connexion\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.`,
            })
          }
          if (to) {
            await notifier.email(trx, {
              to,
              kind: 'held-document-reminder',
              subject: 'Un résultat vous attend dans Mon espace santé',
              text: `Bonjour,\n\nUn professionnel de santé a déposé un résultat dans votre profil Mon espace santé il y a deux semaines. Il souhaite vous l'expliquer lors d'une consultation : prenez rendez-vous avec lui ou avec votre médecin.\nLe document deviendra visible dans votre profil un mois après son dépôt : ${deps.publicUrl}/documents\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.`,
            })
          }
          reminded++
        }
        const toRelease = await repo.heldDueForRelease(trx, now)
        for (const d of toRelease) {
          await repo.markHeldReleased(trx, d.id, d.held_until)
          await activity.record(trx, SYSTEM_ACTOR, {
            action: 'document.hold_released',
            subjectPersonId: d.person_id,
            objectType: 'document',
            objectId: d.id,
          })
          const representatives = d.invisible_to_representatives
            ? []
            : await notificationPrefs.representativeRecipients(d.person_id, 'new_document', undefined, trx)
          for (const rep of representatives) {
            await notifier.email(trx, {
              to: rep,
              kind: 'new-document-representative',
              subject: 'Un nouveau document est disponible dans Mon espace santé',
              text: `Bonjour,\n\nUn nouveau document est disponible dans le profil Mon espace santé d'un enfant dont vous êtes représentant légal.\nConnectez-vous, puis choisissez son profil avec «Changer de profil» pour le consulter : ${deps.publicUrl}/connexion\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.`,
            })
          }
          const to = await notificationPrefs.recipient(d.person_id, 'new_document', trx)
          if (to) {
            await notifier.email(trx, {
              to,
              kind: 'new-document',
              subject: 'Un nouveau document est disponible dans Mon espace santé',
              text: `Bonjour,\n\nUn nouveau document est disponible dans votre profil Mon espace santé.\nConnectez-vous pour le consulter : ${deps.publicUrl}/documents\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.`,
            })
          }
          released++
        }
      })
      return { reminded, released }
    },
  }
}
