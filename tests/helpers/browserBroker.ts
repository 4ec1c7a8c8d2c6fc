import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type BrowserServer, type LaunchOptions } from 'playwright-core'

/** Debian's Chromium (Playwright's own download does not work here). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export function chromiumLaunchOptions(): LaunchOptions {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium introuvable (${CHROMIUM}) : installez-le (apt-get install -y chromium) ou lancez .ci/run`)
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

export interface BrowserBroker {
  /** What a test file asks for the browser's address (GET answers the WebSocket endpoint). */
  url: string
  close(): Promise<void>
}

/**
 * One Chromium for the whole run (issue 18 §6), started by the first file that asks for it: each
 * file connects to it (`launchBrowser`) and gets contexts of its own, closed when it disconnects.
 * Started from globalSetup, in jest's main process; a Chromium that died is started again.
 */
export async function startBrowserBroker(): Promise<BrowserBroker> {
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
  const broker = http.createServer((_req, res) => {
    // No connection kept open: it would keep the asking worker alive after its last file.
    res.setHeader('connection', 'close')
    browserServer().then(
      (s) => res.end(s.wsEndpoint()),
      (err: Error) => res.writeHead(500).end(err.message),
    )
  })
  await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve))
  // Nothing keeps a process alive for it (a bench calls globalSetup too).
  broker.unref()
  return {
    url: `http://127.0.0.1:${(broker.address() as AddressInfo).port}/`,
    async close() {
      broker.closeAllConnections()
      await new Promise((resolve) => broker.close(resolve))
      const s = await server?.catch(() => undefined)
      await s?.close()
    },
  }
}
