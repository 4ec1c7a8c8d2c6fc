import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import { ServiceUnavailableError, TooManyRequestsError } from '../errors'
import type { Db } from './database'
import type { RedisClient } from './redis'

export interface LimitOptions {
  /** Attempts allowed in the window. */
  points: number
  durationSeconds: number
  /** Once the limit is hit, refuse for this long (defaults to the window). */
  blockSeconds?: number
  /** The French sentence shown with the 429. */
  message: string
  /**
   * Points taken from the store at once and spent in this process (a lease), for a limit counted on
   * every request (the FHIR API per client): one store round trip per `lease` attempts instead of one
   * each. Across processes the store still never grants more than `points` per window (a lease that
   * crosses the limit is granted only what was left); unspent leased points only end the window early
   * for that key. Not with `blockSeconds` (a lease crossing the limit would block the key). Default 1.
   */
  lease?: number
}

export interface Limiter {
  /** Counts one attempt; throws TooManyRequestsError (429) past the limit. */
  consume(key: string, points?: number): Promise<void>
  /** Throws if the key is already over the limit, without counting an attempt. */
  check(key: string): Promise<void>
  /** Forgets the key (e.g. after a successful sign-in). */
  reset(key: string): Promise<void>
}

export type LimiterFactory = (name: string, opts: LimitOptions) => Limiter

function minutes(seconds: number): string {
  const m = Math.max(1, Math.ceil(seconds / 60))
  return m >= 60 ? `${Math.ceil(m / 60)} heure${m >= 120 ? 's' : ''}` : `${m} minute${m > 1 ? 's' : ''}`
}

/**
 * Rate limits on the same Redis as the sessions (PostgreSQL when Redis is not configured).
 * A store fault refuses the attempt (fail closed): a limit must never silently stop counting.
 */
export function createLimiterFactory(opts: { redis?: RedisClient; db: Db; prefix: string }): LimiterFactory {
  return (name, o) => {
    const common = {
      keyPrefix: `${opts.prefix}rl:${name}`,
      points: o.points,
      duration: o.durationSeconds,
      blockDuration: o.blockSeconds ?? 0,
    }
    const rl: RateLimiterAbstract = opts.redis
      ? new RateLimiterRedis({ ...common, storeClient: opts.redis, useRedisPackage: true, rejectIfRedisNotReady: true })
      : new RateLimiterPostgres({ ...common, storeClient: opts.db, storeType: 'knex', tableName: 'rate_limits', tableCreated: true })
    const refuse = (res: RateLimiterRes): never => {
      const seconds = Math.ceil(res.msBeforeNext / 1000)
      throw new TooManyRequestsError(`${o.message} Réessayez dans ${minutes(seconds)}.`, seconds)
    }
    const lease = Math.max(1, Math.floor(o.lease ?? 1))
    if (lease > 1 && o.blockSeconds) throw new Error(`limite ${name} : pas de bail avec blockSeconds`)
    /** Leased points left in this process, per key, until the end of the store's window. */
    const leases = new Map<string, { left: number; until: number }>()
    /** One store call at a time per key: callers that arrive meanwhile wait for its lease. */
    const taking = new Map<string, Promise<void>>()
    const take = async (key: string, points: number): Promise<void> => {
      const ask = Math.max(points, lease)
      let res: RateLimiterRes
      try {
        res = await rl.consume(key, ask)
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw new ServiceUnavailableError('Le service de limitation est indisponible', err)
        // Over the limit with this lease: what was left before it is still granted.
        const granted = ask - Math.max(0, err.consumedPoints - o.points)
        if (granted < points) refuse(err)
        leases.set(key, { left: granted - points, until: Date.now() + err.msBeforeNext })
        return
      }
      leases.set(key, { left: ask - points, until: Date.now() + res.msBeforeNext })
    }
    if (lease > 1) {
      // Forget the leases whose window is over (each key holds a few bytes; this bounds their number).
      setInterval(() => {
        const now = Date.now()
        for (const [k, l] of leases) if (l.until <= now) leases.delete(k)
      }, o.durationSeconds * 1000).unref()
    }
    return {
      async consume(key, points = 1) {
        if (lease > 1) {
          for (;;) {
            const l = leases.get(key)
            if (l && l.left >= points && l.until > Date.now()) {
              l.left -= points
              return
            }
            const pending = taking.get(key)
            if (!pending) break
            await pending.catch(() => undefined)
          }
          const p = take(key, points)
          taking.set(key, p)
          try {
            return await p
          } finally {
            taking.delete(key)
          }
        }
        try {
          await rl.consume(key, points)
        } catch (err) {
          if (err instanceof RateLimiterRes) refuse(err)
          throw new ServiceUnavailableError('Le service de limitation est indisponible', err)
        }
      },
      async check(key) {
        let res: RateLimiterRes | null
        try {
          res = await rl.get(key)
        } catch (err) {
          throw new ServiceUnavailableError('Le service de limitation est indisponible', err)
        }
        if (res && res.remainingPoints <= 0 && res.msBeforeNext > 0) refuse(res)
      },
      async reset(key) {
        leases.delete(key)
        try {
          await rl.delete(key)
        } catch (err) {
          throw new ServiceUnavailableError('Le service de limitation est indisponible', err)
        }
      },
    }
  }
}

