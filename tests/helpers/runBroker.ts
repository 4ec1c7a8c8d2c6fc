import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { chromium, type BrowserServer, type LaunchOptions } from 'playwright-core'
import { ADMIN_DATABASE_URL } from './env'
import { copyTemplate, testDatabaseName } from './brokerClient'

/**
 * Debian's Chromium (Playwright's own download does not work here): its headless shell
 * (`apt-get install -y chromium-headless-shell`) when there, as Playwright itself runs headless
 * tests; else the full browser in headless mode. Same Blink and V8; the shell leaves out the
 * browser's own services (profile, history, PDF viewer...): on an end-to-end file, Chromium's CPU
 * went from 72 to 35 s (issue 18 §6, docs/testing.md).
 */
const HEADLESS_SHELL = '/usr/lib/chromium/chromium-headless-shell'
export const CHROMIUM = process.env.CHROMIUM_PATH ?? (fs.existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : '/usr/bin/chromium')

export function chromiumLaunchOptions(): LaunchOptions {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium introuvable (${CHROMIUM}) : installez-le (apt-get install -y chromium chromium-headless-shell) ou lancez .ci/run`,
    )
  }
  return {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  }
}

export interface RunBroker {
  /** The broker's address: GET browser, POST database, POST drop?name=… */
  url: string
  close(): Promise<void>
}

/**
 * What the test files of one run share, served from jest's main process (started by globalSetup):
 * - `browser`: one Chromium for the whole run, started by the first file that asks (each file
 *   connects to it and gets contexts of its own, closed when it disconnects); a Chromium that died
 *   is started again;
 * - `database`: a fresh copy of the run's template, made ahead (the next file's copy is made while
 *   this one runs its tests), so no file waits for CREATE DATABASE;
 * - `drop`: a file's database, dropped after the file has closed its connections, without the file
 *   waiting for it (globalTeardown waits for all).
 */
export async function startRunBroker(template: string): Promise<RunBroker> {
  let server: Promise<BrowserServer> | undefined
  const browserServer = () => {
    if (!server) {
      const starting = chromium.launchServer(chromiumLaunchOptions())
      server = starting
      starting.then(
        (s) => s.process().once('exit', () => server === starting && (server = undefined)),
        () => server === starting && (server = undefined),
      )
    }
    return server
  }

  // One connection makes the copies, one drops (a slow drop does not hold the next copy back).
  const connect = async () => {
    const c = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
    await c.connect()
    return c
  }
  let copier: Promise<pg.Client> | undefined
  let dropper: Promise<pg.Client> | undefined
  // Each connection runs one statement at a time: the next waits for the one before.
  let copies: Promise<unknown> = Promise.resolve()
  let drops: Promise<unknown> = Promise.resolve()
  /** Copies made ahead, not handed out yet. */
  const ready: Promise<string>[] = []
  const makeCopy = (): Promise<string> => {
    copier ??= connect()
    const name = testDatabaseName()
    const made = copies.then(async () => copyTemplate(await copier!, template, name)).then(() => name)
    copies = made.catch(() => undefined) // a failure is said to the file that takes that copy
    return made
  }
  const takeCopy = (): Promise<string> => {
    const next = ready.shift() ?? makeCopy()
    ready.push(makeCopy())
    return next
  }
  const drop = (name: string) => {
    dropper ??= connect()
    drops = drops.then(async () => (await dropper!).query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined)
  }

  const broker = http.createServer((req, res) => {
    // No connection kept open: it would keep the asking worker alive after its last file.
    res.setHeader('connection', 'close')
    const url = new URL(req.url ?? '/', 'http://broker')
    const answer = (p: Promise<string>) =>
      p.then(
        (text) => res.end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      )
    if (url.pathname === '/browser') void answer(browserServer().then((s) => s.wsEndpoint()))
    else if (url.pathname === '/database' && req.method === 'POST') void answer(takeCopy())
    else if (url.pathname === '/drop' && req.method === 'POST' && /^mes_t_[0-9a-f_]+$/.test(url.searchParams.get('name') ?? '')) {
      drop(url.searchParams.get('name')!)
      res.end('ok')
    } else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve))
  // Nothing keeps a process alive for it (a bench calls globalSetup too).
  broker.unref()
  return {
    url: `http://127.0.0.1:${(broker.address() as AddressInfo).port}/`,
    async close() {
      broker.closeAllConnections()
      await new Promise((resolve) => broker.close(resolve))
      for (const spare of ready.splice(0)) {
        const name = await spare.catch(() => undefined)
        if (name) drop(name)
      }
      await drops
      for (const c of [copier, dropper]) await (await c?.catch(() => undefined))?.end()
      const s = await server?.catch(() => undefined)
      await s?.close()
    },
  }
}
