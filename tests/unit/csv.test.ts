import { CsvReader, type CsvRecord } from '../../src/domain/csv'

/** Reads `text` pushed in pieces of `size` characters (1 = character by character). */
function read(text: string, size = text.length || 1, opts: { maxRecord?: number } = {}): CsvRecord[] {
  const r = new CsvReader(opts)
  const out: CsvRecord[] = []
  for (let i = 0; i < text.length; i += size) r.push(text.slice(i, i + size), out)
  r.end(out)
  return out
}
const cells = (recs: CsvRecord[]) => recs.map((r) => r.cells)

describe('lecteur CSV en flux (RFC 4180)', () => {
  it.each([
    [
      'séparateur point-virgule',
      'a;b;c\n1;2;3\n',
      [
        ['a', 'b', 'c'],
        ['1', '2', '3'],
      ],
    ],
    [
      'séparateur virgule deviné',
      'a,b,c\n1,2,3\n',
      [
        ['a', 'b', 'c'],
        ['1', '2', '3'],
      ],
    ],
    [
      'fin de ligne CRLF',
      'a;b\r\n1;2\r\n',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'dernière ligne sans saut de ligne',
      'a;b\n1;2',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'champs vides',
      'a;b;c\n;;\n',
      [
        ['a', 'b', 'c'],
        ['', '', ''],
      ],
    ],
    [
      'lignes vides ignorées',
      'a;b\n\n1;2\n  \n\r\n3;4\n',
      [
        ['a', 'b'],
        ['1', '2'],
        ['3', '4'],
      ],
    ],
    [
      'marque BOM retirée',
      '\ufeffnir;nom\n1;2\n',
      [
        ['nir', 'nom'],
        ['1', '2'],
      ],
    ],
    [
      'champ entre guillemets avec séparateur',
      'a,b\n"Anne, Marie",x\n',
      [
        ['a', 'b'],
        ['Anne, Marie', 'x'],
      ],
    ],
    [
      'guillemets doublés',
      'a;b\n"Il dit ""oui""";2\n',
      [
        ['a', 'b'],
        ['Il dit "oui"', '2'],
      ],
    ],
    [
      'saut de ligne dans un champ',
      'a;b\n"ligne 1\nligne 2";2\n3;4\n',
      [
        ['a', 'b'],
        ['ligne 1\nligne 2', '2'],
        ['3', '4'],
      ],
    ],
    [
      'CRLF dans un champ et en fin de ligne',
      'a;b\r\n"x\r\ny";"z"\r\n',
      [
        ['a', 'b'],
        ['x\r\ny', 'z'],
      ],
    ],
    [
      'champ vide entre guillemets',
      'a;b;c\n"";"";x\n',
      [
        ['a', 'b', 'c'],
        ['', '', 'x'],
      ],
    ],
    [
      'guillemet au milieu d’un champ non cité, gardé tel quel',
      'a;b\nab"c;d\n',
      [
        ['a', 'b'],
        ['ab"c', 'd'],
      ],
    ],
    [
      'guillemets en fin de ligne',
      'a;b\n1;"2"\n',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'séparateur deviné hors guillemets',
      '"a;b",c,d\n1,2,3\n',
      [
        ['a;b', 'c', 'd'],
        ['1', '2', '3'],
      ],
    ],
    [
      'caractères accentués',
      'nom;ville\nÉlodie;Besançon\n',
      [
        ['nom', 'ville'],
        ['Élodie', 'Besançon'],
      ],
    ],
  ])('%s', (_label, text, expected) => {
    expect(cells(read(text))).toEqual(expected)
    // Same result whatever the cut between chunks.
    for (const size of [1, 2, 3, 5, 7]) expect([size, cells(read(text, size))]).toEqual([size, expected])
  })

  it('numérote les enregistrements (en-tête = 1 ; un champ sur deux lignes compte une fois)', () => {
    const recs = read('a;b\n1;2\n"x\ny";3\n4;5\n', 3)
    expect(recs.map((r) => r.number)).toEqual([1, 2, 3, 4])
  })

  it("signale un guillemet jamais fermé à la fin du fichier sans s'arrêter", () => {
    const recs = read('a;b\n1;2\n3;"ouvert\n4;5\n', 4)
    expect(recs.map((r) => [r.number, r.malformed])).toEqual([
      [1, undefined],
      [2, undefined],
      [3, 'unclosed_quote'],
    ])
    expect(recs[2].cells).toEqual(['3', 'ouvert\n4;5\n'])
  })

  it('signale un enregistrement trop long et reprend à la ligne suivante', () => {
    const long = 'x'.repeat(500)
    const recs = read(`a;b\n"${long}\n${long}";1\n2;3\n`, 64, { maxRecord: 300 })
    expect(recs.map((r) => r.malformed)).toContain('too_long')
    expect(cells(recs).at(-1)).toEqual(['2', '3'])
  })
})
