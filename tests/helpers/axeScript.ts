import fs from 'node:fs'
import type http from 'node:http'

/**
 * axe-core for the browser: its minified build (580 kB; the package's `source` is the 1.3 MB
 * unminified one), read once.
 */
let source: Buffer | undefined
export function axeSource(): Buffer {
  source ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'))
  return source
}

/**
 * Where the tests' servers give axe-core to the page being checked: the page's own origin, which its
 * CSP (`script-src 'self'`) lets in. Loaded by a script element only when a check needs it, then
 * cached by the browser: sending the source through the relay cost more than the analysis, and an
 * init script made every page of the context evaluate it (a navigation cost three times as much).
 */
export const AXE_SCRIPT_PATH = '/__tests__/axe-core.min.js'

/** The tests' servers: axe-core at AXE_SCRIPT_PATH, everything else to the app. */
export function withAxeScript(app: http.RequestListener): http.RequestListener {
  return (req, res) => {
    if (req.url !== AXE_SCRIPT_PATH) return app(req, res)
    const body = axeSource()
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'content-length': body.length, 'cache-control': 'max-age=3600' })
    res.end(body)
  }
}
