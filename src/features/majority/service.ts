import type { Knex } from 'knex'
import { SYSTEM_ACTOR, type Actor } from '../../domain/actor'
import { majorityNoticeRange, majoritySoon } from '../../domain/majority'
import { majorityDate } from '../../domain/age'
import { NotFoundError } from '../../errors'
import type { Notifier } from '../../infrastructure/notifier'
import { frenchDate, isoDate } from '../../domain/parisTime'
import type { ActivityLog } from '../history/activity'
import { majorityRepository as repo } from './repository'

/** What a young person's page shows: before the birthday (`soon`), or after it (`adult`). */
export interface MajorityView {
  firstNames: string
  majorityOn: string
  state: 'soon' | 'adult' | 'none'
  /** The legal representatives: current ones before, former ones (and when their access ended) after. */
  representatives: { name: string; since: Date; endedAt: Date | null }[]
}

/**
 * The 18th birthday, seen by everyone it concerns (SPEC §3, issue 19 §4).
 * - `sendNotices` (daily job `majority-notice`): three months before, the young person (the e-mail
 *   on file, or of their own account) and each active legal representative are told by e-mail what
 *   will change, once per person (`majority_notices`), without any health data; the history keeps it.
 * - The pages: a representative's «Ce qui change aux 18 ans de …», the young person's own page
 *   before the birthday, and after it «Votre profil est désormais le vôtre» (what their parents could
 *   see before). The day itself is the `majority` job (children service): access ends, own code sent.
 */
export function createMajorityService(deps: { db: Knex; notifier: Notifier; activity: ActivityLog; publicUrl: string }) {
  const { db, notifier, activity, publicUrl } = deps

  return {
    async sendNotices(today: string = isoDate()): Promise<{ young: number; emails: number }> {
      const { after, until } = majorityNoticeRange(today)
      const due = await repo.dueNotices(db, after, until)
      let young = 0
      let emails = 0
      for (const p of due) {
        await db.transaction(async (trx) => {
          const on = majorityDate(p.birth_date)
          // Once per person, even when two workers run the job at once.
          if (!(await repo.claimNotice(trx, p.id, on))) return
          const reps = await repo.activeRepresentatives(trx, p.id)
          const date = frenchDate(on)
          let sent = 0
          const ownEmail = p.account_email ?? p.email
          if (ownEmail) {
            await notifier.email(trx, {
              to: ownEmail,
              kind: 'majority-soon',
              subject: 'Dans trois mois, votre profil Mon espace santé sera le vôtre',
              text: [
                'Bonjour,',
                '',
                `Le ${date}, vous aurez 18 ans. Ce jour-là, votre profil Mon espace santé devient le vôtre :`,
                "- vos représentants légaux n'y auront plus accès ;",
                '- vous recevrez votre propre code provisoire pour activer votre profil et vous connecter vous-même ;',
                "- vous pourrez voir dans l'historique ce qu'ils y ont consulté ou fait.",
                '',
                `Ce qui va changer, expliqué simplement : ${publicUrl}/ce-qui-change-a-18-ans`,
                '',
                'Ce message est envoyé automatiquement, merci de ne pas y répondre.',
                'Mon espace santé – Assurance Maladie',
              ].join('\n'),
            })
            sent++
          }
          for (const r of reps) {
            if (!r.email) continue
            await notifier.email(trx, {
              to: r.email,
              kind: 'majority-soon-representative',
              subject: "Dans trois mois, vous ne gérerez plus le profil d'un enfant",
              text: [
                'Bonjour,',
                '',
                `Le ${date}, ${p.first_names} aura 18 ans. Ce jour-là, vous n'aurez plus accès à son profil Mon espace santé : il devient le sien, et un code provisoire lui est envoyé pour l'activer.`,
                '',
                `Connectez-vous pour voir ce qui va changer : ${publicUrl}/enfants/${p.id}/majorite`,
                '',
                'Ce message est envoyé automatiquement, merci de ne pas y répondre.',
                'Mon espace santé – Assurance Maladie',
              ].join('\n'),
            })
            sent++
          }
          await repo.setRecipients(trx, p.id, sent)
          await activity.record(trx, SYSTEM_ACTOR, {
            action: 'majority.notice',
            subjectPersonId: p.id,
            objectType: 'person',
            objectId: p.id,
            details: { majorityOn: on, recipients: sent },
          })
          young++
          emails += sent
        })
      }
      return { young, emails }
    },

    /** A representative's page for a child they represent (404 otherwise, as any child page). */
    async forRepresentative(actor: Actor, childId: string, today: string = isoDate()): Promise<MajorityView> {
      if (!actor.personId || actor.kind !== 'patient') throw new NotFoundError()
      const child = await repo.representedChild(db, actor.personId, childId)
      if (!child) throw new NotFoundError()
      const reps = await repo.representatives(db, childId)
      return {
        firstNames: child.first_names,
        majorityOn: majorityDate(child.birth_date),
        state: majorityDate(child.birth_date) <= today ? 'adult' : majoritySoon(child.birth_date, today) ? 'soon' : 'none',
        representatives: reps.filter((r) => !r.ended_at).map((r) => ({ name: r.name, since: r.since, endedAt: null })),
      }
    },

    /** The young person's own page (signed in as themselves): before the birthday, or after it. */
    async forSelf(actor: Actor, today: string = isoDate()): Promise<MajorityView> {
      if (!actor.personId || actor.kind !== 'patient') throw new NotFoundError()
      const p = await repo.person(db, actor.personId)
      if (!p) throw new NotFoundError()
      const on = majorityDate(p.birth_date)
      const reps = await repo.representatives(db, actor.personId)
      const adult = on <= today
      return {
        firstNames: p.first_names,
        majorityOn: on,
        state: adult ? (reps.length ? 'adult' : 'none') : majoritySoon(p.birth_date, today) ? 'soon' : 'none',
        representatives: reps
          .filter((r) => (adult ? r.ended_reason === 'majority' || !r.ended_at : !r.ended_at))
          .map((r) => ({ name: r.name, since: r.since, endedAt: r.ended_at ?? (adult ? new Date(`${on}T00:00:00`) : null) })),
      }
    },

    /** Whether a person had legal representatives whose access ended at their majority (the page after activation). */
    async grewUp(personId: string): Promise<boolean> {
      return repo.grewUp(db, personId)
    },
  }
}
