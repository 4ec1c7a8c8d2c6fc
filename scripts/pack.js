#!/usr/bin/env node
// `node scripts/pack.js <folder>`: copies what production runs into <folder>, after `npm run build`:
// package.json and package-lock.json (for `npm ci --omit=dev`), dist/ (the compiled code and
// migrations), public/ (the built static files), views/ (the templates) and scripts/build.js (which,
// without the development tools, leaves dist/ as it is: `npm start`, `npm run migrate`… still work).
// The Dockerfile and the production test (tests/integration/production.test.ts) both use it.
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..')
const PARTS = ['package.json', 'package-lock.json', 'dist', 'public', 'views', 'scripts/build.js']
const LEFT_OUT = new Set(['.tsbuildinfo']) // the incremental compiler's notes: of no use to run

function main() {
  const target = process.argv[2]
  if (!target) {
    process.stderr.write('Usage : node scripts/pack.js <dossier>\n')
    process.exit(64)
  }
  for (const need of ['dist/src/server.js', 'public/assets-manifest.json']) {
    if (!fs.existsSync(path.join(ROOT, need))) {
      process.stderr.write(`${need} manque : lancez d'abord npm run build.\n`)
      process.exit(1)
    }
  }
  const out = path.resolve(target)
  fs.mkdirSync(out, { recursive: true })
  for (const part of PARTS) {
    fs.mkdirSync(path.dirname(path.join(out, part)), { recursive: true })
    fs.cpSync(path.join(ROOT, part), path.join(out, part), {
      recursive: true,
      filter: (src) => !LEFT_OUT.has(path.basename(src)),
    })
  }
  process.stdout.write(`paquet de production prêt dans ${out} (${PARTS.join(', ')})\n`)
}

main()
