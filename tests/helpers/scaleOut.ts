import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

/**
 * Real components started by the scale-out tests (issue 17 §5, §6): PgBouncer and haproxy from
 * Debian, app processes. Each on a free port of 127.0.0.1, with its configuration in a temporary
 * folder, stopped by the test. A missing program fails the test loudly (`.ci/run` installs them).
 */

export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((r) => server.close(r))
  return port
}

/** The program's path, or a clear failure saying how to install it (never a silent skip). */
export function program(name: string, debianPackage = name): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    const p = path.join(dir, name)
    if (fs.existsSync(p)) return p
  }
  throw new Error(`${name} est introuvable : installez-le (apt-get install -y ${debianPackage} ; .ci/run le fait)`)
}

/** Waits until something accepts connections on the port (or the process died, or `ms` passed). */
export async function listening(port: number, child?: ChildProcess, ms = 30_000, output?: () => string): Promise<void> {
  const until = Date.now() + ms
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`le processus s'est arrêté (code ${child.exitCode}) : ${output?.() ?? ''}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`rien n'écoute sur le port ${port} après ${ms} ms : ${output?.() ?? ''}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export interface Started {
  port: number
  /** What the process wrote (stdout and stderr), for failure messages. */
  output(): string
  stop(): Promise<void>
}

function collect(child: ChildProcess): () => string {
  let out = ''
  const add = (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-20_000)
  }
  child.stdout?.on('data', add)
  child.stderr?.on('data', add)
  return () => out
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', ms = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  await exited
  clearTimeout(timer)
}

/** A temporary folder readable by another user (PgBouncer runs as `postgres` when we are root). */
function openTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  fs.chmodSync(dir, 0o755)
  return dir
}

/**
 * PgBouncer in transaction pooling mode in front of the machine's PostgreSQL, for one database.
 * auth_type trust with a userlist (as the machine's PostgreSQL trusts local connections).
 */
export async function startPgBouncer(opts: {
  host: string
  port: number
  database: string
  user: string
  poolSize?: number
}): Promise<Started> {
  const bin = program('pgbouncer')
  const port = await freePort()
  const dir = openTempDir('mes-pgbouncer-')
  const ini = path.join(dir, 'pgbouncer.ini')
  fs.writeFileSync(path.join(dir, 'userlist.txt'), `"${opts.user}" ""\n`)
  fs.writeFileSync(
    ini,
    [
      '[databases]',
      `${opts.database} = host=${opts.host} port=${opts.port} dbname=${opts.database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${opts.poolSize ?? 4}`,
      'max_client_conn = 200',
      // Server connections are given back between transactions: what a session would keep is lost.
      'server_reset_query =',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  )
  for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644)
  // PgBouncer refuses to run as root: it switches to the `postgres` user then.
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', ini] : [ini]
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const output = collect(child)
  await listening(port, child, 15_000, output)
  return {
    port,
    output,
    async stop() {
      await stopChild(child, 'SIGINT')
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * haproxy in front of `backends`, round robin request by request (no stickiness), each answer
 * naming the instance that served it (`X-Instance`: a, b, …). No health checks (`check`): the tests
 * start every backend, and wait for it, before haproxy.
 */
export async function startHaproxy(backends: number[], port?: number): Promise<Started> {
  const bin = program('haproxy')
  const listen = port ?? (await freePort())
  const dir = openTempDir('mes-haproxy-')
  const cfg = path.join(dir, 'haproxy.cfg')
  fs.writeFileSync(
    cfg,
    [
      'global',
      '  maxconn 512',
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  option forwardfor',
      `frontend site`,
      `  bind 127.0.0.1:${listen}`,
      '  default_backend app',
      'backend app',
      '  balance roundrobin',
      '  http-response set-header X-Instance %s',
      ...backends.map((p, i) => `  server ${String.fromCharCode(97 + i)} 127.0.0.1:${p}`),
      '',
    ].join('\n'),
  )
  execFileSync(bin, ['-c', '-q', '-f', cfg])
  const child = spawn(bin, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] })
  const output = collect(child)
  await listening(listen, child, 10_000, output)
  return {
    port: listen,
    output,
    async stop() {
      await stopChild(child)
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The app as production runs it, a process of its own (`src/server.ts` through tsx), on `port`. */
export async function startAppProcess(env: Record<string, string>, port: number): Promise<Started> {
  const root = path.resolve(__dirname, '../..')
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'server.ts')], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = collect(child)
  await listening(port, child, 90_000, output)
  return {
    port,
    output,
    stop: () => stopChild(child, 'SIGTERM', 25_000),
  }
}
