import type { Knex } from 'knex'
import { toNativeRealm } from '../../infrastructure/nativeRequire'
import { oidcRepository } from './oidcRepository'

/** What oidc-provider stores (its types are loose: a JSON object per model). */
export type OidcPayload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string; consumed?: number }

/**
 * oidc-provider's storage adapter on PostgreSQL (knex): one table for every model, keyed by
 * (model, id), with the grant id indexed so a whole grant is revoked at once. Clients are not stored
 * here: they come from `oauth_clients` (see provider.ts).
 */
export function knexAdapterClass(
  db: Knex,
  findClient: (id: string) => Promise<OidcPayload | undefined>,
  /**
   * Awaited after an access token or a grant is destroyed, before oidc-provider answers: tells every
   * process to forget what it keeps of it (the FHIR API's token cache).
   */
  revoked: (what: { accessToken: string } | { grantId: string }) => Promise<void> = async () => undefined,
) {
  return class KnexAdapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void> {
      const row = {
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        uid: payload.uid ?? null,
        user_code: payload.userCode ?? null,
        expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      }
      await oidcRepository.upsert(db, row)
    }

    async find(id: string): Promise<OidcPayload | undefined> {
      if (this.model === 'Client') return toNativeRealm(await findClient(id))
      const row = await oidcRepository.find(db, this.model, id)
      if (!row) return undefined
      return toNativeRealm({
        ...row.payload,
        ...(row.consumed_at ? { consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : {}),
      })
    }

    async findByUid(uid: string): Promise<OidcPayload | undefined> {
      const row = await oidcRepository.findId(db, this.model, { uid })
      return row ? this.find(row.id) : undefined
    }

    async findByUserCode(userCode: string): Promise<OidcPayload | undefined> {
      const row = await oidcRepository.findId(db, this.model, { user_code: userCode })
      return row ? this.find(row.id) : undefined
    }

    async consume(id: string): Promise<void> {
      await oidcRepository.consume(db, this.model, id)
    }

    async destroy(id: string): Promise<void> {
      await oidcRepository.destroy(db, this.model, id)
      if (this.model === 'AccessToken') await revoked({ accessToken: id })
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await oidcRepository.destroyGrant(db, grantId)
      await revoked({ grantId })
    }
  }
}
