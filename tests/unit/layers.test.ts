import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * The layers' rules (docs in /work/shared ARCHITECTURE, issue 18 §1), checked on the imports of the
 * source files: static `import … from`, `export … from`, `import('…')` and `require('…')`.
 *  - src/middleware imports no feature;
 *  - src/infrastructure imports no middleware and no feature;
 *  - src/domain imports no feature, no middleware, no infrastructure and no access (it stays pure);
 *  - src/access may import infrastructure and domain, but no feature.
 * Imports are followed through the files outside these layers too (src/validation.ts, src/errors.ts…):
 * a middleware that reaches a feature through a shared file breaks the rule as surely as a direct one.
 */
interface Rule {
  layer: string
  forbidden: string[]
}

const RULES: Rule[] = [
  { layer: 'middleware', forbidden: ['features'] },
  { layer: 'infrastructure', forbidden: ['middleware', 'features'] },
  { layer: 'domain', forbidden: ['features', 'middleware', 'infrastructure', 'access'] },
  { layer: 'access', forbidden: ['features', 'middleware'] },
]

const IMPORT =
  /(?:^|[^\w.])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[^\w.])import\s+['"]([^'"]+)['"]|(?:^|[^\w.])require\s*\(\s*['"]([^'"]+)['"]\s*\)/g

/** The relative imports of a file, resolved to files of the tree (packages and node: modules are left out). */
function importsOf(file: string): string[] {
  const text = fs
    .readFileSync(file, 'utf8')
    // Comments name files without importing them.
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
  const out: string[] = []
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4]
    if (!spec || !spec.startsWith('.')) continue
    const base = path.resolve(path.dirname(file), spec)
    const found = [base, `${base}.ts`, `${base}.d.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f) && fs.statSync(f).isFile())
    if (found) out.push(found)
  }
  return out
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return filesUnder(p)
    return e.name.endsWith('.ts') ? [p] : []
  })
}

/** Every forbidden import reached from the layers' files under `src`, with the chain of files that reaches it. */
function layerViolations(src: string, rules: Rule[] = RULES): string[] {
  const top = (file: string) => path.relative(src, file).split(path.sep)[0]
  const violations: string[] = []
  for (const rule of rules) {
    for (const start of filesUnder(path.join(src, rule.layer))) {
      // Breadth first, so the chain shown is the shortest one.
      const seen = new Map<string, string | null>([[start, null]])
      const queue = [start]
      while (queue.length) {
        const file = queue.shift()!
        for (const target of importsOf(file)) {
          if (seen.has(target)) continue
          seen.set(target, file)
          if (rule.forbidden.includes(top(target))) {
            const chain = [target]
            for (let f: string | null = file; f; f = seen.get(f) ?? null) chain.unshift(f)
            violations.push(`${rule.layer}: ${chain.map((f) => path.relative(src, f)).join(' -> ')}`)
            continue
          }
          queue.push(target)
        }
      }
    }
  }
  return violations
}

describe('couches du code (src/middleware, src/infrastructure, src/domain, src/access)', () => {
  it('aucune couche n’importe ce qui lui est interdit, directement ou par un fichier partagé', () => {
    expect(layerViolations(path.join(__dirname, '../../src'))).toEqual([])
  })

  it('le contrôle trouve un import interdit, direct ou indirect, et ignore les commentaires', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-layers-'))
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
      fs.writeFileSync(path.join(root, rel), text)
    }
    try {
      write('features/home/repository.ts', 'export const x = 1\n')
      write('shared.ts', "export { x } from './features/home/repository'\n")
      write('middleware/auth.ts', "import { x } from '../shared'\n// import { y } from '../features/home/repository'\nexport default x\n")
      write('infrastructure/db.ts', "import type { S } from '../middleware/auth'\n")
      write('domain/pure.ts', "const m = require('../features/home/repository')\n/* import '../features/home/repository' */\n")
      write('access/facts.ts', "import { z } from 'zod'\nimport { pure } from '../domain/pure'\n")
      expect(layerViolations(root).sort()).toEqual(
        [
          'middleware: middleware/auth.ts -> shared.ts -> features/home/repository.ts',
          'infrastructure: infrastructure/db.ts -> middleware/auth.ts',
          'domain: domain/pure.ts -> features/home/repository.ts',
          // src/access reaches a feature through the (here impure) domain file.
          'access: access/facts.ts -> domain/pure.ts -> features/home/repository.ts',
        ].sort(),
      )
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})
