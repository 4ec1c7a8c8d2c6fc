import type { Knex } from 'knex'
import { batchedReader, preparedQuery } from '../../infrastructure/roundTrips'
import { PERSON_FACTS_COLUMNS, type PersonFactsRow } from '../../access/facts'
import { activeRepresentationSql, actorStatement, type ActorRow } from '../../access/relations'

/** The actions of professionals shown in «Derniers accès des professionnels de santé». */
export const PROFESSIONAL_ACCESS_ACTIONS = ['document.list', 'document.read', 'document.download', 'emergency.access', 'careteam.consent']

export interface PatientHomeRows {
  children: {
    personId: string
    firstNames: string
    lastName: string
    birthDate: string
    sex: string
    since: string
    representatives: number
    pendingInvitations: number
  }[]
  invitations: { id: string; childName: string; childBirthDate: string; childSex: string; invitedBy: string; expiresAt: string }[]
  /** The subject's row for the access policy's facts (null when the person does not exist). */
  person: PersonFactsRow | null
  lastAccesses: {
    id: number
    occurred_at: string
    actor_role: string
    actor_name: string
    actor_organisation: string | null
    action: string
    object_type: string | null
    object_id: string | null
    emergency: boolean
  }[]
}

/** The last accesses read with the page: more than shown, as the history may not show some of them to the viewer. */
export const LAST_ACCESSES_READ = 10

/** The columns of the home page's statement; the arguments are SQL expressions ($n parameters or columns). */
function homeColumns(person: string, subject: string, withInvitations: string, actions: string, limit: string): string {
  return `
    (SELECT coalesce(json_agg(c ORDER BY c."birthDate"), '[]'::json) FROM (
       SELECT p.id AS "personId", p.first_names AS "firstNames", p.last_name AS "lastName", p.birth_date AS "birthDate", p.sex, r.since,
              (SELECT count(*) FROM representatives r2 WHERE r2.child_person_id = p.id AND r2.ended_at IS NULL)::int AS representatives,
              (SELECT count(*) FROM representative_invitations i WHERE i.child_person_id = p.id AND i.accepted_at IS NULL AND i.declined_at IS NULL
                  AND i.cancelled_at IS NULL AND i.expires_at > now())::int AS "pendingInvitations"
         FROM representatives r JOIN insured_persons p ON p.id = r.child_person_id JOIN spaces s ON s.person_id = p.id
        WHERE r.representative_person_id = ${person} AND ${activeRepresentationSql({ r: 'r', child: 'p', space: 's', at: 'now()' })}) c) AS children,
    CASE WHEN ${withInvitations} THEN (SELECT coalesce(json_agg(v), '[]'::json) FROM (
       SELECT i.id, c.first_names || ' ' || c.last_name AS "childName", c.birth_date AS "childBirthDate", c.sex AS "childSex",
              b.first_names || ' ' || b.last_name AS "invitedBy", i.expires_at AS "expiresAt"
         FROM representative_invitations i JOIN insured_persons c ON c.id = i.child_person_id JOIN insured_persons b ON b.id = i.invited_by_person_id
        WHERE i.invitee_person_id = ${person} AND i.accepted_at IS NULL AND i.declined_at IS NULL AND i.cancelled_at IS NULL
          AND i.expires_at > now()) v) ELSE '[]'::json END AS invitations,
    (SELECT row_to_json(f) FROM (
       SELECT ${PERSON_FACTS_COLUMNS.join(', ')}
         FROM insured_persons p LEFT JOIN spaces s ON s.person_id = p.id LEFT JOIN patient_settings ps ON ps.person_id = p.id
        WHERE p.id = ${subject} LIMIT 1) f) AS person,
    (SELECT coalesce(json_agg(h ORDER BY h.occurred_at DESC, h.id DESC), '[]'::json) FROM (
       SELECT id, occurred_at, actor_role, actor_name, actor_organisation, action, object_type, object_id, emergency
         FROM activity_log
        WHERE subject_person_id = ${subject} AND actor_role = 'professional' AND action = ANY(${actions})
        ORDER BY occurred_at DESC, id DESC LIMIT ${limit}) h) AS "lastAccesses"`
}

/**
 * The patient home page in ONE statement (one round trip instead of four): the children managed
 * (same query as `children.managed`), the invitations waiting for an answer (as `children.invitations`),
 * the subject's facts row (as `access.loadFacts`) and the last professional accesses (as
 * `history.lastProfessionalAccesses`). The service decides with the access policy before showing them.
 * Timestamps come back as JSON strings (the service turns them into dates); `date` columns are strings anyway.
 */
export const homeRepository = {
  async patientHome(
    db: Knex,
    personId: string,
    subjectId: string,
    withInvitations: boolean,
    limit = LAST_ACCESSES_READ,
  ): Promise<PatientHomeRows> {
    const rows = await preparedQuery<PatientHomeRows>(
      db,
      'home-patient',
      `SELECT ${homeColumns('$1', '$2', '$3::boolean', '$4::text[]', '$5::int')}`,
      [personId, subjectId, withInvitations, PROFESSIONAL_ACCESS_ACTIONS, limit],
    )
    return rows[0]
  },

  /**
   * The same statement for patients looking at their own space, joined to the actor's
   * (`actorStatement`: account not disabled, unread messages): one round trip for the whole page, and
   * for several requests at once (`accountIds`, one result per entry and in the same order, each
   * computed for itself even if two are equal). Undefined for an account not found, disabled or not
   * a patient's (the caller then reads the actor alone).
   */
  async patientHomeWithActor(
    db: Knex,
    accountIds: string[],
    limit = LAST_ACCESSES_READ,
  ): Promise<((ActorRow & PatientHomeRows) | undefined)[]> {
    const rows = await preparedQuery<ActorRow & PatientHomeRows & { n: number }>(
      db,
      'actor-home-patients',
      `SELECT k.n::int AS n, a.*, h.* FROM unnest($1::uuid[]) WITH ORDINALITY AS k(id, n)
         CROSS JOIN LATERAL (${actorStatement('NULL', 'k.id')}) a
         CROSS JOIN LATERAL (SELECT ${homeColumns('a.person_id', 'a.person_id', 'true', '$2::text[]', '$3::int')}) h
        WHERE a.kind = 'patient' AND a.person_id IS NOT NULL`,
      [accountIds, PROFESSIONAL_ACCESS_ACTIONS, limit],
    )
    const byOrdinal = new Map(rows.map(({ n, ...row }) => [n, row]))
    return accountIds.map((_id, i) => byOrdinal.get(i + 1))
  },

  /**
   * `patientHomeWithActor` for one account: the requests that come together share one statement
   * (each gets its own row).
   */
  homeWithActorReader(db: Knex): (accountId: string) => Promise<(ActorRow & PatientHomeRows) | undefined> {
    return batchedReader((accountIds: string[]) => homeRepository.patientHomeWithActor(db, accountIds))
  },
}
