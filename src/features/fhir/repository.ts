import type { Knex } from 'knex'
import type { Actor } from '../../domain/actor'
import type { ServiceRequest } from '../../domain/consent'
import type { MeasureRecord } from '../../domain/fhir'
import { decidedReads, type Decision } from '../../infrastructure/roundTrips'
import { DOCUMENT_FACT_COLUMNS } from '../documents/repository'

export interface ClientRow {
  id: string
  name: string
  redirect_uris: string[]
  allowed_scopes: string[]
  catalogue_service_id: string | null
  /** Where the service's application starts its own pairing (OpenID Connect `initiate_login_uri`). */
  initiate_login_uri: string | null
  secret_sealed: Buffer
  secret_rotated_at: Date
  created_at: Date
  disabled_at: Date | null
}

export interface ConsentRow {
  id: number
  person_id: string
  client_id: string
  scopes: string[]
  granted_at: Date
  revoked_at: Date | null
}

/**
 * SQL of the connected services: clients, consents, and the authorisation server's grants.
 * `ClientConsentRow`: the client's catalogue link and allowed scopes, its own consent (outside the
 * catalogue) and, for a client linked to a catalogue service, what `catalogue.consentOf` reads
 * (the service's status, current version and requests, the person's active connection, whether the
 * space is open): the consent of any client in one statement.
 */
export type ClientConsentRow = {
  catalogue_service_id: string | null
  allowed_scopes: string[]
  scopes: string[] | null
  catalogue_status?: string | null
  catalogue_version?: number | null
  catalogue_requests?: ServiceRequest[] | null
  connection_version?: number | null
  connection_asked?: string[] | null
  connection_granted?: string[] | null
  space_open?: boolean | null
}

function clientConsentQuery(db: Knex, personId: string, clientId: string) {
  return (
    db('oauth_clients as o')
      .leftJoin('service_consents as c', function () {
        this.on('c.client_id', 'o.id')
          .andOnNull('c.revoked_at')
          .andOn('c.person_id', db.raw('?', [personId]))
      })
      // The link is the service's id or its slug (as `catalogue.consentOf` reads it).
      .joinRaw(
        "LEFT JOIN catalogue_services AS cs ON (CASE WHEN o.catalogue_service_id ~* '^[0-9a-f-]{36}$' THEN cs.id = o.catalogue_service_id::uuid ELSE cs.slug = o.catalogue_service_id END)",
      )
      .leftJoin('catalogue_service_versions as cv', function () {
        this.on('cv.service_id', 'cs.id').andOn('cv.version', 'cs.current_version')
      })
      .leftJoin('service_connections as sc', function () {
        this.on('sc.service_id', 'cs.id')
          .andOnNull('sc.ended_at')
          .andOn('sc.person_id', db.raw('?', [personId]))
      })
      .leftJoin('spaces as sp', 'sp.person_id', db.raw('?', [personId]))
      .where('o.id', clientId)
      .select(
        'o.catalogue_service_id',
        'o.allowed_scopes',
        'c.scopes',
        'cs.status as catalogue_status',
        'cs.current_version as catalogue_version',
        'cv.requests as catalogue_requests',
        'sc.version as connection_version',
        'sc.asked as connection_asked',
        'sc.granted as connection_granted',
        db.raw("coalesce(sp.state IN ('activated', 'auto_created'), false) AS space_open"),
      )
      .limit(1)
  )
}

/** FHIR `date` search prefixes (ge, gt, le, lt) on one column. */
function withinDates(b: Knex.QueryBuilder, column: string, q: { ge?: string; gt?: string; le?: string; lt?: string }): void {
  if (q.ge) b.where(column, '>=', q.ge)
  if (q.gt) b.where(column, '>', q.gt)
  if (q.le) b.where(column, '<=', q.le)
  if (q.lt) b.where(column, '<', q.lt)
}

/** A person's active catalogue consent, with its service and the OAuth client behind it (`catalogueConnectionsOf`). */
export interface CatalogueConnectionRow {
  version: number
  asked: string[]
  granted: string[]
  consented_at: Date
  slug: string
  name: string
  status: string
  current_version: number
  requests: ServiceRequest[]
  client_id: string | null
  allowed_scopes: string[] | null
}

