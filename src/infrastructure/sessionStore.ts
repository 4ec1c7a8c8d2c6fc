import session from 'express-session'
import { RedisStore } from 'connect-redis'
import connectPgSimple from 'connect-pg-simple'
import pg from 'pg'
import type { RedisClient } from './redis'

/** Idle lifetime of a session: the cookie and the stored session expire together. */
export const IDLE_MS = 15 * 60 * 1000
/** Absolute lifetime: a session older than this is ended whatever its activity. */
export const ABSOLUTE_MS = 12 * 60 * 60 * 1000

export interface SessionBackend {
  kind: 'redis' | 'postgres'
  store: session.Store
  /** False while the store cannot be reached: pages that need a session answer 503. */
  healthy(): boolean
  ping(): Promise<boolean>
  close(): Promise<void>
}

export function redisSessionBackend(client: RedisClient, prefix: string): SessionBackend {
  // No touch: an unchanged session costs no write (no EXPIRE per request). The session middleware
  // writes `lastSeenAt` at most once a minute, and that save renews the key's lifetime and the cookie.
  const store = new RedisStore({ client, prefix: `${prefix}sess:`, ttl: IDLE_MS / 1000, disableTouch: true })
  return {
    kind: 'redis',
    store,
    healthy: () => client.isReady,
    async ping() {
      try {
        return (await client.ping()) === 'PONG'
      } catch {
        return false
      }
    },
    async close() {
      /* the Redis client is closed by its owner */
    },
  }
}

export function postgresSessionBackend(databaseUrl: string): SessionBackend {
  const PgStore = connectPgSimple(session)
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 5, connectionTimeoutMillis: 3000 })
  pool.on('error', () => {
    /* a broken idle connection: the next query reports the fault */
  })
  const store = new PgStore({
    pool,
    tableName: 'sessions',
    createTableIfMissing: false,
    // Expired rows are purged by the `sessions.purge` job (pg-boss), not by a timer here.
    pruneSessionInterval: false,
    ttl: IDLE_MS / 1000,
    // As for Redis: renewed by the once-a-minute save of `lastSeenAt`, not by an UPDATE per request.
    disableTouch: true,
  })
  return {
    kind: 'postgres',
    store,
    // A fault reaches express-session as an error, which the session middleware turns into a 503.
    healthy: () => true,
    async ping() {
      try {
        await pool.query('SELECT 1')
        return true
      } catch {
        return false
      }
    },
    async close() {
      await pool.end()
    },
  }
}
