import { execFile } from 'node:child_process'
import path from 'node:path'
import autocannon from 'autocannon'

export interface LoadResult {
  requestsPerSecond: number
  p99: number
  errors: number
  non2xx: number
  /** Requests completed (from `loadApart` only). */
  total?: number
}

/** autocannon: `connections` connections for `seconds` seconds; requests/s and p99 latency (ms). */
export async function load(url: string, opts: { connections?: number; seconds?: number; headers?: Record<string, string> } = {}): Promise<LoadResult> {
  const r = await autocannon({ url, connections: opts.connections ?? 50, duration: opts.seconds ?? 10, headers: opts.headers })
  return { requestsPerSecond: Math.round(r.requests.average), p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx }
}

/**
 * The same load from a child process (tests/bench/autocannonChild.cjs): autocannon does not take
 * event-loop time from the server it measures, whatever that server costs per request.
 */
export function loadApart(url: string, opts: { connections?: number; seconds?: number; headers?: Record<string, string> } = {}): Promise<LoadResult> {
  const args = JSON.stringify({ url, connections: opts.connections ?? 50, seconds: opts.seconds ?? 10, headers: opts.headers })
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'autocannonChild.cjs'), args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`autocannon : ${stderr || err.message}`))
      resolve(JSON.parse(stdout) as LoadResult)
    })
  })
}

export function line(label: string, r: LoadResult): string {
  return `  ${label.padEnd(58)} ${String(r.requestsPerSecond).padStart(7)} req/s   p99 ${String(r.p99).padStart(5)} ms${r.errors || r.non2xx ? `   (erreurs ${r.errors}, non-2xx ${r.non2xx})` : ''}`
}

export function ratio(a: number, b: number): string {
  return b ? (a / b).toFixed(2) : 'n/a'
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} Mo`
}
