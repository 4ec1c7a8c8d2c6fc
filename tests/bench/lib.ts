import autocannon from 'autocannon'
import { spawn } from 'node:child_process'

export interface LoadResult {
  requestsPerSecond: number
  /** With `loadApart`: processor time of this process (the server's) per request, in µs. */
  cpuPerRequest?: number
  p99: number
  errors: number
  non2xx: number
  /** Requests completed (from `loadApart` only). */
  total?: number
}

/** autocannon: `connections` connections for `seconds` seconds; requests/s and p99 latency (ms). */
export async function load(
  url: string,
  opts: { connections?: number; seconds?: number; headers?: Record<string, string> } = {},
): Promise<LoadResult> {
  const r = await autocannon({ url, connections: opts.connections ?? 50, duration: opts.seconds ?? 10, headers: opts.headers })
  return { requestsPerSecond: Math.round(r.requests.average), p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx }
}

export function line(label: string, r: LoadResult): string {
  const cpu = r.cpuPerRequest === undefined ? '' : `   processeur ${String(r.cpuPerRequest).padStart(5)} µs/req`
  return `  ${label.padEnd(58)} ${String(r.requestsPerSecond).padStart(7)} req/s   p99 ${String(r.p99).padStart(5)} ms${cpu}${r.errors || r.non2xx ? `   (erreurs ${r.errors}, non-2xx ${r.non2xx})` : ''}`
}

export function ratio(a: number, b: number): string {
  return b ? (a / b).toFixed(2) : 'n/a'
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} Mo`
}

/**
 * The same load from autocannon in its own process: the client does not take the measured server's
 * event loop (with the client in the same process, every request's client work is added to the
 * server's own, whatever the server). Same method for every part of a comparison.
 */
export async function loadApart(
  url: string,
  opts: { connections?: number; seconds?: number; headers?: Record<string, string> } = {},
): Promise<LoadResult> {
  const bin = require.resolve('autocannon/autocannon.js')
  const args = [bin, '-j', '-c', String(opts.connections ?? 50), '-d', String(opts.seconds ?? 10)]
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}=${v}`)
  args.push(url)
  const cpu0 = process.cpuUsage()
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  const cpu = process.cpuUsage(cpu0)
  if (code !== 0) throw new Error(`autocannon a échoué (${code}) : ${err}`)
  const r = JSON.parse(out) as { requests: { average: number; total: number }; latency: { p99: number }; errors: number; non2xx: number }
  const total = r.requests.total
  return {
    requestsPerSecond: Math.round(r.requests.average),
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    total,
    cpuPerRequest: total ? Math.round((cpu.user + cpu.system) / total) : undefined,
  }
}
