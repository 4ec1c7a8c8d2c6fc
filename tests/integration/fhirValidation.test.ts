import request from 'supertest'
import { CAMILLE, DEMO_PERSONS } from '../helpers/demo'
import { connectService, fhirGet, fhirPost, registerClient, startOAuthApp, type OAuthApp } from '../helpers/oauth'
import { signIn } from '../helpers/http'
import { fhirIssues } from '../helpers/fhirValidator'
import { MEASURES, type MeasureType } from '../../src/domain/measures'
import { OBSERVATION_CODES } from '../../src/domain/fhir'
import { spaceBundle } from '../../src/domain/fhirBundle'
import { exportRepository } from '../../src/features/export/repository'
import { ALL_SERVICE_SCOPES } from '../../src/domain/serviceScopes'
import type { Actor } from '../../src/domain/actor'

/**
 * FHIR that other systems accept (issue 19 §2): every resource the API answers and the export writes
 * is checked against the official R4 definitions (tests/helpers/fhirValidator.ts: structure,
 * cardinalities, invariants, required value sets), over the whole demo set.
 */
let o: OAuthApp
let token: string

const expectValid = (label: string, resource: unknown) => {
  const issues = fhirIssues(resource)
  expect({ label, issues }).toEqual({ label, issues: [] })
}

beforeAll(async () => {
  o = await startOAuthApp({ FHIR_RATE_LIMIT_PER_MINUTE: '5000' })
  const camille = request.agent(o.base)
  await signIn(camille, o.t.db, 'patient', CAMILLE.login, CAMILLE.password)
  const client = await registerClient(o.t, { name: 'Service de validation', scopes: [...ALL_SERVICE_SCOPES] })
  const { tokens } = await connectService(o, client, [...ALL_SERVICE_SCOPES], [...ALL_SERVICE_SCOPES], camille)
  token = tokens.access_token
})
afterAll(async () => {
  await o?.close()
})

describe('le validateur lui-même', () => {
  test('refuse ce que R4 refuse (sinon ces tests ne prouveraient rien)', () => {
    expect(
      fhirIssues({ resourceType: 'Appointment', status: 'booked', start: '2026-01-01T10:00:00+01:00', participant: [] }).join('\n'),
    ).toMatch(/app-2/)
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ fullUrl: 'urn:uuid:a', resource: { resourceType: 'AllergyIntolerance', id: 'a', patient: { reference: 'Patient/x' } } }],
    }
    expect(fhirIssues(bundle).join('\n')).toMatch(/ait-1/)
    expect(fhirIssues({ resourceType: 'Patient', gender: 'femme' }).join('\n')).toMatch(/administrative-gender/)
    expect(fhirIssues({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, inconnu: 1 }).join('\n')).toMatch(/inconnu/)
  })
})

describe("l'export («Télécharger mes données») de chaque personne de la démonstration", () => {
  test('chaque Bundle est du FHIR R4 valide', async () => {
    const persons = await o.t
      .db('insured_persons as p')
      .leftJoin('spaces as s', 's.person_id', 'p.id')
      .select('p.id', 'p.first_names', 's.state')
    expect(persons.length).toBeGreaterThanOrEqual(5)
    let exported = 0
    for (const p of persons) {
      const holder: Actor = {
        accountId: '00000000-0000-4000-8000-000000000000',
        kind: 'patient',
        displayName: p.first_names,
        personId: p.id,
      }
      const now = new Date()
      let bundle: unknown
      if (p.state === 'activated' || p.state === 'auto_created') {
        bundle = (await o.t.services.dataExport.contents(holder, p.id, now)).bundle
        exported++
      } else {
        // A space that is not open cannot be exported; its data (if any) goes through the same Bundle.
        const base = await exportRepository.spaceData(o.t.db, p.id)
        bundle = spaceBundle({ ...base!, documents: [] }, { id: 'b', timestamp: now.toISOString() })
      }
      expectValid(`export de ${p.first_names}`, bundle)
    }
    expect(exported).toBeGreaterThanOrEqual(2)
  })

  test("l'export de Camille contient chaque sorte de ressource, chacune valide", async () => {
    const camilleId = (await o.t.db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()).id
    const actor: Actor = { accountId: 'x', kind: 'patient', displayName: 'Camille Martin', personId: camilleId }
    const { bundle } = await o.t.services.dataExport.contents(actor, camilleId, new Date())
    const types = new Set(bundle.entry.map((e) => e.resource.resourceType))
    for (const t of ['Patient', 'Observation', 'Immunization', 'Appointment', 'DocumentReference', 'AllergyIntolerance', 'Condition'])
      expect(types).toContain(t)
  })
})

