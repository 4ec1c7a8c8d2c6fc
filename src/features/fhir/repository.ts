import type { Knex } from 'knex'

export interface ClientRow {
  id: string
  name: string
  redirect_uris: string[]
  allowed_scopes: string[]
  catalogue_service_id: string | null
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

/** SQL of the connected services: clients, consents, and the authorisation server's grants. */
export const fhirRepository = {
  findClient: (db: Knex, id: string): Promise<ClientRow | undefined> => db('oauth_clients').where({ id }).first(),
  listClients: (db: Knex): Promise<ClientRow[]> => db('oauth_clients').orderBy('name'),
  insertClient: (db: Knex, row: Omit<ClientRow, 'created_at' | 'secret_rotated_at' | 'disabled_at'>) => db('oauth_clients').insert(row),
  updateClientSecret: (db: Knex, id: string, sealed: Buffer) => db('oauth_clients').where({ id }).update({ secret_sealed: sealed, secret_rotated_at: db.fn.now() }),
  setClientDisabled: (db: Knex, id: string, disabled: boolean) => db('oauth_clients').where({ id }).update({ disabled_at: disabled ? db.fn.now() : null }),

  activeConsent: (db: Knex, personId: string, clientId: string): Promise<ConsentRow | undefined> =>
    db('service_consents').where({ person_id: personId, client_id: clientId }).whereNull('revoked_at').first(),
  revokeConsent: (db: Knex, personId: string, clientId: string) =>
    db('service_consents').where({ person_id: personId, client_id: clientId }).whereNull('revoked_at').update({ revoked_at: db.fn.now() }),
  insertConsent: (db: Knex, personId: string, clientId: string, scopes: string[]) => db('service_consents').insert({ person_id: personId, client_id: clientId, scopes }),
  consentsOf: (db: Knex, personId: string): Promise<(ConsentRow & { client_name: string })[]> =>
    db('service_consents as c')
      .join('oauth_clients as o', 'o.id', 'c.client_id')
      .where('c.person_id', personId)
      .whereNull('c.revoked_at')
      .orderBy('o.name')
      .select('c.*', 'o.name as client_name'),

  personWithSpace: (db: Knex, personId: string): Promise<{ id: string; last_name: string; first_names: string; sex: string; birth_date: string; state: string | null } | undefined> =>
    db('insured_persons as p')
      .leftJoin('spaces as s', 's.person_id', 'p.id')
      .where('p.id', personId)
      .first('p.id', 'p.last_name', 'p.first_names', 'p.sex', db.raw("to_char(p.birth_date, 'YYYY-MM-DD') as birth_date"), 's.state'),

  /** Every grant (and so every token issued from it) of one person to one client. */
  async destroyGrants(db: Knex, personId: string, clientId: string): Promise<number> {
    const grants = await db('oidc_payloads').where({ model: 'Grant' }).whereRaw("payload->>'accountId' = ? AND payload->>'clientId' = ?", [personId, clientId]).pluck('id')
    if (grants.length === 0) return 0
    await db('oidc_payloads').whereIn('grant_id', grants).del()
    await db('oidc_payloads').where({ model: 'Grant' }).whereIn('id', grants).del()
    return grants.length
  },
}
