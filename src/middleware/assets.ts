import fs from 'node:fs'
import path from 'node:path'
import type { Express } from 'express'
import { z } from 'zod'
import { ROOT } from '../root'

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

/**
 * Static assets under content-hashed names: cached for a year, immutable, served pre-compressed
 * (brotli or gzip, built once by scripts/build-assets.mjs) with no compression work per request.
 */
export function setUpAssets(app: Express): void {
  const dir = path.join(ROOT, 'public', 'assets')
  const files = new Set(fs.existsSync(dir) ? fs.readdirSync(dir) : [])
  app.get('/assets/:name', (req, res, next) => {
    const name = req.params.name
    const type = TYPES[path.extname(name)]
    if (!type || !files.has(name)) return next()
    const accept = req.get('accept-encoding') ?? ''
    let file = name
    if (/\bbr\b/.test(accept) && files.has(`${name}.br`)) {
      file = `${name}.br`
      res.setHeader('Content-Encoding', 'br')
    } else if (/\bgzip\b/.test(accept) && files.has(`${name}.gz`)) {
      file = `${name}.gz`
      res.setHeader('Content-Encoding', 'gzip')
    }
    res.setHeader('Vary', 'Accept-Encoding')
    res.setHeader('Content-Type', type)
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable')
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.sendFile(path.join(dir, file), { headers: {}, lastModified: false, etag: false, cacheControl: false })
  })
  // Browsers ask for /favicon.ico on their own: answered here, before the session, so that this
  // side request never loads (and re-saves) the session of a form being filled in another request.
  const manifest = path.join(ROOT, 'public', 'assets-manifest.json')
  const icon = fs.existsSync(manifest)
    ? z.record(z.string(), z.string()).parse(JSON.parse(fs.readFileSync(manifest, 'utf8')))['images/favicon.svg']
    : undefined
  app.get('/favicon.ico', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=86400')
    if (icon) return res.redirect(301, icon)
    res.status(204).end()
  })
}
