import { Readable } from 'node:stream'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { CSV_HEADER, nirFor } from '../helpers/backoffice'
import { SYSTEM_ACTOR } from '../../src/domain/actor'

jest.setTimeout(60_000)

/**
 * The bulk import in small batches (SPEC §12, issue 3): the batches go in turn to two connections
 * but are merged in the order of the file, so the last line for a NIR wins even across batches;
 * bad lines are reported by number whatever their batch; a re-import writes nothing for unchanged
 * persons and updates only the changed ones; a file that breaks off mid-way leaves the import
 * «failed» and the service usable.
 */
describe('import des assurés par lots', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  const run = (csv: string, batchSize = 2) =>
    t.services.imports.run(Readable.from([csv]), { actor: SYSTEM_ACTOR, source: 'cli', filename: 'lots.csv', batchSize })
  const a = nirFor('F', '1981-01-01', 201)
  const b = nirFor('M', '1982-02-02', 202)
  const c = nirFor('F', '1983-03-03', 203)
  const d = nirFor('M', '1984-04-04', 204)
  const line = (nir: string, sex: 'F' | 'M', birth: string, street: string) =>
    `${nir};Lot;Personne;${sex};${birth};;${street};;75011;Paris;;`
  const file = [
    CSV_HEADER,
    line(a, 'F', '1981-01-01', '1 rue A'), // 2
    line(b, 'M', '1982-02-02', '1 rue B'), // 3
    `${c};;Sans nom;F;1983-03-03;;;;;;;`, // 4: refused
    line(a, 'F', '1981-01-01', '2 rue A'), // 5: same NIR again, in a later batch
    line(c, 'F', '1983-03-03', '1 rue C'), // 6
    line(d, 'M', '1984-04-04', '1 rue D'), // 7
    line(d, 'M', '1984-04-04', '2 rue D'), // 8: same NIR in the same batch
    `${b};Lot;Personne;M;1982-02-30;;;;;;;`, // 9: refused (not a real date)
    line(a, 'F', '1981-01-01', '3 rue A'), // 10: the last line for A
  ].join('\n')

  it('la dernière ligne d’un NIR l’emporte, même dans un autre lot ; un seul assuré et un seul profil par NIR ; lignes refusées par numéro', async () => {
    const s = await run(file)
    expect(s).toMatchObject({ status: 'done', rowsTotal: 9, rowsOk: 7, rowsBad: 2 })
    const persons = await t.db('insured_persons').whereIn('nir', [a, b, c, d]).orderBy('nir')
    expect(persons).toHaveLength(4)
    const street = Object.fromEntries(persons.map((p) => [p.nir, p.address_line1]))
    expect(street).toEqual({ [a]: '3 rue A', [b]: '1 rue B', [c]: '1 rue C', [d]: '2 rue D' })
    // New persons get grouped ids (groupedUuid, version 8) and one space each, waiting for the campaign.
    for (const p of persons) expect(p.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab]/)
    const spaces = await t.db('spaces').whereIn(
      'person_id',
      persons.map((p) => p.id),
    )
    expect(spaces.map((x) => x.state)).toEqual(['not_notified', 'not_notified', 'not_notified', 'not_notified'])
    expect(s.inserted).toBe(4)
    const faults = await t.db('person_import_errors').where({ import_id: s.id }).orderBy(['line', 'column']).select('line', 'column')
    expect(faults).toEqual([
      { line: 4, column: 'nom' },
      { line: 9, column: 'date_naissance' },
    ])
    const row = await t.services.imports.find(s.id)
    expect(row).toMatchObject({ status: 'done', rows_total: 9, rows_ok: 7, rows_bad: 2, inserted: 4 })
  })

  it('réimport : rien n’est écrit pour un assuré inchangé ; seul l’assuré modifié est mis à jour', async () => {
    const before = await t.db('insured_persons').whereIn('nir', [a, b, c, d]).select('nir', 'updated_at', t.db.raw('xmin::text AS version'))
    // In one batch (in small batches, A's three lines would rewrite A three times, in the file's order).
    const same = await run(file, 25_000)
    expect(same).toMatchObject({ status: 'done', inserted: 0, updated: 0, rowsOk: 7 })
    const after = await t.db('insured_persons').whereIn('nir', [a, b, c, d]).select('nir', 'updated_at', t.db.raw('xmin::text AS version'))
    expect(after).toEqual(expect.arrayContaining(before))

    const changed = await run([CSV_HEADER, line(b, 'M', '1982-02-02', '9 rue B'), line(c, 'F', '1983-03-03', '1 rue C')].join('\n'), 25_000)
    expect(changed).toMatchObject({ status: 'done', inserted: 0, updated: 1, rowsOk: 2 })
    const rows = await t.db('insured_persons').whereIn('nir', [b, c]).select('nir', 'address_line1', t.db.raw('xmin::text AS version'))
    expect(rows.find((r) => r.nir === b)).toMatchObject({ address_line1: '9 rue B' })
    expect(rows.find((r) => r.nir === c)!.version).toBe(before.find((r) => r.nir === c)!.version)
    expect(
      await t
        .db('spaces')
        .whereIn('person_id', t.db('insured_persons').select('id').whereIn('nir', [a, b, c, d]))
        .count('* as n')
        .first(),
    ).toEqual({ n: 4 })
  })

  it('un fichier qui s’interrompt en cours de lecture (COPY ouvert) : import «échoué», lots déjà validés conservés, service toujours utilisable', async () => {
    // 700 lines (one batch, committed), then 600 more (500 already sent into the next COPY), then the input breaks.
    const nirs = Array.from({ length: 1300 }, (_, i) => nirFor('F', '1987-07-07', 1 + (i % 650), 300 + Math.floor(i / 650)))
    const lines = nirs.map((n) => line(n, 'F', '1987-07-07', '1 rue G'))
    async function* broken() {
      yield `${CSV_HEADER}\n${lines.slice(0, 700).join('\n')}\n`
      yield `${lines.slice(700).join('\n')}\n`
      throw new Error('connexion coupée')
    }
    await expect(
      t.services.imports.run(Readable.from(broken()), { actor: SYSTEM_ACTOR, source: 'cli', filename: 'coupe.csv', batchSize: 700 }),
    ).rejects.toThrow('connexion coupée')
    const last = (await t.services.imports.recent(1))[0]
    expect(last).toMatchObject({ filename: 'coupe.csv', status: 'failed', inserted: 700 })
    expect(await t.db('insured_persons').whereIn('nir', nirs.slice(0, 700)).count('* as n').first()).toEqual({ n: 700 })
    expect(await t.db('insured_persons').whereIn('nir', nirs.slice(700)).count('* as n').first()).toEqual({ n: 0 })
    // Nothing is left half-done on the connections: a new import goes through.
    const again = await run([CSV_HEADER, line(nirs[1000], 'F', '1987-07-07', '3 rue G')].join('\n'))
    expect(again).toMatchObject({ status: 'done', inserted: 1 })
  })
})
