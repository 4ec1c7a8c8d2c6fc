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
    const common = { keyPrefix: `${opts.prefix}rl:${name}`, points: o.points, duration: o.durationSeconds, blockDuration: o.blockSeconds ?? 0 }
    const rl: RateLimiterAbstract = opts.redis
      ? new RateLimiterRedis({ ...common, storeClient: opts.redis, useRedisPackage: true, rejectIfRedisNotReady: true })
      : new RateLimiterPostgres({ ...common, storeClient: opts.db, storeType: 'knex', tableName: 'rate_limits', tableCreated: true })
    const refuse = (res: RateLimiterRes): never => {
      const seconds = Math.ceil(res.msBeforeNext / 1000)
      throw new TooManyRequestsError(`${o.message} Réessayez dans ${minutes(seconds)}.`, seconds)
    }
    return {
      async consume(key, points = 1) {
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
        try {
          await rl.delete(key)
        } catch (err) {
          throw new ServiceUnavailableError('Le service de limitation est indisponible', err)
        }
      },
    }
  }
}
