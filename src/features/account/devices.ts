import type { Knex } from 'knex'
import type { SessionData } from 'express-session'
import type { SessionBackend } from '../../infrastructure/sessionStore'
import { summariseDevice } from './signin'
import { accountSessionsRepository } from './repository'

export interface Device {
  publicId: string
  current: boolean
  device: string
  signedInAt: Date
  lastSeenAt: Date
}

/**
 * The signed-in devices of an account: the `account_sessions` rows whose session still lives in the
 * store (Redis in production). Signing a device out destroys its session in the store for real.
 */
export function createDevices(deps: { db: Knex; sessions: SessionBackend }) {
  const { db, sessions } = deps
  const get = (sid: string) =>
    new Promise<SessionData | null>((resolve, reject) => sessions.store.get(sid, (err, s) => (err ? reject(err) : resolve(s ?? null))))
  const destroy = (sid: string) =>
    new Promise<void>((resolve, reject) => sessions.store.destroy(sid, (err) => (err ? reject(err) : resolve())))

  async function destroyAll(rows: { sid: string }[]): Promise<number> {
    for (const r of rows) await destroy(r.sid)
    if (rows.length)
      await accountSessionsRepository.deleteBySids(
        db,
        rows.map((r) => r.sid),
      )
    return rows.length
  }

  return {
    destroy,

    async list(accountId: string, currentSid: string | undefined): Promise<Device[]> {
      const rows = await accountSessionsRepository.ofAccount(db, accountId)
      const devices: Device[] = []
      const stale: string[] = []
      for (const r of rows) {
        const s = await get(r.sid)
        if (!s?.auth || s.auth.accountId !== accountId) {
          stale.push(r.sid)
          continue
        }
        devices.push({
          publicId: r.public_id,
          current: r.sid === currentSid,
          device: summariseDevice(r.user_agent ?? undefined),
          signedInAt: new Date(s.auth.signedInAt),
          lastSeenAt: new Date(s.lastSeenAt ?? s.auth.signedInAt),
        })
      }
      if (stale.length) await accountSessionsRepository.deleteBySids(db, stale)
      return devices
    },

    /** The same device under a new session id (a switch of profile regenerates the session). */
    async renameSession(oldSid: string, newSid: string): Promise<void> {
      await accountSessionsRepository.rename(db, oldSid, newSid)
    },

    /** Ends one device's session. Returns false when the device is not one of this account's. */
    async endOne(accountId: string, publicId: string): Promise<{ ended: boolean; sid?: string }> {
      if (!/^[0-9a-f-]{36}$/.test(publicId)) return { ended: false }
      const row = await accountSessionsRepository.findByPublicId(db, accountId, publicId)
      if (!row) return { ended: false }
      await destroyAll([row])
      return { ended: true, sid: row.sid }
    },

    /** Ends every session of an account (but `exceptSid`, the device in use, when given). */
    async endAll(accountId: string, exceptSid?: string): Promise<number> {
      return destroyAll(await accountSessionsRepository.sidsOf(db, accountId, exceptSid))
    },
  }
}

export type Devices = ReturnType<typeof createDevices>
