import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import type { CarerRights } from '../../domain/accessPolicy'
import {
  DEFAULT_CARER_RIGHTS,
  EFFECTIVE_LABELS,
  INVITATION_VALIDITY_DAYS,
  carerRightsText,
  checkInvite,
  checkPeriod,
  effective,
  effectiveForHolder,
  nameForHolder,
  type Effective,
  type InviteRefusal,
} from '../../domain/carers'
import { newReference } from '../../domain/lifecycle'
import { ForbiddenError, NotFoundError } from '../../errors'
import type { Notifier } from '../../infrastructure/notifier'
import type { LimiterFactory } from '../../infrastructure/rateLimit'
import { isoDate } from '../../domain/parisTime'
import type { AccessFacts } from '../../access/facts'
import type { ActivityLog } from '../history/activity'
import { attestationPdf } from './attestation'
import { carersRepository as repo, type DelegationRow } from './repository'
import { activeDelegation } from '../../access/relations'

const DAY = 24 * 60 * 60 * 1000

export interface DelegationView {
  id: string
  /** The person helped. */
  personId: string
  /** The other party's name; for the person who invited, null until the invitee accepted (SPEC §3). */
  name: string | null
  /** What the delegation lets the carer do, in plain words. */
  rights: string
  state: Effective
  stateLabel: string
  startsOn: string
  endsOn: string | null
  invitedAt: Date
  invitationExpiresAt: Date
  attestations: { id: string; kind: string; createdAt: Date }[]
}

export type InviteResult =
  { ok: true } | { ok: false; field: 'nir' | 'startsOn' | 'endsOn'; reason: InviteRefusal | 'period'; message?: string }

const self = (actor: Actor): Actor => ({ ...actor, acting: undefined })
const name = (p: { first_names: string | null; last_name: string | null }) => `${p.first_names} ${p.last_name}`

/**
 * Carers («aidants», SPEC §3). The holder invites (NIR + date of birth of someone with an activated
 * space), the carer accepts or declines from their own account; either ends it. A PDF attestation at
 * acceptance and at the end. What a carer may do in the helped person's space is decided by the
 * access policy (relation 'carer'), like everything else.
 */
