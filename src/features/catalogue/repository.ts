import type { Knex } from 'knex'
import type { ServiceRequest } from '../../domain/consent'

export interface ServiceRow {
  id: string
  slug: string
  name: string
  category: string
  publisher: string
  description: string
  website: string | null
  current_version: number
  requests: ServiceRequest[]
  /** draft (added in the back office, not shown yet) | published | withdrawn. */
  status: ServiceStatus
  updated_at: Date
}

export type ServiceStatus = 'draft' | 'published' | 'withdrawn'

export interface ConnectionRow {
  id: string
  person_id: string
  service_id: string
  version: number
  asked: string[]
  granted: string[]
  consented_at: Date
  ended_at: Date | null
}

const withRequests = (db: Knex | Knex.Transaction) =>
  db('catalogue_services as s')
    .join('catalogue_service_versions as v', function () {
      this.on('v.service_id', 's.id').andOn('v.version', 's.current_version')
    })
    .select('s.*', 'v.requests')

/** SQL only: the catalogue, its versions, consents, reports and reminders. */
export const catalogueRepository = {
  list(db: Knex, filter: { q?: string; category?: string }): Promise<ServiceRow[]> {
    const q = withRequests(db).where('s.status', 'published').orderByRaw('lower(s.name)')
    if (filter.category) q.where('s.category', filter.category)
    if (filter.q) {
      const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      q.where((w) => void w.whereILike('s.name', like).orWhereILike('s.description', like).orWhereILike('s.publisher', like))
    }
    return q
  },

  findBySlug(db: Knex | Knex.Transaction, slug: string): Promise<ServiceRow | undefined> {
    return withRequests(db).where('s.slug', slug).first()
  },

  findById(db: Knex | Knex.Transaction, id: string): Promise<ServiceRow | undefined> {
    return withRequests(db).where('s.id', id).first()
  },

  /** The back office's list: every service, whatever its status. */
  adminList(db: Knex | Knex.Transaction): Promise<ServiceRow[]> {
    return withRequests(db).orderByRaw('lower(s.name)')
  },

  /** Whether another service has this name (case aside), or this slug when given. */
  async nameTaken(db: Knex | Knex.Transaction, name: string, exceptId?: string, slug?: string): Promise<boolean> {
    const q = db('catalogue_services').where((w) => {
      w.whereRaw('lower(name) = lower(?)', [name])
      if (slug) w.orWhere('slug', slug)
    })
    if (exceptId) q.whereNot('id', exceptId)
    return Boolean(await q.first('id'))
  },

  async insertService(
    trx: Knex.Transaction,
    row: { slug: string; name: string; category: string; publisher: string; description: string; website: string | null },
    requests: ServiceRequest[],
  ): Promise<string> {
    const [created] = await trx('catalogue_services')
      .insert({ ...row, current_version: 1, status: 'draft' })
      .returning<{ id: string }[]>('id')
    await trx('catalogue_service_versions').insert({ service_id: created.id, version: 1, requests: JSON.stringify(requests) })
    return created.id
  },

  async updateService(
    trx: Knex.Transaction,
    id: string,
    patch: Partial<{
      name: string
      category: string
      publisher: string
      description: string
      website: string | null
      status: ServiceStatus
    }>,
  ): Promise<void> {
    await trx('catalogue_services')
      .where({ id })
      .update({ ...patch, updated_at: trx.fn.now() })
  },

  /** One addition at a time, until the end of the transaction (reads go on). */
  async lockServicesForAddition(trx: Knex.Transaction): Promise<void> {
    await trx.raw('LOCK TABLE catalogue_services IN SHARE ROW EXCLUSIVE MODE')
  },

  async lockService(trx: Knex.Transaction, id: string): Promise<void> {
    await trx('catalogue_services').where({ id }).forUpdate().first('id')
  },

  activeConnection(db: Knex | Knex.Transaction, personId: string, serviceId: string): Promise<ConnectionRow | undefined> {
    return db('service_connections').where({ person_id: personId, service_id: serviceId }).whereNull('ended_at').first()
  },

  activeConnections(db: Knex | Knex.Transaction, personId: string): Promise<ConnectionRow[]> {
    return db('service_connections').where({ person_id: personId }).whereNull('ended_at').orderBy('consented_at')
  },

  /** The names and publishers of a person's connected services (for the 90-day e-mail: nothing else). */
  connectedServiceNames(db: Knex | Knex.Transaction, personId: string): Promise<{ name: string; publisher: string }[]> {
    return db('service_connections as c')
      .join('catalogue_services as s', 's.id', 'c.service_id')
      .where('c.person_id', personId)
      .whereNull('c.ended_at')
      .groupBy('s.name', 's.publisher')
      .select('s.name', 's.publisher')
      .orderByRaw('lower(s.name)')
  },

  async endConnection(trx: Knex.Transaction, id: string): Promise<void> {
    await trx('service_connections').where({ id }).update({ ended_at: trx.fn.now() })
  },

  async insertConnection(
    trx: Knex.Transaction,
    row: {
      person_id: string
      service_id: string
      version: number
      asked: string[]
      granted: string[]
      consented_by_account_id: string | null
    },
  ): Promise<void> {
    await trx('service_connections').insert(row)
  },

  async insertReport(
    trx: Knex.Transaction,
    row: { service_id: string; person_id: string | null; reason: string; message: string },
  ): Promise<void> {
    await trx('service_reports').insert(row)
  },

  reports(db: Knex, limit: number): Promise<{ id: string; created_at: Date; reason: string; message: string; service_name: string }[]> {
    return db('service_reports as r')
      .join('catalogue_services as s', 's.id', 'r.service_id')
      .orderBy('r.created_at', 'desc')
      .limit(limit)
      .select('r.id', 'r.created_at', 'r.reason', 'r.message', 's.name as service_name')
  },

  async publishVersion(trx: Knex.Transaction, serviceId: string, requests: ServiceRequest[]): Promise<number> {
    const [row] = await trx('catalogue_services')
      .where({ id: serviceId })
      .increment('current_version', 1)
      .returning<{ current_version: number }[]>('current_version')
    await trx('catalogue_service_versions').insert({
      service_id: serviceId,
      version: row.current_version,
      requests: JSON.stringify(requests),
    })
    return row.current_version
  },

  /** People with at least one connected service whose last reminder (or first connection) is older than `before`. */
  dueReminders(db: Knex, before: Date, limit: number): Promise<{ person_id: string }[]> {
    return db('service_connections as c')
      .leftJoin('service_reminders as r', 'r.person_id', 'c.person_id')
      .whereNull('c.ended_at')
      .groupBy('c.person_id', 'r.sent_at')
      .havingRaw('coalesce(r.sent_at, min(c.consented_at)) <= ?', [before])
      .limit(limit)
      .select('c.person_id')
  },

  /** «Désynchroniser» from the catalogue: every grant (and token) of the OAuth clients linked to the service. */
  async destroyClientGrants(trx: Knex.Transaction, personId: string, serviceId: string, slug: string): Promise<void> {
    const clients = await trx('oauth_clients').whereIn('catalogue_service_id', [serviceId, slug]).pluck<string[]>('id')
    for (const clientId of clients) {
      // Grants, codes, access and refresh tokens of this person for this client, whatever grant they hang on.
      await trx('oidc_payloads')
        .whereIn('model', ['Grant', 'AuthorizationCode', 'AccessToken', 'RefreshToken'])
        .whereRaw("payload->>'accountId' = ? AND payload->>'clientId' = ?", [personId, clientId])
        .del()
      await trx('service_consents')
        .where({ person_id: personId, client_id: clientId })
        .whereNull('revoked_at')
        .update({ revoked_at: trx.fn.now() })
    }
  },

  /**
   * The registered OAuth client backing a service (linked by the service's id or its slug): whether
   * one exists, and where its application starts its pairing (`initiate_login_uri`).
   */
  async backingClient(
    db: Knex | Knex.Transaction,
    serviceId: string,
    slug: string,
  ): Promise<{ id: string; initiate_login_uri: string | null } | undefined> {
    return db('oauth_clients')
      .whereIn('catalogue_service_id', [serviceId, slug])
      .whereNull('disabled_at')
      .orderBy('created_at')
      .first('id', 'initiate_login_uri')
  },

  async spaceOpen(db: Knex | Knex.Transaction, personId: string): Promise<boolean> {
    const row = await db('spaces').where({ person_id: personId }).first<{ state: string } | undefined>('state')
    return row?.state === 'activated' || row?.state === 'auto_created'
  },

  async markReminded(trx: Knex.Transaction, personId: string, at: Date): Promise<void> {
    await trx('service_reminders').insert({ person_id: personId, sent_at: at }).onConflict('person_id').merge()
  },
}
