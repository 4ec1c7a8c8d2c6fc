import { activeRepresentation } from '../../access/relations'
import type { Knex } from 'knex'
import { SYSTEM_ACTOR, type Actor } from '../../domain/actor'
import { isMinor, majorityCutoff } from '../../domain/age'
import { ForbiddenError, NotFoundError } from '../../errors'
import type { Notifier } from '../../infrastructure/notifier'
import { isoDate } from '../../domain/parisTime'
import type { ActivityLog } from '../history/activity'
import type { CodeService } from '../codes/service'
import type { HolderCheckService, HolderInput } from '../spaces/holder'
import { displayName, spacesRepository } from '../spaces/repository'
import { childrenRepository, type ManagedChild } from './repository'
export type { ManagedChild } from './repository'

const DAY = 24 * 60 * 60 * 1000
export const INVITATION_DAYS = 30
/** A minor has at most two legal representatives. */
export const MAX_REPRESENTATIVES = 2

export type AttachResult =
  | { ok: true; personId: string; firstNames: string }
  | {
      ok: false
      reason: 'mismatch' | 'adult' | 'already_yours' | 'managed_by_other' | 'closed' | 'code_expired' | 'code_used' | 'code_gone'
    }

export type InviteResult = { ok: true } | { ok: false; reason: 'not_found' | 'self' | 'already' | 'full' }

/** The self of a signed-in person, whatever profile they are looking at. */
const self = (actor: Actor): Actor => ({ ...actor, acting: undefined })

/**
 * Children (SPEC §3): a legal representative attaches a minor with the child's provisional code,
 * NIR and date of birth, switches to the child's profile, invites the second representative (who
 * must have an activated space and accepts from their own account). At 18 a daily job ends the
 * representatives' access and sends the young adult their own code.
 */
