import { checkRow, readHeader, splitCsvLine } from '../../src/domain/reimbursementRow'

const HEADER = 'reference;nir;date_soins;acte;type_soins;professionnel;montant_paye;montant_rembourse'
const header = readHeader(HEADER)
if (!header.ok) throw new Error('en-tête')
const TODAY = '2026-11-24'
const good = ['RB-2026-0001', '268037505612363', '2026-03-14', 'Consultation', 'consultation', 'Dr Sophie Bernard', '30,00', '20,00']
const withField = (i: number, v: string) => good.map((x, j) => (j === i ? v : x))

describe("ligne d'un fichier de remboursements", () => {
  it('découpe les champs, guillemets compris', () => {
    expect(splitCsvLine('a;b;c', ';')).toEqual(['a', 'b', 'c'])
    expect(splitCsvLine('"a;b";"dit ""oui""";', ';')).toEqual(['a;b', 'dit "oui"', ''])
    expect(splitCsvLine('"non fermé;b', ';')).toBeNull()
    expect(splitCsvLine('"a"b;c', ';')).toBeNull()
  })

  it("lit l'en-tête dans n'importe quel ordre, avec BOM et virgules ; signale les colonnes manquantes", () => {
    const h = readHeader('\ufeffNIR,reference,date_soins,acte,type_soins,professionnel,montant_paye,montant_rembourse')
    expect(h.ok && h.separator).toBe(',')
    expect(h.ok && h.index.nir).toBe(0)
    const bad = readHeader('reference;nir;date')
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.message).toContain('il manque : date_soins, acte')
  })

  it('accepte une ligne correcte (montants en centimes, date ISO)', () => {
    const r = checkRow(good, header, TODAY)
    expect(r).toEqual({
      ok: true,
      row: {
        reference: 'RB-2026-0001',
        nir: '268037505612363',
        careDate: '2026-03-14',
        act: 'Consultation',
        careType: 'consultation',
        professional: 'Dr Sophie Bernard',
        amountPaidCents: 3000,
        amountReimbursedCents: 2000,
      },
    })
    const fr = checkRow(withField(2, '14/03/2026'), header, TODAY)
    expect(fr.ok && fr.row.careDate).toBe('2026-03-14')
    const nir = checkRow(withField(1, '2 68 03 75 056 123 63'), header, TODAY)
    expect(nir.ok && nir.row.nir).toBe('268037505612363')
  })

  it.each([
    [0, 'x', 'reference :'],
    [0, 'RB 2026', 'reference :'],
    [1, '268037505612364', 'nir : La clé'],
    [1, '', 'nir :'],
    [2, '2026-02-30', 'date_soins :'],
    [2, '2027-01-01', 'date_soins :'],
    [2, '14-03-2026', 'date_soins :'],
    [3, '', 'acte :'],
    [4, 'massage', 'type_soins :'],
    [5, '', 'professionnel :'],
    [6, '-3', 'montant_paye :'],
    [7, 'vingt', 'montant_rembourse :'],
    [7, '31,00', 'montant_rembourse : ne peut pas dépasser'],
  ])('colonne %d = %j → « %s »', (i, v, message) => {
    const r = checkRow(withField(i, v), header, TODAY)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message.startsWith(message)).toBe(true)
  })

  it('lit la colonne facultative code_acte (CCAM, NGAP…)', () => {
    const h = readHeader('reference;nir;date_soins;acte;type_soins;professionnel;montant_paye;montant_rembourse;code_acte')
    if (!h.ok) throw new Error(h.message)
    const line = [...good, 'qeqk004']
    const r = checkRow(line, h, TODAY)
    expect(r.ok && r.row.actCode).toBe('QEQK004')
    const empty = checkRow([...good, ''], h, TODAY)
    expect(empty.ok && empty.row.actCode).toBeUndefined()
    const bad = checkRow([...good, 'QE-QK'], h, TODAY)
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.message).toMatch(/^code_acte :/)
  })

  it('refuse une ligne mal formée ou trop courte', () => {
    expect(checkRow(null, header, TODAY)).toEqual({ ok: false, message: 'Ligne mal formée (guillemets non fermés ou mal placés)' })
    expect(checkRow(['RB-1234'], header, TODAY).ok).toBe(false)
  })
})
