import { spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { createTestDatabase, type TestDatabase } from '../helpers/testApp'
import { TEST_REDIS_URL, TEST_SECRETS } from '../helpers/env'

const ROOT = path.resolve(__dirname, '../..')
const TSX = path.join(ROOT, 'node_modules/.bin/tsx')

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

function run(env: Record<string, string>) {
  const child = spawn(TSX, ['src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, exited, output: () => out }
}

describe('processus', () => {
  it('refuse de démarrer avec une configuration invalide, en nommant la variable (code 1)', async () => {
    const p = run({ PORT: 'abc', NODE_ENV: 'production' })
    expect(await p.exited).toBe(1)
    expect(p.output()).toContain('Mon espace santé ne peut pas démarrer')
    expect(p.output()).toMatch(/PORT : /)
  })

  it('refuse de démarrer en production sans secrets', async () => {
    const p = run({ NODE_ENV: 'production', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' })
    expect(await p.exited).toBe(1)
    expect(p.output()).toMatch(/SESSION_SECRET : obligatoire en production/)
  })

  it('un port déjà pris : le message nomme le port et dit quoi faire, avant de toucher à la base (code 1)', async () => {
    const busy = net.createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const port = (busy.address() as net.AddressInfo).port
    try {
      // The database address answers nothing: the port is checked first.
      const p = run({ ...TEST_SECRETS, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: 'postgres://postgres@127.0.0.1:9/rien' })
      expect(await p.exited).toBe(1)
      expect(p.output()).toContain(`Mon espace santé n'a pas pu démarrer : le port ${port} est déjà utilisé par un autre programme.`)
      expect(p.output()).toContain(`Que faire : choisissez un autre port (par exemple PORT=${port + 1} npm start)`)
      expect(p.output()).not.toMatch(/undefined/)
    } finally {
      await new Promise((r) => busy.close(r))
    }
  })

  it('une base qui ne répond pas : le message nomme l’adresse et dit quoi faire (code 1)', async () => {
    const closedPort = await freePort()
    const p = run({
      ...TEST_SECRETS,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/rien`,
      RUN_JOBS: 'false',
    })
    expect(await p.exited).toBe(1)
    expect(p.output()).toContain(`Mon espace santé n'a pas pu démarrer : rien ne répond à l'adresse 127.0.0.1:${closedPort} (PostgreSQL).`)
    expect(p.output()).toMatch(/Que faire : démarrez PostgreSQL ou corrigez DATABASE_URL/)
    expect(p.output()).not.toMatch(/undefined/)
  })

  describe('démarrage et arrêt propre', () => {
    let d: TestDatabase
    beforeAll(async () => {
      d = await createTestDatabase()
    })
    afterAll(async () => {
      await d.drop()
    })

    it('démarre, répond, puis s’arrête proprement sur SIGTERM', async () => {
      const port = await freePort()
      const p = run({
        ...TEST_SECRETS,
        NODE_ENV: 'development',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: d.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: `test:${d.name}:`,
        RUN_JOBS: 'false',
        LOG_LEVEL: 'info',
      })
      try {
        let health: Response | undefined
        for (let i = 0; i < 250 && !health; i++) {
          health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined)
          if (!health) await new Promise((r) => setTimeout(r, 200))
        }
        expect(health?.status).toBe(200)
        expect(p.output()).toContain('Mon espace santé est prêt')
        p.child.kill('SIGTERM')
        expect(await p.exited).toBe(0)
        expect(p.output()).toContain('arrêt terminé')
      } finally {
        p.child.kill('SIGKILL')
      }
    })
  })
})
