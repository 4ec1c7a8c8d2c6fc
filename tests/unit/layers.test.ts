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

/**
 * SQL only in repositories (issue 18 §2): under src/features, only `repository.ts` and `*Repository.ts`
 * build queries. Anywhere else, these are refused (comments ignored):
 *  - a table called on a knex instance or a transaction: `db('accounts')`, `trx("spaces as s")`,
 *    `(trx ?? db)('accounts')` — the instance named db, trx, tx, knex or conn;
 *  - raw SQL: `.raw(`;
 *  - the schema builder: `.schema.`.
 * A route or a service still holds the transaction (`db.transaction(…)`) and may pass `trx.fn.now()`
 * as a value: it writes no query. Nothing is allow-listed (the health check's `SELECT 1` is in
 * src/features/public/repository.ts).
 */
const QUERY_BUILDER: RegExp[] = [
  /\b(?:db|trx|tx|knex|conn)\s*\(\s*['"`]/,
  /\?\?\s*(?:db|trx|tx|knex|conn)\s*\)\s*\(\s*['"`]/,
  /\.raw\s*\(/,
  /\.schema\s*\./,
]

const isRepository = (file: string) => /(?:^|[/\\])(?:repository|[A-Za-z]+Repository)\.ts$/.test(file)

/** Every line of a non-repository file under `features` that builds a query: `file:line: text`. */
function queriesOutsideRepositories(features: string): string[] {
  const found: string[] = []
  for (const file of filesUnder(features)) {
    if (isRepository(file)) continue
    const text = fs
      .readFileSync(file, 'utf8')
      // Comments may name a query; keep the line count so the message points at the right line.
      .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
      .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
    text.split('\n').forEach((line, i) => {
      if (QUERY_BUILDER.some((q) => q.test(line)))
        found.push(`${path.relative(features, file).split(path.sep).join('/')}:${i + 1}: ${line.trim()}`)
    })
  }
  return found
}

describe('le SQL seulement dans les dépôts (src/features/*/repository.ts)', () => {
  it('aucune route, aucun service ni autre fichier de src/features n’écrit de requête', () => {
    expect(queriesOutsideRepositories(path.join(__dirname, '../../src/features'))).toEqual([])
  })

  it('le contrôle trouve une requête hors d’un dépôt, et laisse les dépôts, les transactions et les commentaires', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-sql-'))
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
      fs.writeFileSync(path.join(root, rel), text)
    }
    try {
      write('home/repository.ts', "export const r = (db) => db('accounts').first()\n")
      write('home/campaignRepository.ts', "export const c = (trx) => trx.raw('SELECT 1')\n")
      write(
        'home/service.ts',
        [
          'export const s = (db) =>',
          '  db.transaction(async (trx) => {',
          "    // trx('accounts') in a comment is no query",
          "    await trx('accounts').update({ at: trx.fn.now() })",
          '  })',
        ].join('\n'),
      )
      write('home/routes.ts', '/* db.raw(\'x\') */\nconst n = await (trx ?? db)("spaces as s").count()\nawait db.raw(`SELECT 1`)\n')
      write('home/health.ts', 'await knex.schema.hasTable(`x`)\nawait db(`spaces`)\n')
      expect(queriesOutsideRepositories(root).sort()).toEqual(
        [
          "home/service.ts:4: await trx('accounts').update({ at: trx.fn.now() })",
          'home/routes.ts:2: const n = await (trx ?? db)("spaces as s").count()',
          'home/routes.ts:3: await db.raw(`SELECT 1`)',
          'home/health.ts:1: await knex.schema.hasTable(`x`)',
          'home/health.ts:2: await db(`spaces`)',
        ].sort(),
      )
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})
