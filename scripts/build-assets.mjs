// Builds the static assets into public/assets with content-hashed names and writes
// public/assets-manifest.json (logical name → hashed path). Run by `npm run build` and `npm test`.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import * as sass from 'sass'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(root, 'public', 'assets')
fs.rmSync(path.join(root, 'public'), { recursive: true, force: true })
fs.mkdirSync(out, { recursive: true })

const manifest = {}
const hash = (buf) => crypto.createHash('sha256').update(buf).digest('hex').slice(0, 12)
function emit(logical, content, ext) {
  const base = path.basename(logical, ext)
  const name = `${base}.${hash(content)}${ext}`
  fs.writeFileSync(path.join(out, name), content)
  // Pre-compressed copies: served as-is, no compression work per request.
  fs.writeFileSync(
    path.join(out, `${name}.br`),
    zlib.brotliCompressSync(content, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }),
  )
  fs.writeFileSync(path.join(out, `${name}.gz`), zlib.gzipSync(content, { level: 9 }))
  manifest[logical] = `/assets/${name}`
  return name
}

// Styles
const css = sass.compile(path.join(root, 'assets/scss/application.scss'), {
  loadPaths: [path.join(root, 'node_modules')],
  style: 'compressed',
  quietDeps: true,
  silenceDeprecations: ['import'],
})
emit('application.css', Buffer.from(css.css), '.css')

// Scripts: govuk-frontend's ES module and our init module that imports it by its hashed name.
const govukJs = fs.readFileSync(path.join(root, 'node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js'))
const govukName = emit('govuk-frontend.min.js', govukJs, '.js')
// Our own modules (imported by app.mjs under their source name, rewritten to their hashed one).
const timeoutName = emit('session-timeout.js', fs.readFileSync(path.join(root, 'assets/js/session-timeout.mjs')), '.js')
const appJs = fs
  .readFileSync(path.join(root, 'assets/js/app.mjs'), 'utf8')
  .replace('./govuk-frontend.min.js', `./${govukName}`)
  .replace('./session-timeout.mjs', `./${timeoutName}`)
emit('app.js', Buffer.from(appJs), '.js')

// Images
for (const f of fs.readdirSync(path.join(root, 'assets/images'))) {
  emit(`images/${f}`, fs.readFileSync(path.join(root, 'assets/images', f)), path.extname(f))
}

fs.writeFileSync(path.join(root, 'public', 'assets-manifest.json'), JSON.stringify(manifest, null, 2))
// The inputs' stamp: `npm start` and `npm run build` (scripts/build.js) then know public/ is up to date
// and leave it alone (never emptied while tests or a running site read it).
const { stampOf, assetInputs } = createRequire(import.meta.url)('./build.js')
fs.writeFileSync(path.join(root, 'public', '.build-stamp'), `${stampOf(root, assetInputs(root))}\n`)
const size = (n) => fs.statSync(path.join(out, n)).size
const cssName = path.basename(manifest['application.css'])
console.log(
  `assets: ${Object.keys(manifest).length} fichiers ; CSS ${size(cssName)} o, brotli ${size(cssName + '.br')} o, gzip ${size(cssName + '.gz')} o`,
)
