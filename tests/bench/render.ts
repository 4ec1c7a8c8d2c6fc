import crypto from 'node:crypto'
import http from 'node:http'
import zlib from 'node:zlib'
import fs from 'node:fs'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import express from 'express'
import request from 'supertest'
import * as cheerio from 'cheerio'
import { createTestApp } from '../helpers/testApp'
import { signIn } from '../helpers/http'
import { CAMILLE } from '../helpers/demo'
import { createViews } from '../../src/views'
import { loadConfig } from '../../src/config'
import { TEST_SECRETS } from '../helpers/env'
import { line, load, loadApart, ratio } from './lib'

async function listen(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) }
}

/**
 * Rendering cost, three ways, in one run:
 *  (a) the full app: a signed-in page (session in Redis, CSRF token, the actor's SQL query);
 *  (b) the same template and data rendered by Nunjucks alone in a bare Express route;
 *  (c) the same bytes from a bare node:http server.
 */
export async function renderBench(seconds = 10): Promise<string[]> {
  // The client (autocannon) runs in its own process for (a), (b) and (c) alike, so that it never takes
  // the measured server's event loop; BENCH_CLIENT=inprocess puts it back in this process (all three).
  const inProcess = process.env.BENCH_CLIENT === 'inprocess'
  const run = inProcess ? load : loadApart
  const out: string[] = [
    `Rendu des pages (autocannon, 50 connexions, ${seconds} s chacun, client ${inProcess ? 'dans le processus du banc' : 'dans son propre processus'})`,
  ]
  // Production-like: the database pool of the production default (DATABASE_POOL_MAX, 10), not the
  // small pool of the test files; templates are compiled once and cached as in every mode.
  const testPool = process.env.TEST_DB_POOL
  process.env.TEST_DB_POOL = testPool ?? String(loadConfig({ NODE_ENV: 'test', ...TEST_SECRETS }).databasePoolMax)
  const t = await createTestApp().finally(() => {
    if (testPool === undefined) delete process.env.TEST_DB_POOL
    else process.env.TEST_DB_POOL = testPool
  })
  const views = createViews()
  try {
    // Page weights of the home page.
    const home = await request(t.app).get('/').set('Accept-Encoding', 'br, gzip')
    const homeHtml = (await request(t.app).get('/').set('Accept-Encoding', 'identity')).text
    const cssPath = cheerio.load(homeHtml)('link[rel="stylesheet"]').attr('href')!
    const cssFile = path.resolve(__dirname, '../../public', cssPath.slice(1))
    const scripts = cheerio.load(homeHtml)('script[src]').length
    out.push(
      `  Accueil : HTML ${homeHtml.length} o, compressé ${zlib.brotliCompressSync(homeHtml).length} o (brotli) / ${zlib.gzipSync(homeHtml).length} o (gzip) [objectif < 14 Ko] ; en-tête ${home.headers['content-encoding']}`,
      `  CSS : ${fs.statSync(cssFile).size} o, compressé ${fs.statSync(cssFile + '.br').size} o (brotli) / ${fs.statSync(cssFile + '.gz').size} o (gzip) [objectif < 25 Ko]`,
      `  JavaScript nécessaire : aucun (${scripts} script(s) d'amélioration chargé(s) en module)`,
    )

    const base = await t.listen()
    const a = request.agent(t.app)
    await signIn(a, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const sessionCookie = a.jar.getCookie('mes_session', { domain: '127.0.0.1', path: '/', secure: false, script: false })
    if (!sessionCookie) throw new Error('pas de cookie de session après la connexion')
    const cookie = `mes_session=${sessionCookie.value}`

    // (b) renders exactly what (a) rendered: the locals of one real request of the app are captured
    // (app.locals + res.locals + the route's own), with the same nonce length and the CSRF token of the session.
    const view = 'home/patient.njk'
    let captured: Record<string, unknown> | undefined
    const appRender = t.app.render.bind(t.app)
    t.app.render = function (this: typeof t.app, name: string, options: object, cb: (err: Error | null, html?: string) => void) {
      if (name === view) {
        const { _locals, ...own } = options as Record<string, unknown>
        captured = { ...t.app.locals, ...(_locals as object), ...own }
      }
      return Reflect.apply(appRender, this, [name, options, cb])
    } as typeof t.app.render
    const sample = await request(t.app).get('/mon-espace').set('cookie', cookie).set('Accept-Encoding', 'identity')
    t.app.render = appRender
    if (sample.status !== 200 || !captured) throw new Error(`la page connectée répond ${sample.status} : mesure invalide`)
    const token = cheerio.load(sample.text)('input[name="_csrf"]').first().attr('value') ?? ''
    const locals = { ...captured, cspNonce: crypto.randomBytes(16).toString('base64'), csrfToken: () => token }
    const bytes = Buffer.from(views.render(view, locals))
    if (bytes.length !== Buffer.byteLength(sample.text)) {
      throw new Error(`(b) ne rend pas les mêmes octets que (a) : ${bytes.length} o contre ${Buffer.byteLength(sample.text)} o`)
    }
    out.push(
      `  Page mesurée : GET /mon-espace (Camille connectée), ${bytes.length} o de HTML pour (a), (b) et (c), sans compression (le client n'en demande pas)`,
    )

    const full = await run(`${base}/mon-espace`, { seconds, headers: { cookie } })
    if (full.non2xx) throw new Error('la page connectée ne répond pas 200 : mesure invalide')

    const bare = express()
    views.express(bare)
    bare.get('/', (_req, res) => res.render(view, locals))
    const bareServer = await listen(bare)
    const engine = await run(bareServer.url, { seconds })
    await bareServer.close()

    const raw = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': bytes.length })
      res.end(bytes)
    })
    const plain = await run(raw.url, { seconds })
    await raw.close()

    out.push(
      line('(a) application complète (session, CSRF, requête SQL)', full),
      line('(b) même gabarit, Nunjucks seul dans Express', engine),
      line('(c) mêmes octets, node:http nu', plain),
      `  ratio a/b = ${ratio(full.requestsPerSecond, engine.requestsPerSecond)} (objectif ≥ 0,6) ; ratio b/c = ${ratio(engine.requestsPerSecond, plain.requestsPerSecond)}`,
    )
    if (full.cpuPerRequest && engine.cpuPerRequest) {
      // Less sensitive to a loaded machine than requests/s: the server process's own processor time per
      // request (PostgreSQL's and Redis's processes are not counted in (a)).
      out.push(
        `  processeur du serveur par requête : b/a = ${ratio(engine.cpuPerRequest, full.cpuPerRequest)} (hors processus PostgreSQL et Redis)`,
      )
    }
  } finally {
    await new Promise((r) => setTimeout(r, 300)) // let the last keep-alive requests finish
    await t.close()
  }
  return out
}
