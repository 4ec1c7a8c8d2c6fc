import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { tsFilesUnder } from '../helpers/imports'

/**
 * Casts only where a library's types are wrong (issue 18 §4): every type assertion in src/
 * (`x as T`, `<T>x`; not `as const`, and `satisfies` is no assertion) says why on its line or on the
 * line just above. The types are made right without a cast wherever they can be (narrowing, a type
 * guard, a generic parameter, a zod schema); what remains is a library typed too loosely (knex's
 * `db.client`, node-pg's multi-statement results…) or an invariant TS cannot express.
 *
 * Checked in every file of src/.
 */

const SRC = path.join(__dirname, '../../src')

/**
 * The type assertions of a source text with no comment on their line or on the line just above:
 * `file:line: text`. A cast written over several lines may carry its comment above its first line or
 * above (or on) the line of its type.
 */
function uncommentedCasts(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line
  // The lines that hold (part of) a comment: every comment is trivia before some token (a `//` in a string is none).
  const commented = new Set<number>()
  const collect = (node: ts.Node) => {
    // Leading: on the lines before the token; trailing: after the previous token, on its line.
    const ranges = [
      ...(ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []),
      ...(ts.getTrailingCommentRanges(text, node.getFullStart()) ?? []),
    ]
    for (const range of ranges) {
      for (let l = lineOf(range.pos); l <= lineOf(range.end); l++) commented.add(l)
    }
    node.getChildren(sf).forEach(collect)
  }
  collect(sf)
  const found: string[] = []
  const visit = (node: ts.Node) => {
    if (
      (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) &&
      !(ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(sf) === 'const')
    ) {
      const first = lineOf(node.getStart(sf))
      const last = lineOf(node.type.getStart(sf))
      if (![first - 1, first, last - 1, last].some((l) => commented.has(l))) {
        found.push(`${file}:${first + 1}: ${node.getText(sf).replace(/\s+/g, ' ').slice(0, 100)}`)
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return found
}

describe('les conversions de type (as T) disent pourquoi', () => {
  it('chaque conversion de src/ a un commentaire sur sa ligne ou la ligne au-dessus', () => {
    const found = tsFilesUnder(SRC).flatMap((file) => uncommentedCasts(path.relative(SRC, file), fs.readFileSync(file, 'utf8')))
    expect(found).toEqual([])
  })

  it('le contrôle trouve une conversion sans commentaire et laisse celles qui en ont un, as const et satisfies', () => {
    const sample = [
      "const a = JSON.parse('1') as number // JSON.parse is typed any",
      '// knex types raw() rows as any: the SELECT gives these columns',
      'const b = rows as { id: string }[]',
      "const c = ['x'] as const",
      'const d = { x: 1 } satisfies object',
      "const e = '// not a comment' + (f as string)",
      'const g = <number>h',
      '/* a comment',
      '   over two lines */ const i = j as unknown as K',
      '',
      'const l = m as',
      '  // the comment on the line above the type counts',
      '  N',
      '// two lines above is too far',
      '',
      'const o = p as Q',
    ].join('\n')
    expect(uncommentedCasts('sample.ts', sample)).toEqual(['sample.ts:6: f as string', 'sample.ts:7: <number>h', 'sample.ts:16: p as Q'])
  })
})
