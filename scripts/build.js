#!/usr/bin/env node
// `npm run build`, and the first step of `npm start`, `worker`, `migrate`, `import`, `audit:verify`.
// Builds only what changed: the static files (public/) and the compiled code (dist/) each keep a
// stamp, the SHA-256 of their inputs' contents; equal stamps mean nothing to do. TypeScript itself
// builds incrementally (dist/.tsbuildinfo) when sources did change.
// In a production install (`npm ci --omit=dev`: no TypeScript, no Sass) it uses dist/ and public/
// as they are. `--force` rebuilds everything.
'use strict'
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const PROJECT = path.resolve(__dirname, '..')

/** Files under `dir` (relative to `root`), sorted, recursively; [] when it does not exist. */
function filesUnder(root, dir) {
  const out = []
  const walk = (rel) => {
    let entries
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const r = path.join(rel, e.name)
      if (e.isDirectory()) walk(r)
      else if (e.isFile()) out.push(r)
    }
  }
  walk(dir)
  return out
}

/** The stamp of a set of inputs: their paths and contents, plus tool versions. */
function stampOf(root, { files, extra = [] }) {
  const h = crypto.createHash('sha256')
  for (const x of extra) h.update(`${x}\0`)
  for (const f of files) {
    h.update(`${f.split(path.sep).join('/')}\0`)
    try {
      h.update(fs.readFileSync(path.join(root, f)))
    } catch {
      h.update('(absent)')
    }
    h.update('\0')
  }
  return h.digest('hex')
}

function versionOf(root, pkg) {
  try {
    return `${pkg}@${JSON.parse(fs.readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version}`
  } catch {
    return `${pkg}@absent`
  }
}

function readStamp(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    return undefined
  }
}

/** What the compiled code (dist/) is made of. */
const codeInputs = (root) => ({
  files: [...filesUnder(root, 'src'), ...filesUnder(root, 'migrations'), 'tsconfig.json', 'tsconfig.build.json'],
  extra: [versionOf(root, 'typescript')],
})
/** What the static files (public/) are made of. */
const assetInputs = (root) => ({
  files: [...filesUnder(root, 'assets'), 'scripts/build-assets.mjs'],
  extra: [versionOf(root, 'sass'), versionOf(root, 'govuk-frontend')],
})

/** Compiled files whose source is gone (a renamed migration must not stay behind in dist/). */
function pruneOrphans(root) {
  let removed = 0
  for (const top of ['src', 'migrations']) {
    for (const rel of filesUnder(root, path.join('dist', top))) {
      const m = /^(.*)\.js(\.map)?$/.exec(rel)
      if (!m) continue
      const source = path.relative('dist', m[1])
      if (!fs.existsSync(path.join(root, `${source}.ts`))) {
        fs.rmSync(path.join(root, rel), { force: true })
        removed++
      }
    }
  }
  return removed
}

function run(what, command, args) {
  const r = spawnSync(command, args, { cwd: PROJECT, stdio: 'inherit' })
  if (r.status !== 0) {
    process.stderr.write(`\nLa construction a échoué (${what}) : corrigez l'erreur ci-dessus, puis relancez.\n`)
    process.exit(r.status || 1)
  }
}

function canBuild() {
  try {
    require.resolve('typescript/package.json', { paths: [PROJECT] })
    require.resolve('sass', { paths: [PROJECT] })
    return fs.existsSync(path.join(PROJECT, 'src'))
  } catch {
    return false
  }
}

function main() {
  const ROOT = PROJECT
  const CODE_STAMP = path.join(ROOT, 'dist', '.build-stamp')
  const ASSET_STAMP = path.join(ROOT, 'public', '.build-stamp')
  const force = process.argv.includes('--force')
  const quiet = process.argv.includes('--quiet')
  const say = (line) => {
    if (!quiet) process.stdout.write(`${line}\n`)
  }
  const built =
    fs.existsSync(path.join(ROOT, 'dist', 'src', 'server.js')) && fs.existsSync(path.join(ROOT, 'public', 'assets-manifest.json'))

  if (!canBuild()) {
    if (built) {
      if (fs.existsSync(path.join(ROOT, 'src')))
        say('construction : outils de développement absents (npm ci --omit=dev) : dist/ et public/ utilisés tels quels')
      return
    }
    process.stderr.write(
      "Le code n'est pas construit (dist/ ou public/ absent) et les outils de construction manquent : lancez npm ci (avec les dépendances de développement), puis npm run build.\n",
    )
    process.exit(1)
  }

  const started = Date.now()
  const assetStamp = stampOf(ROOT, assetInputs(ROOT))
  const assetsFresh = !force && readStamp(ASSET_STAMP) === assetStamp && fs.existsSync(path.join(ROOT, 'public', 'assets-manifest.json'))
  if (!assetsFresh) {
    run('fichiers statiques', process.execPath, [path.join(ROOT, 'scripts', 'build-assets.mjs')])
    fs.writeFileSync(ASSET_STAMP, `${assetStamp}\n`)
  }

  const codeStamp = stampOf(ROOT, codeInputs(ROOT))
  const codeFresh = !force && readStamp(CODE_STAMP) === codeStamp && fs.existsSync(path.join(ROOT, 'dist', 'src', 'server.js'))
  if (!codeFresh) {
    if (force) fs.rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true })
    // Emit only (`--noCheck`): the types are checked by `npm run typecheck`, the first step of
    // `npm test`, which ran them at the same time as this build and checked them a second time.
    run('TypeScript', process.execPath, [
      require.resolve('typescript/bin/tsc', { paths: [ROOT] }),
      '-p',
      path.join(ROOT, 'tsconfig.build.json'),
      '--noCheck',
    ])
    const removed = pruneOrphans(ROOT)
    if (removed) say(`construction : ${removed} fichier(s) compilé(s) sans source retiré(s) de dist/`)
    fs.writeFileSync(CODE_STAMP, `${codeStamp}\n`)
  }

  if (assetsFresh && codeFresh) say('construction : rien n’a changé (dist/ et public/ à jour)')
  else {
    const what = [!codeFresh && 'code (dist/)', !assetsFresh && 'fichiers statiques (public/)'].filter(Boolean).join(' et ')
    say(`construction : ${what} reconstruit en ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
}

if (require.main === module) main()

module.exports = { stampOf, codeInputs, assetInputs, pruneOrphans, filesUnder }
