import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { importsOf, tsFilesUnder as filesUnder } from '../helpers/imports'

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
