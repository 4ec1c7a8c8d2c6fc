#!/usr/bin/env node
// The first step of `npm test`: the type check, the lint (ESLint; knip for unused files and exports),
// the format check and the build (scripts/build.js: static files and compiled code, each only when
// changed) at the same time, each a single-threaded
// process that used to wait for the one before. The build made here is the one
// tests/integration/production.test.ts then finds unchanged (it used to build it in the middle of the tests).
// Each one's output is printed whole when it ends; the step fails when one of them fails.
'use strict'
const path = require('node:path')
const { spawn } = require('node:child_process')

const PROJECT = path.resolve(__dirname, '..')
const bin = (pkg, file) => path.join(PROJECT, 'node_modules', pkg, file)

const steps = [
  ['types (tsc --noEmit)', [bin('typescript', 'bin/tsc'), '--noEmit', '-p', 'tsconfig.json']],
  ['code (eslint .)', [bin('eslint', 'bin/eslint.js'), '.']],
  ['code inutilisé (knip)', [bin('knip', 'bin/knip.js')]],
  ['format (prettier --check)', [bin('prettier', 'bin/prettier.cjs'), '--check', '--log-level', 'warn', '.']],
  ['construction (scripts/build.js)', [path.join(PROJECT, 'scripts/build.js')]],
]

function run([name, args]) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('close', (code) => {
      process.stdout.write(`${code === 0 ? 'ok' : 'ÉCHEC'} : ${name}\n${out}`)
      resolve(code === 0)
    })
  })
}

Promise.all(steps.map(run)).then((oks) => process.exit(oks.every(Boolean) ? 0 : 1))
