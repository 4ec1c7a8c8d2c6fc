import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** scripts/build.js: what makes `npm start` skip an unchanged build, and keeps dist/ free of stale files. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script without types, typed here
const build = require('../../scripts/build.js') as {
  stampOf(root: string, inputs: { files: string[]; extra?: string[] }): string
  codeInputs(root: string): { files: string[]; extra: string[] }
  pruneOrphans(root: string): number
}

let root: string
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
  fs.writeFileSync(path.join(root, rel), text)
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-build-'))
  write('src/app.ts', 'export const a = 1\n')
  write('src/cli/migrate.ts', 'export {}\n')
  write('migrations/20261124_0001_foundation.ts', 'export {}\n')
  write('tsconfig.json', '{}')
  write('tsconfig.build.json', '{}')
})
afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

describe('construction (scripts/build.js)', () => {
  it('le tampon du code change avec le contenu d’une source, pas avec sa date', () => {
    const stamp = () => build.stampOf(root, build.codeInputs(root))
    const before = stamp()
    const later = new Date(Date.now() + 60_000)
    fs.utimesSync(path.join(root, 'src/app.ts'), later, later)
    expect(stamp()).toBe(before)
    write('src/app.ts', 'export const a = 2\n')
    expect(stamp()).not.toBe(before)
    write('src/app.ts', 'export const a = 1\n')
    expect(stamp()).toBe(before)
    write('migrations/20261207_0001_new.ts', 'export {}\n')
    expect(stamp()).not.toBe(before)
  })

  it('retire de dist/ les fichiers compilés dont la source a disparu (une migration renommée ne reste pas)', () => {
    for (const f of ['src/app.js', 'src/app.js.map', 'src/cli/migrate.js', 'migrations/20261124_0001_foundation.js']) write(`dist/${f}`, '')
    write('dist/migrations/20261101_0000_renamed.js', '')
    write('dist/migrations/20261101_0000_renamed.js.map', '')
    write('dist/src/gone.js', '')
    expect(build.pruneOrphans(root)).toBe(3)
    expect(fs.existsSync(path.join(root, 'dist/migrations/20261101_0000_renamed.js'))).toBe(false)
    expect(fs.existsSync(path.join(root, 'dist/src/gone.js'))).toBe(false)
    expect(fs.existsSync(path.join(root, 'dist/src/app.js'))).toBe(true)
    expect(fs.existsSync(path.join(root, 'dist/src/cli/migrate.js'))).toBe(true)
    expect(fs.existsSync(path.join(root, 'dist/migrations/20261124_0001_foundation.js'))).toBe(true)
  })
})
