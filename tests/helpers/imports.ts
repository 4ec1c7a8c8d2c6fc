import fs from 'node:fs'
import path from 'node:path'

/**
 * The import reader of the layer tests (tests/unit/layers.test.ts, roundTripsImports.test.ts): static
 * `import … from`, `export … from`, `import('…')`, `import '…'` and `require('…')`; comments ignored.
 */
const IMPORT =
  /(?:^|[^\w.])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[^\w.])import\s+['"]([^'"]+)['"]|(?:^|[^\w.])require\s*\(\s*['"]([^'"]+)['"]\s*\)/g

/** The relative imports of a file, resolved to absolute paths of files of the tree (packages and node: modules left out). */
export function importsOf(file: string): string[] {
  const text = fs
    .readFileSync(file, 'utf8')
    // Comments name files without importing them.
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
  const out: string[] = []
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4]
    if (!spec?.startsWith('.')) continue
    const base = path.resolve(path.dirname(file), spec)
    const found = [base, `${base}.ts`, `${base}.d.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f) && fs.statSync(f).isFile())
    if (found) out.push(found)
  }
  return out
}

/** Every .ts file under `dir` (none when it does not exist). */
export function tsFilesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return tsFilesUnder(p)
    return e.name.endsWith('.ts') ? [p] : []
  })
}
