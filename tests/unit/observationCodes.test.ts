import fs from 'node:fs'
import path from 'node:path'
import { LOINC, MEASURE_TYPE_BY_LOINC, OBSERVATION_CODES, UCUM } from '../../src/domain/fhir'
import { MEASURES } from '../../src/domain/measures'

const SRC = path.join(__dirname, '../../src')
const TABLE = path.join(SRC, 'domain/fhir.ts')

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : []
  })
}

describe('the LOINC / UCUM table of the measures', () => {
  it('covers every measure, once, with a UCUM unit', () => {
    expect(Object.keys(OBSERVATION_CODES).sort()).toEqual(MEASURES.map((m) => m.type).sort())
    const codes = Object.values(OBSERVATION_CODES).map((c) => c.loinc)
    expect(new Set(codes).size).toBe(codes.length)
    for (const c of Object.values(OBSERVATION_CODES)) {
      expect(c.loinc).toMatch(/^\d{1,7}-\d$/)
      expect(c.ucum).not.toBe('')
      expect(MEASURE_TYPE_BY_LOINC[c.loinc]).toBeDefined()
    }
  })

  it('is the only one: no other source file spells a measure’s LOINC code or the LOINC / UCUM systems', () => {
    const measureCodes = Object.values(OBSERVATION_CODES).flatMap((c) => [c.loinc, ...(c.components ?? []).map((k) => k.loinc)])
    const offenders: string[] = []
    for (const file of sourceFiles(SRC)) {
      if (file === TABLE) continue
      // Comments may name a code; code may not.
      const code = fs
        .readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
      for (const literal of [LOINC, UCUM, ...measureCodes])
        if (code.includes(`'${literal}'`) || code.includes(`"${literal}"`)) offenders.push(`${path.relative(SRC, file)}: ${literal}`)
    }
    expect(offenders).toEqual([])
  })
})
