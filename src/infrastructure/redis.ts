import { createClient } from 'redis'
import type { Logger } from './logger'

export type RedisClient = ReturnType<typeof createClient>

/**
 * A Redis client that fails fast: no offline queue (a command while disconnected is refused at
 * once, so a page answers 503 instead of hanging), connect and command timeouts, and a capped
 * reconnection back-off.
 */
export function createRedis(url: string, logger: Logger): RedisClient {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: 2000 },
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 3000),
    },
  })
  let reported = false
  client.on('error', (err: Error) => {
    if (!reported) logger.error({ err: { message: err.message } }, 'Redis indisponible')
    reported = true
  })
  client.on('ready', () => {
    if (reported) logger.info('Redis de nouveau disponible')
    reported = false
  })
  return client
}

/**
 * Connects, but never hangs the boot: if Redis does not answer within `ms`, the process starts
 * anyway, pages that need a session answer 503, and the client keeps reconnecting in the background.
 */
export async function connectRedis(client: RedisClient, logger: Logger, ms = 5000): Promise<void> {
  const connecting = client.connect().then(
    () => true,
    () => false,
  )
  const ok = await Promise.race([connecting, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())])
  if (!ok) logger.error("Redis ne répond pas : les pages qui demandent une session répondront 503 jusqu'à son retour")
}

/** Closes the client whatever its state (connected, reconnecting). */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.isReady) {
    await client.close().catch(() => client.destroy())
  } else if (client.isOpen) {
    client.destroy()
  }
}