export function createChildrenService(deps: {
  db: Knex
  notifier: Notifier
  activity: ActivityLog
  codes: CodeService
  holder: HolderCheckService
  publicUrl: string
}) {
  const { db, notifier, activity, codes, holder } = deps

  /** An active representation of `childId` by the actor: the same condition as the request's actor and the policy's facts. */
  async function assertRepresents(trx: Knex | Knex.Transaction, actor: Actor, childId: string): Promise<void> {
    if (!actor.personId || !/^[0-9a-f-]{36}$/.test(childId)) throw new NotFoundError()
    if (!(await activeRepresentation(trx, childId, actor.personId))) throw new NotFoundError()
  }

  return {
    /** The children this person manages (active representations only: the same condition as the access policy's facts). */
    async managed(actor: Actor): Promise<ManagedChild[]> {
      if (!actor.personId) return []
      return childrenRepository.managedBy(db, actor.personId)
    },

    /** Attaches a minor with the child's code, NIR and date of birth. */
    async attach(actor: Actor, input: HolderInput, address: string): Promise<AttachResult> {
      const checked = await holder.check(input, address)
      if (!checked.ok) return { ok: false, reason: 'mismatch' }
      const child = checked.holder
      if (!isMinor(child.birth_date, isoDate())) return { ok: false, reason: 'adult' }
      if (child.state === 'closed') return { ok: false, reason: 'closed' }
      const reps = await childrenRepository.activeRepresentatives(db, child.id)
      if (reps.some((r) => r.representative_person_id === actor.personId)) return { ok: false, reason: 'already_yours' }
      if (reps.length) return { ok: false, reason: 'managed_by_other' }
      if (checked.code.status !== 'valid') return { ok: false, reason: checked.code.status === 'used' ? 'code_used' : 'code_expired' }
      return db.transaction(async (trx) => {
        const h = await spacesRepository.findById(trx, child.id, { lock: true })
        if (!h || h.state === 'closed') return { ok: false, reason: 'closed' } as const
        if (!(await codes.consumeById(trx, child.id, checked.code.id))) return { ok: false, reason: 'code_gone' } as const
        await childrenRepository.addRepresentative(trx, child.id, actor.personId)
        if (h.state !== 'activated') await spacesRepository.setSpace(trx, child.id, { state: 'activated', activated_at: trx.fn.now() })
        await activity.record(trx, self(actor), {
          action: 'representative.attached',
          subjectPersonId: child.id,
          objectType: 'person',
          objectId: child.id,
          details: { from: h.state },
        })
        await activity.record(trx, self(actor), {
          action: 'representative.child_attached',
          subjectPersonId: actor.personId,
          objectType: 'person',
          objectId: child.id,
          details: { child: displayName(h) },
        })
        return { ok: true, personId: child.id, firstNames: child.first_names } as const
      })
    },

    /** Checks a switch of profile: the person themselves, or a child they represent now. */
    async switchTarget(actor: Actor, personId: string): Promise<{ self: true } | { self: false; displayName: string }> {
      if (personId === actor.personId) return { self: true }
      await assertRepresents(db, actor, personId)
      // assertRepresents found the person.
      const p = (await childrenRepository.personName(db, personId))!
      await db.transaction((trx) =>
        activity.record(
          trx,
          { ...self(actor), acting: { personId, as: 'representative', displayName: displayName(p) } },
          { action: 'representative.profile_opened', subjectPersonId: personId, objectType: 'person', objectId: personId },
        ),
      )
      return { self: false, displayName: displayName(p) }
    },

    async child(actor: Actor, childId: string) {
      await assertRepresents(db, actor, childId)
      const p = (await childrenRepository.person(db, childId))!
      return {
        personId: p.id,
        firstNames: p.first_names,
        lastName: p.last_name,
        birthDate: p.birth_date,
      }
    },

    /** Invites the second legal representative, found by NIR and date of birth; they must have an activated space. */
    async invite(actor: Actor, childId: string, invitee: { nir: string; birthDate: string }): Promise<InviteResult> {
      await assertRepresents(db, actor, childId)
      const h = await spacesRepository.findByNirAndBirthDate(db, invitee.nir, invitee.birthDate)
      if (!h || !h.account_id || h.state !== 'activated') return { ok: false, reason: 'not_found' }
      if (h.id === actor.personId) return { ok: false, reason: 'self' }
      return db.transaction(async (trx) => {
        await childrenRepository.lockInvitations(trx, childId)
        const reps = await childrenRepository.activeRepresentatives(trx, childId)
        if (reps.some((r) => r.representative_person_id === h.id)) return { ok: false, reason: 'already' } as const
        const pending = await childrenRepository.pendingInvitees(trx, childId)
        if (pending.some((i) => i.invitee_person_id === h.id)) return { ok: false, reason: 'already' } as const
        if (reps.length + pending.length >= MAX_REPRESENTATIVES) return { ok: false, reason: 'full' } as const
        await childrenRepository.insertInvitation(trx, {
          childId,
          invitedById: actor.personId,
          inviteeId: h.id,
          expiresAt: new Date(Date.now() + INVITATION_DAYS * DAY),
        })
        await activity.record(trx, self(actor), {
          action: 'representative.invited',
          subjectPersonId: childId,
          objectType: 'person',
          objectId: h.id,
          details: { invitee: displayName(h) },
        })
        if (h.account_email) {
          await notifier.email(trx, {
            to: h.account_email,
            kind: 'representative-invitation',
            subject: 'Une invitation vous attend dans Mon espace santé',
            text: [
              'Bonjour,',
              '',
              `${actor.displayName} vous invite à gérer avec elle ou lui le profil Mon espace santé d'un enfant dont vous êtes le représentant légal.`,
              '',
              `Connectez-vous pour accepter ou refuser l'invitation (valable ${INVITATION_DAYS} jours) : ${deps.publicUrl}/connexion`,
              '',
              'Mon espace santé',
            ].join('\n'),
          })
        }
        return { ok: true } as const
      })
    },

    /** Invitations waiting for this person's answer. */
    async invitations(
      actor: Actor,
    ): Promise<{ id: string; childName: string; childBirthDate: string; childSex: string; invitedBy: string; expiresAt: Date }[]> {
      if (!actor.personId) return []
      return childrenRepository.invitationsFor(db, actor.personId)
    },

    /** The invitee accepts (becomes a representative) or declines, from their own account. */
    async answer(actor: Actor, invitationId: string, accept: boolean): Promise<{ childName: string }> {
      const inviteeId = actor.personId
      if (!inviteeId || !/^[0-9a-f-]{36}$/.test(invitationId)) throw new NotFoundError()
      return db.transaction(async (trx) => {
        const inv = await childrenRepository.openInvitationForUpdate(trx, invitationId, inviteeId)
        if (!inv) throw new NotFoundError()
        const child = (await childrenRepository.personNameAndBirthDate(trx, inv.child_person_id))!
        if (accept) {
          if (!isMinor(child.birth_date, isoDate()))
            throw new ForbiddenError("Cet enfant est devenu majeur : l'invitation n'est plus valable.")
          await childrenRepository.answerInvitation(trx, inv.id, true)
          const already = await childrenRepository.isActiveRepresentative(trx, inv.child_person_id, inviteeId)
          if (!already) await childrenRepository.addRepresentative(trx, inv.child_person_id, inviteeId)
        } else {
          await childrenRepository.answerInvitation(trx, inv.id, false)
        }
        await activity.record(trx, self(actor), {
          action: accept ? 'representative.invitation_accepted' : 'representative.invitation_declined',
          subjectPersonId: inv.child_person_id,
          objectType: 'person',
          objectId: actor.personId,
        })
        return { childName: displayName(child) }
      })
    },

    /**
     * The daily job: every representation of a person who turned 18 ends (`majority`); the young
     * adult receives their own provisional code (e-mail or letter); the history keeps the trace.
     */
    async endAtMajority(today: string = isoDate()): Promise<{ children: number; representations: number; codes: number }> {
      const cutoff = majorityCutoff(today)
      const children = await childrenRepository.adultsStillRepresented(db, cutoff)
      let representations = 0
      let sent = 0
      for (const { id } of children) {
        await db.transaction(async (trx) => {
          const ended = await childrenRepository.endRepresentationsAtMajority(trx, id)
          if (!ended.length) return
          representations += ended.length
          await childrenRepository.cancelOpenInvitations(trx, id)
          const person = await spacesRepository.findById(trx, id)
          if (!person) return
          for (const r of ended) {
            const rep = await childrenRepository.personName(trx, r.representative_person_id)
            await activity.record(trx, SYSTEM_ACTOR, {
              action: 'representative.ended',
              subjectPersonId: id,
              objectType: 'person',
              objectId: r.representative_person_id,
              details: { reason: 'majority', representative: rep ? displayName(rep) : undefined },
            })
            const account = await childrenRepository.patientAccountEmail(trx, r.representative_person_id)
            if (account?.email) {
              await notifier.email(trx, {
                to: account.email,
                kind: 'representation-ended',
                subject: "Fin de la gestion du profil d'un enfant devenu majeur",
                text: [
                  'Bonjour,',
                  '',
                  `${person.first_names} a 18 ans : son profil Mon espace santé ne peut plus être consulté depuis le vôtre. Un code provisoire lui est envoyé pour qu'il active son propre profil.`,
                  '',
                  'Mon espace santé',
                ].join('\n'),
              })
            }
          }
          if (!person.account_id) {
            const issued = await codes.issue(trx, person, SYSTEM_ACTOR, { reason: 'majority' })
            if (issued.ok) sent++
          }
        })
      }
      return { children: children.length, representations, codes: sent }
    },
  }
}