describe("chaque recherche et chaque lecture de l'API FHIR", () => {
  const get = async (path: string) => {
    const r = await fhirGet(o, path, token)
    expect({ path, status: r.status }).toEqual({ path, status: 200 })
    expectValid(path, r.body)
    return r.body
  }

  test('Patient, Observation (toutes, par code, par catégorie, par date), DocumentReference, Immunization, Appointment', async () => {
    const patients = await get('/Patient')
    await get(`/Patient/${patients.entry[0].resource.id}`)
    const all = await get('/Observation?_count=200')
    expect(all.entry.length).toBeGreaterThan(5)
    for (const c of Object.values(OBSERVATION_CODES)) await get(`/Observation?code=http://loinc.org|${c.loinc}`)
    for (const cat of ['vital-signs', 'laboratory', 'survey']) await get(`/Observation?category=${cat}`)
    await get('/Observation?date=ge2020-01-01&_count=2')
    await get(`/Observation/${all.entry[0].resource.id}`)

    const docs = await get('/DocumentReference')
    expect(docs.entry.length).toBeGreaterThan(0)
    await get(`/DocumentReference/${docs.entry[0].resource.id}`)
    await get('/DocumentReference?category=BIOLOGIE&date=ge2000-01-01')

    const vaccines = await get('/Immunization')
    expect(vaccines.entry.length).toBeGreaterThan(0)
    await get(`/Immunization/${vaccines.entry[0].resource.id}`)

    const appointments = await get('/Appointment')
    expect(appointments.entry.length).toBeGreaterThan(0)
    for (const e of appointments.entry) await get(`/Appointment/${e.resource.id}`)

    expectValid('/metadata', (await fhirGet(o, '/metadata')).body)
  })

  test('every measure type the export codes is served: written, then read back valid', async () => {
    const today = new Date().toISOString().slice(0, 10)
    const samples: Record<string, [number, number?]> = {
      poids: [62],
      taille: [168],
      tension: [125, 80],
      'frequence-cardiaque': [70],
      glycemie: [0.95],
      hba1c: [6.1],
      temperature: [37.2],
      'tour-de-taille': [82],
      douleur: [3],
    }
    // Every type of the profile has a LOINC code and a UCUM unit in the one table (périmètre crânien: children only).
    for (const m of MEASURES) expect(OBSERVATION_CODES[m.type]).toBeDefined()
    for (const [type, [value, value2]] of Object.entries(samples)) {
      const c = OBSERVATION_CODES[type as MeasureType]
      const body: Record<string, unknown> = {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: c.loinc }] },
        effectiveDateTime: today,
      }
      if (c.components)
        body.component = [
          { code: { coding: [{ system: 'http://loinc.org', code: c.components[0].loinc }] }, valueQuantity: { value, code: c.ucum } },
          {
            code: { coding: [{ system: 'http://loinc.org', code: c.components[1].loinc }] },
            valueQuantity: { value: value2, code: c.ucum },
          },
        ]
      else body.valueQuantity = { value, unit: c.ucum, system: 'http://unitsofmeasure.org', code: c.ucum }
      const created = await fhirPost(o, '/Observation', token, body)
      expect({ type, status: created.status }).toEqual({ type, status: 201 })
      expectValid(`création ${type}`, created.body)
      const read = await get(`/Observation/${created.body.id}`)
      expect(read.code.coding[0].code).toBe(c.loinc)
      const search = await get(`/Observation?code=${c.loinc}`)
      expect(search.entry.some((e: { resource: { id: string } }) => e.resource.id === created.body.id)).toBe(true)
    }
  })

  test('errors are valid OperationOutcomes too', async () => {
    const bad = await fhirPost(o, '/Observation', token, { resourceType: 'Observation', status: 'final' })
    expect(bad.status).toBe(400)
    expectValid('400', bad.body)
    const notFound = await fhirGet(o, '/Observation/00000000-0000-4000-8000-000000000000', token)
    expect(notFound.status).toBe(404)
    expectValid('404', notFound.body)
  })
})