export function createCarersService(deps: {
  db: Knex
  access: AccessFacts
  activity: ActivityLog
  notifier: Notifier
  limiter: LimiterFactory
  publicUrl: string
}) {
  const { db, access, activity, notifier } = deps
  const lookups = deps.limiter('carer-invite', {
    points: 10,
    durationSeconds: 60 * 60,
    blockSeconds: 60 * 60,
    message: "Trop d'invitations en peu de temps.",
  })

  /** The holder, on their own space (never a carer, never someone looking at another profile). */
  async function assertHolder(trx: Knex | Knex.Transaction, actor: Actor, action: 'list' | 'manage'): Promise<string> {
    const message = 'Seule la personne elle-même peut gérer ses aidants.'
    return (await access.authorizeSubject(trx, actor, action, { type: 'carers' }, { message })).personId
  }

  /** `side`: 'holder' for the person helped (who never learns who an invitation reached), 'carer' for the carer. */
  async function views(rows: DelegationRow[], side: 'holder' | 'carer'): Promise<DelegationView[]> {
    const now = new Date()
    const today = isoDate(now)
    const atts = await repo.attestations(
      db,
      rows.map((r) => r.id),
    )
    return rows.map((r) => {
      const state = side === 'holder' ? effectiveForHolder(r, now, today) : effective(r, now, today)
      return {
        id: r.id,
        personId: r.person_id,
        name: side === 'holder' ? nameForHolder(r) : name(r),
        rights: carerRightsText({ read: r.can_see, write: r.can_write, messages: r.can_message }),
        state,
        stateLabel: EFFECTIVE_LABELS[state],
        startsOn: r.starts_on,
        endsOn: r.ends_on,
        invitedAt: r.invited_at,
        invitationExpiresAt: r.invitation_expires_at,
        attestations: atts.filter((a) => a.carer_id === r.id).map((a) => ({ id: a.id, kind: a.kind, createdAt: a.created_at })),
      }
    })
  }

  async function end(
    trx: Knex.Transaction,
    actor: Actor,
    row: NonNullable<Awaited<ReturnType<typeof repo.find>>>,
    by: 'person' | 'carer' | 'closure',
  ): Promise<void> {
    const now = new Date()
    if (row.status === 'invited' || row.status === 'declined') {
      const declining = by === 'carer'
      await repo.setStatus(trx, row.id, { status: declining ? 'declined' : 'cancelled', [declining ? 'declined_at' : 'revoked_at']: now })
      // A refusal is written in the invitee's own history, never in the inviter's: the person who
      // invited must not learn who the invitation reached (SPEC §3).
      await activity.record(trx, self(actor), {
        action: declining ? 'carer.declined' : 'carer.invitation_cancelled',
        subjectPersonId: declining ? row.carer_person_id : row.person_id,
        objectType: 'carer',
        objectId: row.id,
        ...(by === 'closure' ? { details: { by } } : {}),
      })
      return
    }
    await repo.setStatus(trx, row.id, { status: 'revoked', revoked_at: now, revoked_by: by })
    const person = await trx('insured_persons').where({ id: row.person_id }).first()
    const carer = await trx('insured_persons').where({ id: row.carer_person_id }).first()
    const pdf = await attestationPdf({
      kind: 'revocation',
      personName: name(person),
      carerName: name(carer),
      startsOn: row.starts_on,
      endsOn: row.ends_on,
      at: now,
      reference: newReference('AID'),
      revokedBy: by,
      rights: { read: row.can_see, write: row.can_write, messages: row.can_message },
    })
    await repo.addAttestation(trx, row.id, 'revocation', pdf)
    await activity.record(trx, self(actor), {
      action: 'carer.revoked',
      subjectPersonId: row.person_id,
      objectType: 'carer',
      objectId: row.id,
      details: { by },
    })
  }

  return {
    /** Account pages (credentials, contacts, closure, download) while looking at someone else's profile: the policy decides. */
    async assertAccountAllowed(actor: Actor): Promise<void> {
      const message = "Vous agissez en tant qu'aidant : revenez à votre propre profil pour gérer votre compte."
      await access.authorizeSubject(db, actor, 'update', { type: 'account' }, { message })
    },

    /** «Mes aidants»: the holder's carers and invitations. */
    async list(actor: Actor): Promise<DelegationView[]> {
      const personId = await assertHolder(db, actor, 'list')
      return views(await repo.ofPerson(db, personId), 'holder')
    },

    /** The people this account helps or is invited to help (from the carer's own profile). */
    async helping(actor: Actor): Promise<DelegationView[]> {
      if (!actor.personId || actor.kind !== 'patient') return []
      return views(await repo.ofCarer(db, actor.personId), 'carer')
    },

    /**
     * Invites a carer by NIR and date of birth, with the rights the patient chose. Refused only for
     * what the patient knows already (their own NIR, their 3 places); otherwise recorded, and the
     * answer is the same whether the NIR and date of birth matched someone or not: an invitation
     * that cannot reach anyone (no activated space, already linked, a carer who helps 5 people) is
     * kept without an invitee and expires like the others. Every attempt counts for the limit.
     */
    async invite(
      actor: Actor,
      input: { nir: string; birthDate: string; startsOn: string; endsOn: string | null; rights?: CarerRights },
    ): Promise<InviteResult> {
      const today = isoDate()
      const period = checkPeriod(input.startsOn, input.endsOn, today)
      if (!period.ok) return { ok: false, field: period.field, reason: 'period', message: period.message }
      const rights = input.rights ?? DEFAULT_CARER_RIGHTS
      await lookups.check(actor.accountId)
      return db.transaction(async (trx) => {
        const personId = await assertHolder(trx, actor, 'manage')
        // Serialise invitations of one person and of one carer (the limits of 3 and 5 hold under concurrency).
        await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 11))', [personId])
        const candidate = await repo.candidate(trx, input.nir, input.birthDate)
        if (candidate && candidate.id !== personId) await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 12))', [candidate.id])
        const decision = checkInvite({
          personId,
          candidate: candidate ? { personId: candidate.id, activated: Boolean(candidate.activated) } : undefined,
          placesTaken: await repo.openCount(trx, 'person_id', personId),
          candidateHelping: candidate ? await repo.openCount(trx, 'carer_person_id', candidate.id) : 0,
          alreadyLinked: candidate ? await repo.linked(trx, personId, candidate.id) : false,
        })
        if (!decision.ok) return { ok: false, field: 'nir', reason: decision.reason } as const
        await lookups.consume(actor.accountId)
        const invitee = decision.deliver ? candidate! : undefined
        const id = await repo.insert(trx, {
          person_id: personId,
          carer_person_id: invitee?.id ?? null,
          invitation_expires_at: new Date(Date.now() + INVITATION_VALIDITY_DAYS * DAY),
          starts_on: input.startsOn,
          ends_on: input.endsOn,
          can_see: rights.read,
          can_write: rights.write,
          can_message: rights.messages,
        })
        // No name in the history either: the invitee is named once they accept.
        await activity.record(trx, self(actor), {
          action: 'carer.invited',
          subjectPersonId: personId,
          objectType: 'carer',
          objectId: id,
          details: { startsOn: input.startsOn, endsOn: input.endsOn, rights: carerRightsText(rights) },
        })
        if (invitee?.email) {
          await notifier.email(trx, {
            to: invitee.email,
            kind: 'carer-invitation',
            subject: 'Une personne vous invite à être son aidant',
            text: [
              'Bonjour,',
              '',
              `${actor.displayName} vous invite à devenir son aidant dans Mon espace santé.`,
              `Connectez-vous pour accepter ou refuser l'invitation (elle expire dans ${INVITATION_VALIDITY_DAYS} jours) : ${deps.publicUrl}/aidants`,
              '',
              'Mon espace santé',
            ].join('\n'),
          })
        }
        return { ok: true } as const
      })
    },

    /** The carer accepts: the delegation is active from its start date; the PDF attestation is produced. */
    async accept(actor: Actor, id: string): Promise<void> {
      if (actor.acting || !actor.personId || !/^[0-9a-f-]{36}$/.test(id)) throw new NotFoundError()
      await db.transaction(async (trx) => {
        const row = await repo.find(trx, id, { lock: true })
        if (!row || row.carer_person_id !== actor.personId) throw new NotFoundError()
        if (effective(row, new Date(), isoDate()) !== 'invited') throw new ForbiddenError("Cette invitation n'est plus valable.")
        const person = await trx('insured_persons').where({ id: row.person_id }).first()
        const carer = await trx('insured_persons').where({ id: row.carer_person_id }).first()
        await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 12))', [row.carer_person_id])
        const now = new Date()
        await repo.setStatus(trx, id, { status: 'active', accepted_at: now })
        const pdf = await attestationPdf({
          kind: 'acceptance',
          personName: name(person),
          carerName: name(carer),
          startsOn: row.starts_on,
          endsOn: row.ends_on,
          at: now,
          reference: newReference('AID'),
          rights: { read: row.can_see, write: row.can_write, messages: row.can_message },
        })
        await repo.addAttestation(trx, id, 'acceptance', pdf)
        await activity.record(trx, self(actor), {
          action: 'carer.accepted',
          subjectPersonId: row.person_id,
          objectType: 'carer',
          objectId: id,
        })
      })
    },

    /** Ends a delegation or an invitation: the holder (revoke, cancel) or the carer (decline, stop). */
    async end(actor: Actor, id: string): Promise<void> {
      if (actor.acting || !actor.personId || !/^[0-9a-f-]{36}$/.test(id)) throw new NotFoundError()
      await db.transaction(async (trx) => {
        const row = await repo.find(trx, id, { lock: true })
        if (!row || (row.person_id !== actor.personId && row.carer_person_id !== actor.personId)) throw new NotFoundError()
        const holder = row.person_id === actor.personId
        // The person who invited may cancel an invitation the invitee declined (to them, still pending).
        if (row.status !== 'invited' && row.status !== 'active' && !(holder && row.status === 'declined')) return
        if (holder) await assertHolder(trx, actor, 'manage')
        await end(trx, actor, row, holder ? 'person' : 'carer')
      })
    },

    /**
     * A space closed: every delegation and invitation it is part of ends at once, on both sides (as
     * the person helped and as a carer), in the closure's transaction, each written in the history
     * with its attestation when it was active.
     */
    async endAllOnClosure(trx: Knex.Transaction, actor: Actor, personId: string): Promise<number> {
      const rows = await repo.openOfEitherSide(trx, personId)
      for (const row of rows) {
        // An invitation to the person closing is declined (the inviter sees it pending until it expires).
        const declined = row.status === 'invited' && row.carer_person_id === personId
        await end(trx, actor, row, declined ? 'carer' : 'closure')
      }
      return rows.length
    },

    /** «Changer de profil» to a helped person: only within an active delegation; written in their history. */
    async switchTarget(actor: Actor, personId: string): Promise<{ displayName: string }> {
      if (!actor.personId || !/^[0-9a-f-]{36}$/.test(personId)) throw new NotFoundError()
      const d = await activeDelegation(db, personId, actor.personId)
      if (!d) throw new NotFoundError()
      await db.transaction((trx) =>
        activity.record(
          trx,
          { ...self(actor), acting: { personId, as: 'carer', displayName: d.display_name } },
          { action: 'carer.profile_opened', subjectPersonId: personId, objectType: 'person', objectId: personId },
        ),
      )
      return { displayName: d.display_name }
    },

    /** A PDF attestation, for the two people it concerns (signed in as themselves). */
    async attestation(actor: Actor, id: string): Promise<{ pdf: Buffer; kind: string }> {
      if (actor.acting || !actor.personId || !/^[0-9a-f-]{36}$/.test(id)) throw new NotFoundError()
      const a = await repo.attestation(db, id)
      if (!a || (a.person_id !== actor.personId && a.carer_person_id !== actor.personId)) throw new NotFoundError()
      return { pdf: a.pdf, kind: a.kind }
    },
  }
}

export type CarersService = ReturnType<typeof createCarersService>
