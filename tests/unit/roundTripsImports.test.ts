import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { importsOf, tsFilesUnder as filesUnder } from '../helpers/imports'

/**
 * The round-trip engine stays behind its one interface (issue 18 §3, docs/decisions/0002):
 *  - `src/infrastructure/roundTrips.ts` (the interface) is imported by repositories only: a
 *    `src/features/<f>/…Repository.ts` / `repository.ts`, or the data access of `src/access/`;
 *  - `src/infrastructure/roundTripEngine.ts` (the engine) by that interface only.
 * Services, routes, middleware and the rest never import either (tests may: they test the engine).
 */
const INTERFACE = 'infrastructure/roundTrips.ts'
const ENGINE = 'infrastructure/roundTripEngine.ts'

const isRepository = (rel: string) => /^features\/[^/]+\/(?:[\w-]*Repository|repository)\.ts$/.test(rel) || rel.startsWith('access/')

/** Who imports the interface and the engine (`importers`), and who may not (`violations`). */
function scan(src: string): { importers: string[]; violations: string[] } {
  const importers: string[] = []
  const violations: string[] = []
  for (const file of filesUnder(src)) {
    const rel = path.relative(src, file).split(path.sep).join('/')
    for (const target of importsOf(file).map((f) => path.relative(src, f).split(path.sep).join('/'))) {
      if (target === INTERFACE) {
        importers.push(`${rel} -> ${target}`)
        if (!isRepository(rel)) violations.push(`${rel} importe ${target} : seuls les dépôts le peuvent`)
      } else if (target === ENGINE) {
        importers.push(`${rel} -> ${target}`)
        if (rel !== INTERFACE) violations.push(`${rel} importe ${target} : seule son interface ${INTERFACE} le peut`)
      }
    }
  }
  return { importers, violations }
}

describe('le moteur d’allers-retours derrière une seule interface, que seuls les dépôts importent', () => {
  it('aucun service, route ou autre fichier de src n’importe l’interface ni le moteur', () => {
    const { importers, violations } = scan(path.join(__dirname, '../../src'))
    expect(violations).toEqual([])
    // The scan sees the real imports (a scan that found nothing would pass for nothing).
    expect(importers).toEqual(
      expect.arrayContaining([
        'features/home/repository.ts -> infrastructure/roundTrips.ts',
        'infrastructure/roundTrips.ts -> infrastructure/roundTripEngine.ts',
      ]),
    )
  })

  it('le contrôle trouve un import interdit (statique, dynamique, require, re-export) et ignore les commentaires', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-roundtrips-'))
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
      fs.writeFileSync(path.join(root, rel), text)
    }
    try {
      write('infrastructure/roundTripEngine.ts', 'export const preparedQuery = 1\n')
      write('infrastructure/roundTrips.ts', "export { preparedQuery } from './roundTripEngine'\n")
      write('features/home/repository.ts', "import { preparedQuery } from '../../infrastructure/roundTrips'\n")
      write('features/back-office/adminRepository.ts', "import { preparedQuery } from '../../infrastructure/roundTrips'\n")
      write('access/relations.ts', "import { preparedQuery } from '../infrastructure/roundTrips'\n")
      write(
        'features/home/service.ts',
        "// import { preparedQuery } from '../../infrastructure/roundTrips'\nimport { x } from './repository'\n",
      )
      write('features/fhir/fhirService.ts', "import type { P } from '../../infrastructure/roundTrips'\n")
      write('features/fhir/routes.ts', "const e = require('../../infrastructure/roundTripEngine')\n")
      write('features/fhir/repository.ts', "const e = import('../../infrastructure/roundTripEngine')\n")
      write('bootstrap.ts', "export * from './infrastructure/roundTrips'\n")
      expect(scan(root).violations.sort()).toEqual(
        [
          'bootstrap.ts importe infrastructure/roundTrips.ts : seuls les dépôts le peuvent',
          'features/fhir/fhirService.ts importe infrastructure/roundTrips.ts : seuls les dépôts le peuvent',
          'features/fhir/repository.ts importe infrastructure/roundTripEngine.ts : seule son interface infrastructure/roundTrips.ts le peut',
          'features/fhir/routes.ts importe infrastructure/roundTripEngine.ts : seule son interface infrastructure/roundTrips.ts le peut',
        ].sort(),
      )
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})