export interface ThrottleOptions {
  /** Failures allowed before any wait. */
  free: number
  /** The first wait, doubled at each further failure, up to `maxDelaySeconds`. */
  firstDelaySeconds: number
  maxDelaySeconds: number
  /** Failures are counted over this window (from the first one), then forgotten. */
  windowSeconds: number
  /** The French sentence shown with the 429 (the wait is added after it). */
  message: string
}

/**
 * Throttling by delays (ASVS 6.1.1 / NIST 800-63B: slow an attacker down, never lock the rightful
 * owner out): after `free` failures of a key, each further attempt must wait, the wait doubling with
 * each failure up to a ceiling. Nothing is ever blocked for good; the keys are chosen by the caller
 * (per account and address, per address...) so that one person's failures never hold back another.
 */
export interface Throttle {
  /** 429 (with Retry-After) while the key must still wait after its failures; counts nothing. */
  check(key: string): Promise<void>
  /** Records a failure: the next attempt waits longer. */
  fail(key: string): Promise<void>
  /** Forgets the key's failures (after a success). */
  reset(key: string): Promise<void>
}

export type ThrottleFactory = (name: string, opts: ThrottleOptions) => Throttle

/** The wait after `failures` failures (0 while they are free). */
export function throttleDelaySeconds(failures: number, o: Pick<ThrottleOptions, 'free' | 'firstDelaySeconds' | 'maxDelaySeconds'>): number {
  if (failures <= o.free) return 0
  return Math.min(o.maxDelaySeconds, o.firstDelaySeconds * 2 ** Math.min(30, failures - o.free - 1))
}

function wait(seconds: number): string {
  if (seconds < 60) return `${seconds} seconde${seconds > 1 ? 's' : ''}`
  return minutes(seconds)
}

export function createThrottleFactory(opts: { redis?: RedisClient; db: Db; prefix: string }): ThrottleFactory {
  return (name, o) => {
    const store = (suffix: string, points: number, duration: number): RateLimiterAbstract => {
      const common = { keyPrefix: `${opts.prefix}th:${name}:${suffix}`, points, duration }
      return opts.redis
        ? new RateLimiterRedis({ ...common, storeClient: opts.redis, useRedisPackage: true, rejectIfRedisNotReady: true })
        : new RateLimiterPostgres({ ...common, storeClient: opts.db, storeType: 'knex', tableName: 'rate_limits', tableCreated: true })
    }
    // The failures of the window, and the wait in force (a "block" of the wait's length).
    const failures = store('f', 1_000_000, o.windowSeconds)
    const waits = store('w', 1, o.maxDelaySeconds)
    const unavailable = (err: unknown) => new ServiceUnavailableError('Le service de limitation est indisponible', err)
    return {
      async check(key) {
        let res: RateLimiterRes | null
        try {
          res = await waits.get(key)
        } catch (err) {
          throw unavailable(err)
        }
        if (res && res.consumedPoints > 1 && res.msBeforeNext > 0) {
          const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000))
          throw new TooManyRequestsError(`${o.message} Par sécurité, attendez ${wait(seconds)} avant de réessayer.`, seconds)
        }
      },
      async fail(key) {
        try {
          const res = await failures.consume(key, 1)
          const seconds = throttleDelaySeconds(res.consumedPoints, o)
          if (seconds > 0) await waits.block(key, seconds)
        } catch (err) {
          throw unavailable(err)
        }
      },
      async reset(key) {
        try {
          await Promise.all([failures.delete(key), waits.delete(key)])
        } catch (err) {
          throw unavailable(err)
        }
      },
    }
  }
}
