import type { RequestHandler, Response } from 'express'

/**
 * The admission limit (issue 20 §2): past what an instance can serve, requests wait in a bounded
 * queue, then get the French 503 page with `Retry-After` — on purpose, at once, instead of piling up
 * on the database pool until its timeouts fail them (and every other page with them).
 *
 * - at most `concurrency` requests are served at once (each from its arrival to its response's end);
 * - the next ones wait, first come first served, at most `queueMax` of them and at most `queueTimeoutMs`
 *   each; a client that goes away leaves the queue;
 * - past that: 503, `Retry-After: retryAfterSeconds`.
 *
 * `/health`, `/ready` and the static files are mounted before it (they answer even when it is full).
 */
export interface AdmissionOptions {
  concurrency: number
  queueMax: number
  queueTimeoutMs: number
  retryAfterSeconds: number
}

export interface AdmissionState {
  active: number
  waiting: number
  /** The queue is full: the next request gets a 503 (readiness says «not ready»). */
  full: boolean
  /** Requests refused since the start (queue full or waited too long). */
  refused: number
}

export interface Admission {
  middleware: RequestHandler
  state(): AdmissionState
}

interface Waiter {
  admit(): void
  timer: NodeJS.Timeout
  res: Response
}

export function createAdmission(opts: AdmissionOptions): Admission {
  let active = 0
  let refused = 0
  const queue: Waiter[] = []

  const busy = (res: Response) => {
    refused++
    res.setHeader('Retry-After', String(opts.retryAfterSeconds))
    res.setHeader('Cache-Control', 'no-store')
    res
      .status(503)
      .render('errors/503.njk', { pageTitle: 'Service momentanément indisponible', busy: true, retryAfter: opts.retryAfterSeconds })
  }

  const release = () => {
    active--
    const next = queue.shift()
    if (next) {
      clearTimeout(next.timer)
      next.admit()
    }
  }

  const middleware: RequestHandler = (_req, res, next) => {
    const admit = () => {
      active++
      let done = false
      const end = () => {
        if (done) return
        done = true
        release()
      }
      res.once('finish', end)
      res.once('close', end)
      next()
    }
    if (active < opts.concurrency) return admit()
    if (queue.length >= opts.queueMax) return busy(res)
    const waiter: Waiter = {
      res,
      admit,
      timer: setTimeout(() => {
        leave()
        busy(res)
      }, opts.queueTimeoutMs),
    }
    const leave = () => {
      const i = queue.indexOf(waiter)
      if (i >= 0) queue.splice(i, 1)
    }
    // The client gave up while waiting: its place goes to the next one.
    res.once('close', () => {
      if (queue.includes(waiter)) {
        clearTimeout(waiter.timer)
        leave()
      }
    })
    queue.push(waiter)
  }

  return {
    middleware,
    state: () => ({ active, waiting: queue.length, full: queue.length >= opts.queueMax && active >= opts.concurrency, refused }),
  }
}