export const fhirRepository = {
  findClient: (db: Knex, id: string): Promise<ClientRow | undefined> => db('oauth_clients').where({ id }).first(),
  listClients: (db: Knex): Promise<ClientRow[]> => db('oauth_clients').orderBy('name'),
  insertClient: (
    db: Knex,
    row: Omit<ClientRow, 'created_at' | 'secret_rotated_at' | 'disabled_at' | 'initiate_login_uri'> & {
      initiate_login_uri?: string | null
    },
  ) => db('oauth_clients').insert(row),
  updateClient: (
    db: Knex,
    id: string,
    patch: Partial<Pick<ClientRow, 'name' | 'redirect_uris' | 'allowed_scopes' | 'catalogue_service_id' | 'initiate_login_uri'>>,
  ) => db('oauth_clients').where({ id }).update(patch),
  /** The enabled client backing a catalogue service (linked by the service's id or its slug), oldest first. */
  clientForService: (db: Knex | Knex.Transaction, serviceId: string, slug: string): Promise<ClientRow | undefined> =>
    db('oauth_clients').whereIn('catalogue_service_id', [serviceId, slug]).whereNull('disabled_at').orderBy('created_at').first(),
  updateClientSecret: (db: Knex, id: string, sealed: Buffer) =>
    db('oauth_clients').where({ id }).update({ secret_sealed: sealed, secret_rotated_at: db.fn.now() }),
  setClientDisabled: (db: Knex, id: string, disabled: boolean) =>
    db('oauth_clients')
      .where({ id })
      .update({ disabled_at: disabled ? db.fn.now() : null }),

  catalogueServices: (db: Knex): Promise<{ id: string; slug: string; name: string }[]> =>
    db('catalogue_services').orderByRaw('lower(name)').select('id', 'slug', 'name'),

  linkedClients: (db: Knex): Promise<ClientRow[]> =>
    db('oauth_clients').whereNotNull('catalogue_service_id').whereNull('disabled_at').orderBy('name'),

  /** The client's catalogue link and, for a client outside the catalogue, its active consent: one round trip. */
  clientConsent: (db: Knex, personId: string, clientId: string): Promise<ClientConsentRow | undefined> =>
    clientConsentQuery(db, personId, clientId).first(),
  /** The same, as a sub-query (the access facts read it in the person's query: one round trip). */
  clientConsentQuery,

  activeConsent: (db: Knex, personId: string, clientId: string): Promise<ConsentRow | undefined> =>
    db('service_consents').where({ person_id: personId, client_id: clientId }).whereNull('revoked_at').first(),
  revokeConsent: (db: Knex, personId: string, clientId: string) =>
    db('service_consents').where({ person_id: personId, client_id: clientId }).whereNull('revoked_at').update({ revoked_at: db.fn.now() }),
  insertConsent: (db: Knex, personId: string, clientId: string, scopes: string[]) =>
    db('service_consents').insert({ person_id: personId, client_id: clientId, scopes }),
  consentsOf: (db: Knex, personId: string): Promise<(ConsentRow & { client_name: string; catalogue_service_id: string | null })[]> =>
    db('service_consents as c')
      .join('oauth_clients as o', 'o.id', 'c.client_id')
      .where('c.person_id', personId)
      .whereNull('c.revoked_at')
      .orderBy('o.name')
      .select('c.*', 'o.name as client_name', 'o.catalogue_service_id'),

  /**
   * A person's active catalogue consents, each with its service (status, current version's requests)
   * and the enabled OAuth client backing it (linked by the service's id or slug), in one statement.
   */
  catalogueConnectionsOf: async (db: Knex | Knex.Transaction, personId: string): Promise<CatalogueConnectionRow[]> => {
    const { rows } = await db.raw<{ rows: CatalogueConnectionRow[] }>(
      `SELECT sc.version, sc.asked, sc.granted, sc.consented_at, s.slug, s.name, s.status, s.current_version, v.requests,
              o.id AS client_id, o.allowed_scopes
         FROM service_connections sc
         JOIN catalogue_services s ON s.id = sc.service_id
         JOIN catalogue_service_versions v ON v.service_id = s.id AND v.version = s.current_version
         LEFT JOIN LATERAL (
           SELECT id, allowed_scopes FROM oauth_clients
            WHERE catalogue_service_id IN (s.id::text, s.slug) AND disabled_at IS NULL
            ORDER BY created_at LIMIT 1
         ) o ON true
        WHERE sc.person_id = ? AND sc.ended_at IS NULL`,
      [personId],
    )
    return rows
  },

  personWithSpace: (
    db: Knex,
    personId: string,
  ): Promise<{ id: string; last_name: string; first_names: string; sex: string; birth_date: string; state: string | null } | undefined> =>
    db('insured_persons as p')
      .leftJoin('spaces as s', 's.person_id', 'p.id')
      .where('p.id', personId)
      .first('p.id', 'p.last_name', 'p.first_names', 'p.sex', db.raw("to_char(p.birth_date, 'YYYY-MM-DD') as birth_date"), 's.state'),

  /* ---- FHIR resources: one person's rows only, the person id always in the WHERE ---- */

  /** Observation search: the measures of the mapped types, newest first, one page (+1 row to know if there is a next). */
  searchMeasures: (
    db: Knex,
    personId: string,
    q: { types: string[]; ge?: string; gt?: string; le?: string; lt?: string; limit: number; offset: number },
  ) => {
    const b = db('measures')
      .where('person_id', personId)
      .whereIn('type', q.types)
      .select<{ id: string; type: string; value: number; value2: number | null; measured_on: string; source_name: string | null }[]>(
        'id',
        'type',
        db.raw('value::float8 as value'),
        db.raw('value2::float8 as value2'),
        db.raw("to_char(measured_on, 'YYYY-MM-DD') as measured_on"),
        'source_name',
      )
      .orderBy([
        { column: 'measured_on', order: 'desc' },
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(q.limit)
      .offset(q.offset)
    withinDates(b, 'measured_on', q)
    return b
  },
  measure: (db: Knex, id: string) =>
    db('measures')
      .where({ id })
      .first<(MeasureRecord & { person_id: string }) | undefined>(
        'id',
        'person_id',
        'type',
        db.raw('value::float8 as value'),
        db.raw('value2::float8 as value2'),
        db.raw("to_char(measured_on, 'YYYY-MM-DD') as measured_on"),
        'source_name',
      ),
  insertMeasure: async (
    db: Knex,
    row: {
      person_id: string
      type: string
      value: number
      value2: number | null
      measured_on: string
      source_client_id: string
      source_name: string
    },
  ) => {
    const [r] = await db('measures').insert(row).returning<{ id: string }[]>('id')
    return r.id
  },

  /** Documents a service may see: never masked, held for a consultation d'annonce, or invisible to representatives. */
  searchDocuments: (
    db: Knex,
    personId: string,
    q: { categories?: string[]; ge?: string; gt?: string; le?: string; lt?: string; limit: number; offset: number; now: Date },
  ) => {
    const b = db('documents')
      .where({ person_id: personId, masked: false, invisible_to_representatives: false })
      .where((w) => void w.whereNull('held_until').orWhereNotNull('held_released_at').orWhere('held_until', '<=', q.now))
      .select(
        'id',
        'title',
        db.raw("to_char(document_date, 'YYYY-MM-DD') as document_date"),
        'mime',
        'size_bytes',
        'author_name',
        'created_at',
        ...DOCUMENT_FACT_COLUMNS,
      )
      .orderBy([
        { column: 'document_date', order: 'desc' },
        { column: 'created_at', order: 'desc' },
      ])
      .limit(q.limit)
      .offset(q.offset)
    if (q.categories) b.whereIn('category', q.categories)
    withinDates(b, 'document_date', q)
    return b
  },

  searchVaccinations: (
    db: Knex,
    personId: string,
    q: { ge?: string; gt?: string; le?: string; lt?: string; limit: number; offset: number; id?: string },
  ) => {
    const b = db('vaccinations')
      .where({ person_id: personId })
      .select('id', 'vaccine', 'other_name', db.raw("to_char(date, 'YYYY-MM-DD') as date"), 'dose', 'professional', 'lot')
      .orderBy([{ column: 'date', order: 'desc' }, { column: 'id' }])
      .limit(q.limit)
      .offset(q.offset)
    if (q.id) b.where({ id: q.id })
    withinDates(b, 'date', q)
    return b
  },

  searchEvents: (
    db: Knex,
    personId: string,
    q: { ge?: string; gt?: string; le?: string; lt?: string; limit: number; offset: number; id?: string },
  ) => {
    const b = db('agenda_events')
      .where({ person_id: personId })
      .select('id', 'title', db.raw("to_char(date, 'YYYY-MM-DD') as date"), 'time', 'place', 'professional', 'status')
      .orderBy([{ column: 'date', order: 'desc' }, { column: 'id' }])
      .limit(q.limit)
      .offset(q.offset)
    if (q.id) b.where({ id: q.id })
    withinDates(b, 'date', q)
    return b
  },

  ownerOf: async (db: Knex, table: 'vaccinations' | 'agenda_events' | 'documents' | 'measures', id: string): Promise<string | undefined> =>
    (await db(table).where({ id }).first<{ person_id: string } | undefined>('person_id'))?.person_id,

  /** One grant and every code and token issued from it (a consent replaced by a new answer). */
  async destroyGrant(db: Knex, grantId: string): Promise<void> {
    await db('oidc_payloads').where({ grant_id: grantId }).whereIn('model', ['AuthorizationCode', 'AccessToken', 'RefreshToken']).del()
    await db('oidc_payloads').where({ model: 'Grant', id: grantId }).del()
  },

  /** Every grant (and so every token issued from it) of one person to one client. */
  async destroyGrants(db: Knex, personId: string, clientId: string): Promise<number> {
    const grants = await db('oidc_payloads')
      .where({ model: 'Grant' })
      .whereRaw("payload->>'accountId' = ? AND payload->>'clientId' = ?", [personId, clientId])
      .pluck('id')
    await db('oidc_payloads')
      .whereIn('model', ['Grant', 'AuthorizationCode', 'AccessToken', 'RefreshToken'])
      .whereRaw("payload->>'accountId' = ? AND payload->>'clientId' = ?", [personId, clientId])
      .del()
    return grants.length
  },

  /**
   * The searches of connected services: `search(caller, s)` reads the person's policy facts
   * (`facts.factsWithDigestQuery`), lets `s.decide` decide on them before anything is searched, then
   * runs `s.query` and writes `s.record` (the activity row, SQL text), all in one transaction. A
   * refusal rolls back: nothing read, nothing written (the caller records it in a transaction of its
   * own). The facts of an allowed search may be decided on again for the next search of the same
   * client and person, and are then read again by a guard in that search's transaction
   * (`facts.factsGuard`): how few round trips that takes is the engine's business, not the caller's.
   * `s.queryKey`: when the statement depends on nothing else (no clock), it may be reused.
   */
  decidedSearches(
    db: Knex,
    facts: {
      factsWithDigestQuery(trx: Knex, actor: Actor, personId: string): Knex.Raw | undefined
      factsGuard(trx: Knex, actor: Actor, personId: string, digest: string): Knex.Raw | undefined
    },
  ) {
    const read = decidedReads(db)
    return <R, D extends Decision>(
      caller: { actor: Actor; clientId: string; personId: string },
      s: {
        decide: (row: Record<string, unknown> | undefined) => Promise<D>
        query: () => Knex.QueryBuilder | undefined
        queryKey?: string
        record: () => string
      },
    ): Promise<{ decision: D; rows: R[] }> =>
      read<R, D>({
        key: `${caller.clientId}|${caller.personId}`,
        facts: () => facts.factsWithDigestQuery(db, caller.actor, caller.personId),
        guard: (row) => facts.factsGuard(db, caller.actor, caller.personId, String(row.facts_digest)),
        decide: s.decide,
        query: s.query,
        queryKey: s.queryKey,
        last: s.record,
      })
  },
}
