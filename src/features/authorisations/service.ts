import type { Knex } from 'knex'
import { can, isAdministrator, professionalHasAccess, professionalSeesMasked } from '../../domain/accessPolicy'
import type { Actor } from '../../domain/actor'
import { NotFoundError } from '../../errors'
import type { AccessFacts, PersonFactsRow } from '../../access/facts'
import type { CatalogueService } from '../catalogue/service'
import type { Connections } from '../fhir/connections'
import type { CareTeamService } from '../care-team/service'
import { fullName } from '../care-team/service'
import { carersRepository } from '../carers/repository'
import { EFFECTIVE_LABELS, effectiveForHolder, nameForHolder, takesAPlace } from '../../domain/carers'
import { isoDate } from '../../domain/parisTime'
import { authorisationsRepository, type ProfessionalIdentity } from './repository'

/** Where each kind of authorisation is changed. */
export const CHANGE_LINKS = {
  professionals: '/mes-professionnels',
  emergency: '/mes-professionnels#urgence',
  reimbursements: '/remboursements',
  catalogue: '/catalogue',
  children: '/changer-de-profil',
  invite: (childId: string) => `/enfants/${childId}/inviter`,
  carers: '/aidants',
}

export interface ProfessionalAccess {
  id: string
  name: string
  specialty: string | null
  establishment: string | null
  roles: string[]
  /** Computed by the access policy from the same facts it uses on every request. */
  hasAccess: boolean
  seesMasked: boolean
  seesReimbursements: boolean
  emergency: null | 'ETREAT' | 'BTG'
}

/**
 * «Mes autorisations» (SPEC §10): everyone and everything that can reach a space, each with the
 * page where it is changed. Each professional's access is not re-derived here: the facts are
 * loaded with the policy's own loader (`access.factsOf`) as if the professional asked, and
 * the policy (`professionalHasAccess`, `can`) says what they would get.
 */
export function createAuthorisationsService(deps: {
  db: Knex
  access: AccessFacts
  careTeam: CareTeamService
  catalogue: CatalogueService
  /** The one list of connected services («Services connectés» shows the same). */
  connections: Pick<Connections, 'ofPerson'>
}) {
  const { db, access, careTeam, connections } = deps

  async function professionalView(
    trx: Knex | Knex.Transaction,
    person: PersonFactsRow,
    p: ProfessionalIdentity,
    now: Date,
  ): Promise<ProfessionalAccess> {
    const asPro: Actor = {
      accountId: `directory:${p.id}`,
      kind: 'professional',
      displayName: fullName(p),
      professionalId: p.id,
      profession: p.profession,
    }
    // The person's part of the facts was read once for the page; only the relation is the professional's own.
    const facts = await access.factsFrom(trx, asPro, person, now)
    const r = facts.relation
    const roles: string[] = []
    if (r.kind === 'professional') {
      if (r.medecinTraitant) roles.push('Médecin traitant')
      // «Administrateur» only with a declared consent: named without it, it gives nothing (SPEC §5).
      if (isAdministrator(facts)) roles.push('Administrateur')
      else if (r.administrator) roles.push('Administrateur (sans effet tant que son consentement n’est pas déclaré)')
      if (r.careTeam) roles.push('Équipe de soins')
      if (r.emergency) roles.push(r.emergency.kind === 'ETREAT' ? 'Accès en urgence (SAMU)' : 'Accès en urgence (bris de glace)')
      if (r.blocked) roles.push('Bloqué')
    }
    const hasAccess = professionalHasAccess(facts)
    const seesMasked = professionalSeesMasked(facts)
    return {
      id: p.id,
      name: fullName(p),
      specialty: p.specialty,
      establishment: p.establishment,
      roles,
      hasAccess,
      seesMasked,
      seesReimbursements: can(asPro, 'read', { type: 'reimbursements' }, facts),
      emergency: r.kind === 'professional' && r.emergency ? r.emergency.kind : null,
    }
  }

  return {
    async overview(actor: Actor, personId: string, now = new Date()) {
      // careTeam.overview checks that the actor may manage this space (holder or legal representative).
      const team = await careTeam.overview(actor, personId)
      return db.transaction(async (trx) => {
        // The person, the space and the settings: read once, for the actor and for every professional below.
        const query = access.factsQuery(trx, actor, personId)
        // factsQuery is an untyped knex builder (src/access/facts.ts): its SELECT gives a PersonFactsRow.
        const factsRow = (query ? await query : undefined) as PersonFactsRow | undefined
        if (!factsRow) throw new NotFoundError()
        const facts = await access.factsFrom(trx, actor, factsRow, now, personId)
        const seen = new Map<string, ProfessionalEntryLike>()
        if (team.medecinTraitant) seen.set(team.medecinTraitant.id, team.medecinTraitant)
        for (const p of team.team) seen.set(p.id, p)
        const emergencies: ProfessionalEntryLike[] = await authorisationsRepository.emergencyProfessionals(trx, personId, now)
        for (const p of emergencies) if (!seen.has(p.id)) seen.set(p.id, p)
        const professionals: ProfessionalAccess[] = []
        for (const p of seen.values()) professionals.push(await professionalView(trx, factsRow, p, now))
        const blocked: ProfessionalAccess[] = []
        for (const p of team.blocked) blocked.push(await professionalView(trx, factsRow, p, now))

        // The facts above found the person.
        const person = (await authorisationsRepository.person(trx, personId))!
        const representatives = await authorisationsRepository.representativesOf(trx, personId)
        // Carers: every delegation that reaches (or is about to reach) the space, with its state and dates.
        const today = isoDate(now)
        // An invitee is named only once they accepted; a declined invitation reads as pending (SPEC §3).
        const carers = (await carersRepository.ofPerson(trx, personId))
          .filter((d) => takesAPlace({ ...d, status: d.status === 'declined' ? 'invited' : d.status }, now, today))
          .map((d) => ({
            name: nameForHolder(d) ?? 'Invitation en attente de réponse',
            state: EFFECTIVE_LABELS[effectiveForHolder(d, now, today)],
            startsOn: d.starts_on,
            endsOn: d.ends_on,
          }))
        const connected = await connections.ofPerson(personId, trx)
        return {
          personName: `${person.first_names} ${person.last_name}`,
          self: facts.relation.kind === 'self',
          childId: facts.relation.kind === 'representative' ? personId : undefined,
          professionals: professionals.sort((a, b) => Number(b.hasAccess) - Number(a.hasAccess) || a.name.localeCompare(b.name, 'fr')),
          blocked,
          emergency: { etreat: facts.settings.emergencyEtreat, btg: facts.settings.emergencyBtg, masked: facts.settings.emergencyMasked },
          reimbursementsHidden: facts.settings.reimbursementsHidden,
          representatives,
          carers,
          services: connected.map((s) => ({ name: s.name, labels: s.labels, needsReconsent: s.needsReconsent, href: s.href })),
          links: CHANGE_LINKS,
        }
      })
    },
  }
}

type ProfessionalEntryLike = ProfessionalIdentity
