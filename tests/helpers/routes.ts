import * as cheerio from 'cheerio'
import type { Express } from 'express'
import type { Knex } from 'knex'
import type { Agent } from './http'

/** A route registered on the real app: its method and its path pattern (`:name` for a parameter). */
export interface RegisteredRoute {
  method: string
  path: string
}

interface LayerLike {
  route?: { path: string | string[]; methods: Record<string, boolean> }
  handle?: { stack?: LayerLike[] }
  rawPath?: unknown
  slash?: boolean
}

/**
 * Every route of the real app, read from Express 5's router stack (`app.router.stack`), nested
 * routers included with their mount path. Fails loudly when the stack is not what it expects (an
 * Express upgrade that moved its internals must not make a test pass on an empty list).
 */
export function registeredRoutes(app: Express): RegisteredRoute[] {
  const root = (app as unknown as { router?: { stack?: LayerLike[] } }).router
  if (!root || !Array.isArray(root.stack))
    throw new Error("registeredRoutes : app.router.stack introuvable (les internes d'Express ont changé)")
  const out: RegisteredRoute[] = []
  const walk = (stack: LayerLike[], prefix: string, depth: number) => {
    if (depth > 10) throw new Error('registeredRoutes : routeurs imbriqués trop profondément')
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path]
        for (const p of paths) {
          if (typeof p !== 'string') throw new Error(`registeredRoutes : chemin non textuel ${String(p)}`)
          for (const [m, on] of Object.entries(layer.route.methods)) {
            if (!on) continue
            out.push({ method: m === '_all' ? 'ALL' : m.toUpperCase(), path: prefix + p })
          }
        }
      } else if (layer.handle && Array.isArray(layer.handle.stack)) {
        let mount = ''
        if (!layer.slash) {
          if (typeof layer.rawPath !== 'string')
            throw new Error(`registeredRoutes : routeur monté sur un chemin non textuel (${String(layer.rawPath)})`)
          mount = layer.rawPath === '/' ? '' : layer.rawPath.replace(/\/$/, '')
        }
        walk(layer.handle.stack, prefix + mount, depth + 1)
      }
    }
  }
  walk(root.stack, '', 0)
  if (out.length === 0)
    throw new Error("registeredRoutes : aucune route trouvée dans app.router.stack (les internes d'Express ont changé ?)")
  return out
}

export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'ALL'])

/** The route's pattern as a regular expression (as Express matches it: a parameter is one segment). */
export function routeRegExp(path: string): RegExp {
  return new RegExp(
    `^${path
      .split('/')
      .map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}/?$`,
    'i',
  )
}

/**
 * The form actions a signed-in person meets on the site: a bounded crawl (same-site links, at most three
 * pages per URL shape, `maxPages` in all) collecting the `action` of every POST form. Gives real ids
 * (a document, a conversation, an appointment...) for the routes' parameters.
 */
export async function harvestFormActions(a: Agent, starts: string[], maxPages = 60): Promise<Set<string>> {
  const actions = new Set<string>()
  const seen = new Set<string>()
  const shapes = new Map<string, number>()
  const queue = [...starts]
  const shapeOf = (u: string) => u.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, ':uuid').replace(/\/\d+(?=\/|$)/g, '/:n')
  let visited = 0
  while (queue.length && visited < maxPages) {
    const url = queue.shift()!
    if (seen.has(url)) continue
    seen.add(url)
    const shape = shapeOf(url)
    if ((shapes.get(shape) ?? 0) >= 3) continue
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1)
    visited++
    const res = await a.get(url)
    if (res.status !== 200 || !/text\/html/.test(String(res.headers['content-type']))) continue
    const $ = cheerio.load(res.text)
    $('form[method="post"], form[method="POST"]').each((_, f) => {
      const action = $(f).attr('action') ?? url
      if (action.startsWith('/')) actions.add(action.split('#')[0])
    })
    $('a[href^="/"]').each((_, el) => {
      const href = ($(el).attr('href') ?? '').split('#')[0]
      // Downloads and the outbox are not pages with forms.
      if (
        !href ||
        /telecharger|apercu|\.ics|\.csv|\.pdf|\/dev\/|deconnexion|^\/(accessibilite|mentions-legales|donnees-personnelles|plan-du-site|aide)\b/.test(
          href,
        )
      )
        return
      if (seen.has(href)) return
      // Pages about one thing (an id in the address) first: they hold the forms that act on it.
      if (/[0-9a-f]{8}-[0-9a-f-]{27}|\/\d+(\/|$)/i.test(href)) queue.unshift(href)
      else queue.push(href)
    })
  }
  return actions
}

/**
 * A digest of every table of the database (row count and the rows' content), to prove that a
 * request changed nothing. The session table of the PostgreSQL store is left out.
 */
export async function databaseDigest(db: Knex): Promise<Record<string, string>> {
  const { rows: tables } = await db.raw<{ rows: { table_name: string }[] }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'sessions' ORDER BY table_name`,
  )
  if (tables.length === 0) throw new Error('databaseDigest : aucune table')
  const sql = tables
    .map(
      ({ table_name: t }) =>
        `SELECT '${t}' AS t, count(*)::text || ':' || coalesce(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '') AS h FROM "${t}" x`,
    )
    .join(' UNION ALL ')
  const { rows } = await db.raw<{ rows: { t: string; h: string }[] }>(sql)
  return Object.fromEntries(rows.map((r) => [r.t, r.h]))
}
