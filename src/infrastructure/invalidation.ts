import { EventEmitter } from 'node:events'
import { errorMessage } from '../errors'
import type { Logger } from './logger'
import type { RedisClient } from './redis'

/**
 * Tells every process of the site that something it may keep in memory changed (issue 17 §6: a
 * revoked FHIR token must be refused at once by every instance). Over Redis pub/sub when Redis is
 * configured (several instances), in the process otherwise (embedded mode: one process).
 *
 * `publish` resolves once Redis has handed the message to every subscribed connection: a caller that
 * awaits it before answering (a token revocation) answers after every instance was told.
 * `live()` is false while this process's subscription is down (messages may be missed): a cache must
 * then not be trusted; when the subscription comes back, every handler receives `*` (forget all).
 */
export interface Invalidation {
  publish(channel: string, message: string): Promise<void>
  subscribe(channel: string, handler: (message: string) => void): void
  live(): boolean
  close(): Promise<void>
}

/** Forget everything (a handler's cue after a missed message, or for a change that touches all entries). */
export const ALL = '*'

export function localInvalidation(): Invalidation {
  const bus = new EventEmitter()
  bus.setMaxListeners(0)
  return {
    async publish(channel, message) {
      bus.emit(channel, message)
    },
    subscribe(channel, handler) {
      bus.on(channel, handler)
    },
    live: () => true,
    async close() {
      bus.removeAllListeners()
    },
  }
}

export function redisInvalidation(redis: RedisClient, prefix: string, logger: Logger): Invalidation {
  // A connection of its own: a subscribed connection can send no other command.
  const subscriber = redis.duplicate()
  const handlers = new Map<string, ((message: string) => void)[]>()
  let subscribed = false
  let wasDown = false
  const deliver = (message: string, channel: string) => {
    for (const h of handlers.get(channel.slice(prefix.length)) ?? []) h(message)
  }
  subscriber.on('error', () => {
    /* reported by the main client; this one reconnects by itself */
  })
  subscriber.on('end', () => (subscribed = false))
  subscriber.on('reconnecting', () => {
    subscribed = false
    wasDown = true
  })
  subscriber.on('ready', () => {
    // node-redis subscribes again by itself; what was published meanwhile is lost: forget all.
    subscribed = handlers.size > 0
    if (wasDown) for (const channel of handlers.keys()) deliver(ALL, prefix + channel)
    wasDown = false
  })
  const connecting = subscriber.connect().catch((err: Error) => {
    logger.warn({ err: { message: err.message } }, 'abonnement Redis aux invalidations indisponible : caches désactivés')
  })
  return {
    async publish(channel, message) {
      try {
        await redis.publish(prefix + channel, message)
      } catch (err) {
        // The change is committed; instances that missed it see their subscription down (no cache).
        logger.warn({ err: { message: errorMessage(err) }, channel }, 'invalidation non publiée')
      }
    },
    subscribe(channel, handler) {
      const list = handlers.get(channel)
      if (list) return void list.push(handler)
      handlers.set(channel, [handler])
      void connecting.then(() =>
        subscriber.isOpen
          ? subscriber.subscribe(prefix + channel, deliver).then(
              () => (subscribed = subscriber.isReady),
              () => undefined,
            )
          : undefined,
      )
    },
    live: () => subscribed && subscriber.isReady,
    async close() {
      subscribed = false
      if (subscriber.isOpen) await subscriber.close().catch(() => subscriber.destroy())
    },
  }
}
