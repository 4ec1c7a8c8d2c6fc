import * as cheerio from 'cheerio'
import { entryHash } from '../../src/domain/hashChain'
import { toEntry } from '../../src/features/history/repository'
import request from 'supertest'
import { CAMILLE, DEMO_PERSONS } from '../helpers/demo'
import { connectService, fhirGet, fhirPost, observation, oidcClient, registerClient, startOAuthApp, type OAuthApp } from '../helpers/oauth'
import { signIn, submitForm, type Agent } from '../helpers/http'
import { sealedChunksOf } from '../helpers/objects'

let o: OAuthApp
let camilleId: string
let leoId: string
let camille: Agent

const today = new Date().toISOString().slice(0, 10)
const count = async (table: string, where: Record<string, unknown>) =>
  Number((await o.t.db(table).where(where).count<{ n: string }[]>('* as n'))[0].n)

beforeAll(async () => {
  o = await startOAuthApp({ FHIR_RATE_LIMIT_PER_MINUTE: '1000', LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' })
  camilleId = (await o.t.db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()).id
  leoId = (await o.t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
  camille = request.agent(o.base)
  await signIn(camille, o.t.db, 'patient', CAMILLE.login, CAMILLE.password)
})
afterAll(async () => {
  await o?.close()
})

describe('Observation: LOINC + UCUM, the plausible ranges, the source', () => {
  test('a scale writes a weight and a blood pressure; search by code, date, category, with paging; read', async () => {
    const client = await registerClient(o.t, { name: 'Withings Health Mate', scopes: ['observation.read', 'observation.write'] })
    const { tokens } = await connectService(
      o,
      client,
      ['observation.read', 'observation.write'],
      ['observation.read', 'observation.write'],
      camille,
    )
    const w = await fhirPost(o, '/Observation', tokens.access_token, observation('29463-7', 61.8, 'kg', today))
    expect(w.status).toBe(201)
    expect(w.headers['content-type']).toMatch(/^application\/fhir\+json/)
    expect(w.headers.location).toContain(`/fhir/Observation/${w.body.id}`)
    expect(w.body).toMatchObject({
      resourceType: 'Observation',
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
      valueQuantity: { value: 61.8, code: 'kg', system: 'http://unitsofmeasure.org' },
    })
    const row = await o.t.db('measures').where({ id: w.body.id }).first()
    expect(row).toMatchObject({ person_id: camilleId, type: 'poids', source_client_id: client.id, source_name: 'Withings Health Mate' })
    expect(Number(row.value)).toBe(61.8)

    const bp = await fhirPost(o, '/Observation', tokens.access_token, {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      effectiveDateTime: today,
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 128, unit: 'mm[Hg]' } },
        { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 82, unit: 'mm[Hg]' } },
      ],
    })
    expect(bp.status).toBe(201)
    expect(bp.body.component.map((c: { valueQuantity: { value: number } }) => c.valueQuantity.value)).toEqual([128, 82])

    // Search by code: the seeded weights plus the new one, newest first, one page at a time.
    const all = await fhirGet(o, '/Observation?code=http://loinc.org|29463-7', tokens.access_token)
    expect(all.status).toBe(200)
    expect(all.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' })
    expect(all.body.entry.length).toBeGreaterThanOrEqual(6)
    expect(
      all.body.entry.every((e: { resource: { code: { coding: { code: string }[] } } }) => e.resource.code.coding[0].code === '29463-7'),
    ).toBe(true)
    expect(all.body.entry[0].resource.id).toBe(w.body.id)
    expect(all.body.entry[0].resource.device).toEqual({ display: 'Withings Health Mate' })
    const page1 = await fhirGet(o, '/Observation?code=29463-7&_count=2', tokens.access_token)
    expect(page1.body.entry).toHaveLength(2)
    const next = page1.body.link.find((l: { relation: string }) => l.relation === 'next').url as string
    expect(next).toContain('_offset=2')
    const page2 = await fhirGet(o, next.replace(/^.*\/fhir/, ''), tokens.access_token)
    expect(page2.body.entry[0].resource.id).toBe(all.body.entry[2].resource.id)
    const dated = await fhirGet(o, `/Observation?code=29463-7&date=ge${today}`, tokens.access_token)
    expect(dated.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([w.body.id])
    const labs = await fhirGet(o, '/Observation?category=laboratory', tokens.access_token)
    expect(labs.body.entry ?? []).toEqual([])
    const read = await fhirGet(o, `/Observation/${bp.body.id}`, tokens.access_token)
    expect(read.body).toMatchObject({ id: bp.body.id, code: { coding: [{ code: '85354-9' }] } })

    // The profile shows the source in the measure table.
    const page = await camille.get('/profil-medical/mesures/poids')
    expect(page.status).toBe(200)
    expect(page.text).toContain('Ajoutée par Withings Health Mate')
    // Every call is in the history, under «Services synchronisés».
    const history = await camille.get('/historique?onglet=autres&acteur=service')
    expect(history.status).toBe(200)
    expect(history.text).toContain('Services synchronisés')
    expect(history.text).toContain('Withings Health Mate')
    expect(history.text).toContain('Données lues par un service synchronisé')
  })

  test('bad values, bad units, malformed resources: OperationOutcome and nothing written', async () => {
    const client = await registerClient(o.t, { scopes: ['observation.write'] })
    const { tokens } = await connectService(o, client, ['observation.write'], ['observation.write'], camille)
    const before = await count('measures', { person_id: camilleId })
    const cases: [unknown, number, string][] = [
      [observation('29463-7', 700, 'kg', today), 422, 'value'], // 700 kg: out of the plausible range
      [observation('29463-7', 70, '[lb_av]', today), 422, 'value'], // not the UCUM unit expected
      [observation('29463-7', 70, 'kg', '2999-01-01'), 422, 'invalid'], // in the future
      [observation('29463-7', 70, 'kg', '1950-01-01'), 422, 'invalid'], // before birth
      [observation('9999-9', 70, 'kg', today), 422, 'not-supported'], // unknown LOINC code
      [{ resourceType: 'Observation', valueQuantity: { value: 70, unit: 'kg' } }, 400, 'required'], // no code
      [{ resourceType: 'Patient' }, 400, 'structure'],
      [{ ...observation('29463-7', 70, 'kg', today), valueQuantity: { value: '70', unit: 'kg' } }, 400, 'invalid'],
      [{ ...observation('85354-9', 120, 'mm[Hg]', today) }, 400, 'required'], // a panel without components
    ]
    for (const [body, status, code] of cases) {
      const res = await fhirPost(o, '/Observation', tokens.access_token, body)
      expect([res.status, res.body.resourceType, res.body.issue?.[0]?.code]).toEqual([status, 'OperationOutcome', code])
    }
    const bpWrongOrder = await fhirPost(o, '/Observation', tokens.access_token, {
      resourceType: 'Observation',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      effectiveDateTime: today,
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 70, unit: 'mm[Hg]' } },
        { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 90, unit: 'mm[Hg]' } },
      ],
    })
    expect(bpWrongOrder.status).toBe(422)
    const bad = await request(o.base)
      .post('/fhir/Observation')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .set('Content-Type', 'application/fhir+json')
      .send('[1,')
    expect(bad.status).toBe(400)
    expect(await count('measures', { person_id: camilleId })).toBe(before)
  })

  test('wrong scope: reading with a write-only token and writing with a read-only token → 403, nothing written', async () => {
    const client = await registerClient(o.t, { scopes: ['observation.read', 'observation.write'] })
    const { tokens } = await connectService(o, client, ['observation.read', 'observation.write'], ['observation.read'], camille)
    const before = await count('measures', { person_id: camilleId })
    const res = await fhirPost(o, '/Observation', tokens.access_token, observation('29463-7', 62, 'kg', today))
    expect(res.status).toBe(403)
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] })
    expect(await count('measures', { person_id: camilleId })).toBe(before)
    const denied = await o.t.db('activity_log').where({ subject_person_id: camilleId, action: 'fhir.denied' }).orderBy('id', 'desc').first()
    expect(denied.actor_role).toBe('service')
    const docs = await fhirGet(o, '/DocumentReference', tokens.access_token)
    expect(docs.status).toBe(403)
  })

  test("another patient's measure is unknown: 404", async () => {
    const client = await registerClient(o.t, { scopes: ['observation.read'] })
    const { tokens } = await connectService(o, client, ['observation.read'], ['observation.read'], camille)
    const leoMeasure = await o.t.db('measures').where({ person_id: leoId }).first('id')
    const res = await fhirGet(o, `/Observation/${leoMeasure.id}`, tokens.access_token)
    expect(res.status).toBe(404)
    expect(res.body.resourceType).toBe('OperationOutcome')
    expect((await fhirGet(o, '/Observation/not-a-uuid', tokens.access_token)).status).toBe(404)
    const search = await fhirGet(o, '/Observation?_count=200', tokens.access_token)
    expect(
      search.body.entry.every(
        (e: { resource: { subject: { reference: string } } }) => e.resource.subject.reference === `Patient/${camilleId}`,
      ),
    ).toBe(true)
    expect((await fhirGet(o, '/Observation?date=demain', tokens.access_token)).status).toBe(400)
    expect((await fhirGet(o, '/Observation?_count=-1', tokens.access_token)).status).toBe(400)
  })
})

describe('DocumentReference: masked documents never exist for a service; writing follows the document rules', () => {
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n')
  const docBody = (data: string, extra: Record<string, unknown> = {}) => ({
    resourceType: 'DocumentReference',
    status: 'current',
    category: [{ coding: [{ system: 'https://monespacesante.fr/fhir/CodeSystem/categorie-document', code: 'BIOLOGIE' }] }],
    content: [{ attachment: { contentType: 'application/pdf', title: 'Glycémies de novembre', data, creation: today } }],
    ...extra,
  })

  test('search and read without the masked document; create a PDF, encrypted, readable back', async () => {
    const client = await registerClient(o.t, { name: 'MyGHT Limousin', scopes: ['document.read', 'document.write'] })
    const { tokens } = await connectService(o, client, ['document.read', 'document.write'], ['document.read', 'document.write'], camille)
    const masked = await o.t.db('documents').where({ person_id: camilleId, masked: true }).first()
    expect(masked).toBeTruthy()
    const list = await fhirGet(o, '/DocumentReference?_count=200', tokens.access_token)
    expect(list.status).toBe(200)
    const ids = list.body.entry.map((e: { resource: { id: string } }) => e.resource.id)
    expect(ids.length).toBeGreaterThan(0)
    expect(ids).not.toContain(masked.id)
    expect(JSON.stringify(list.body)).not.toContain(masked.title)
    const readMasked = await fhirGet(o, `/DocumentReference/${masked.id}`, tokens.access_token)
    expect(readMasked.status).toBe(404)
    expect(readMasked.body.resourceType).toBe('OperationOutcome')
    const leoDoc = await o.t.db('documents').where({ person_id: leoId }).first('id')
    expect((await fhirGet(o, `/DocumentReference/${leoDoc.id}`, tokens.access_token)).status).toBe(404)

    const created = await fhirPost(o, '/DocumentReference', tokens.access_token, docBody(pdf.toString('base64')))
    expect(created.status).toBe(201)
    const row = await o.t.db('documents').where({ id: created.body.id }).first()
    expect(row).toMatchObject({
      person_id: camilleId,
      category: 'BIOLOGIE',
      mime: 'application/pdf',
      author_name: 'MyGHT Limousin',
      author_kind: 'system',
    })
    const chunks = await sealedChunksOf(o.t.db, o.t.services.documentStore, row.id)
    expect(chunks.length).toBe(row.chunk_count)
    expect(Buffer.concat(chunks).includes(Buffer.from('%PDF'))).toBe(false)
    const back = await fhirGet(o, `/DocumentReference/${row.id}`, tokens.access_token)
    expect(Buffer.from(back.body.content[0].attachment.data, 'base64').equals(pdf)).toBe(true)
    const biology = await fhirGet(o, `/DocumentReference?category=BIOLOGIE&date=${today}`, tokens.access_token)
    expect(biology.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toContain(row.id)
  })

  test('a refused file, bad base64, unknown category, too large: OperationOutcome and nothing written', async () => {
    const client = await registerClient(o.t, { scopes: ['document.write'] })
    const { tokens } = await connectService(o, client, ['document.write'], ['document.write'], camille)
    const before = await count('documents', { person_id: camilleId })
    const exe = await fhirPost(
      o,
      '/DocumentReference',
      tokens.access_token,
      docBody(Buffer.from('MZ\x90\x00\x03binary').toString('base64')),
    )
    expect([exe.status, exe.body.resourceType]).toEqual([422, 'OperationOutcome'])
    const notB64 = await fhirPost(o, '/DocumentReference', tokens.access_token, docBody('***'))
    expect(notB64.status).toBe(400)
    const cat = await fhirPost(o, '/DocumentReference', tokens.access_token, {
      ...docBody(pdf.toString('base64')),
      category: [{ coding: [{ system: 'https://monespacesante.fr/fhir/CodeSystem/categorie-document', code: 'NOPE' }] }],
    })
    expect(cat.status).toBe(422)
    const big = Buffer.concat([pdf, Buffer.alloc(10 * 1024 * 1024)])
    const tooBig = await fhirPost(o, '/DocumentReference', tokens.access_token, docBody(big.toString('base64')))
    expect([tooBig.status, tooBig.body.issue[0].code]).toEqual([413, 'too-long'])
    expect(await count('documents', { person_id: camilleId })).toBe(before)
  })
})

describe('Immunization and Appointment (read)', () => {
  test("the holder's vaccinations and appointments, never Léo's", async () => {
    const client = await registerClient(o.t, { scopes: ['immunization.read', 'appointment.read'] })
    const { tokens } = await connectService(
      o,
      client,
      ['immunization.read', 'appointment.read'],
      ['immunization.read', 'appointment.read'],
      camille,
    )
    const vacc = await fhirGet(o, '/Immunization', tokens.access_token)
    expect(vacc.status).toBe(200)
    expect(vacc.body.entry.length).toBe(await count('vaccinations', { person_id: camilleId }))
    expect(vacc.body.entry[0].resource).toMatchObject({
      resourceType: 'Immunization',
      status: 'completed',
      patient: { reference: `Patient/${camilleId}` },
    })
    const since = await fhirGet(o, '/Immunization?date=ge2025-01-01', tokens.access_token)
    expect(since.body.entry.map((e: { resource: { occurrenceDateTime: string } }) => e.resource.occurrenceDateTime)).toEqual(['2025-10-21'])
    const one = await fhirGet(o, `/Immunization/${vacc.body.entry[0].resource.id}`, tokens.access_token)
    expect(one.body.id).toBe(vacc.body.entry[0].resource.id)
    const leoVacc = await o.t.db('vaccinations').where({ person_id: leoId }).first('id')
    expect((await fhirGet(o, `/Immunization/${leoVacc.id}`, tokens.access_token)).status).toBe(404)

    const appts = await fhirGet(o, '/Appointment', tokens.access_token)
    expect(appts.status).toBe(200)
    expect(appts.body.entry.length).toBe(await count('agenda_events', { person_id: camilleId }))
    expect(appts.body.entry[0].resource.resourceType).toBe('Appointment')
    // Each search wrote its row in the person's history, chained (two round trips, same rules).
    const rows = await o.t
      .db('activity_log')
      .where({ subject_person_id: camilleId, action: 'fhir.read', object_type: 'Appointment' })
      .orderBy('seq', 'desc')
    expect(rows.length).toBeGreaterThanOrEqual(1)
    expect(rows[0]).toMatchObject({ actor_role: 'service', details: { clientId: client.id } })
    expect(rows[0].hash).toBe(entryHash(rows[0].prev_hash, toEntry(rows[0])))
    expect(
      await o.t
        .db('activity_log')
        .where({ subject_person_id: camilleId, action: 'fhir.read', object_type: 'Immunization' })
        .count<{ n: string }[]>('* as n')
        .then((r) => Number(r[0].n)),
    ).toBeGreaterThanOrEqual(2)
  })
})

describe('one consent: the catalogue is the truth for a client linked to a catalogue service', () => {
  test('consent on the OAuth page is the catalogue consent; a new catalogue version needs a new consent; «Désynchroniser» in the catalogue revokes the tokens', async () => {
    const service = await o.t.db('catalogue_services').where({ slug: 'freestyle-librelink' }).first()
    const client = await registerClient(o.t, {
      name: 'FreeStyle LibreLink',
      scopes: ['observation.read', 'observation.write', 'document.read'],
      catalogueServiceId: service.id,
    })
    const { tokens, config } = await connectService(
      o,
      client,
      ['observation.read', 'observation.write', 'document.read'],
      ['observation.write'],
      camille,
    )
    // document.read is not asked by the catalogue's version 1: never offered, never granted.
    expect(tokens.scope.split(' ')).not.toContain('document.read')
    const conn = await o.t.db('service_connections').where({ person_id: camilleId, service_id: service.id }).whereNull('ended_at').first()
    expect(conn.granted).toEqual(['mesures:write'])
    expect(await o.t.db('service_consents').where({ person_id: camilleId, client_id: client.id }).first()).toBeUndefined()
    expect((await fhirPost(o, '/Observation', tokens.access_token, observation('2339-0', 1.02, 'g/L', today))).status).toBe(201)
    expect((await fhirGet(o, '/Observation', tokens.access_token)).status).toBe(403)

    // «Services connectés» shows it from the same consent.
    const connected = await camille.get('/mon-espace/services-connectes')
    expect(connected.text).toContain('FreeStyle LibreLink')
    expect(connected.text).toContain('Ajouter des mesures à votre profil médical')

    // In the catalogue, Camille also allows reading: the same truth, the next token may read.
    const changed = await submitForm(camille, `/catalogue/${service.slug}/connecter`, {
      'autorisations[]': ['mesures:read', 'mesures:write'],
    })
    expect(changed.status).toBe(303)
    expect(await o.t.services.connections.consentedScopes(camilleId, client.id)).toEqual(['observation.read', 'observation.write'])

    // A new version asks documents: not granted before a new consent.
    await o.t.services.catalogue.publishRequests(service.id, [
      { category: 'mesures', access: 'read' },
      { category: 'mesures', access: 'write' },
      { category: 'documents', access: 'read' },
    ])
    expect(await o.t.services.connections.consentedScopes(camilleId, client.id)).toEqual(['observation.read', 'observation.write'])
    const again = await connectService(
      o,
      client,
      ['observation.read', 'observation.write', 'document.read'],
      ['observation.read', 'observation.write', 'document.read'],
      camille,
    )
    expect(again.tokens.scope.split(' ')).toEqual(expect.arrayContaining(['observation.read', 'document.read']))
    expect(await o.t.services.connections.consentedScopes(camilleId, client.id)).toEqual([
      'observation.read',
      'observation.write',
      'document.read',
    ])
    expect((await fhirGet(o, '/DocumentReference', again.tokens.access_token)).status).toBe(200)

    // «Désynchroniser» from the catalogue page: every token and refresh token of the client is dead.
    const off = await submitForm(camille, `/catalogue/${service.slug}/desynchroniser`, { confirm: 'oui' })
    expect(off.status).toBe(303)
    expect((await fhirGet(o, '/Observation', again.tokens.access_token)).status).toBe(401)
    await expect(oidcClient.refreshTokenGrant(config, again.tokens.refresh_token)).rejects.toThrow()
    expect(
      await o.t.db('oidc_payloads').whereRaw("payload->>'clientId' = ?", [client.id]).where({ model: 'RefreshToken' }).first(),
    ).toBeUndefined()
  })
})

describe('«Désynchroniser» from «Services connectés» for a catalogue service ends the catalogue consent too', () => {
  test('one click, both views agree', async () => {
    const service = await o.t.db('catalogue_services').where({ slug: 'appfine' }).first()
    const client = await registerClient(o.t, { name: 'Appfine', scopes: ['observation.read'], catalogueServiceId: 'appfine' })
    const { tokens } = await connectService(o, client, ['observation.read'], ['observation.read'], camille)
    expect((await fhirGet(o, '/Observation?_count=1', tokens.access_token)).status).toBe(200)
    // The entry is the catalogue service (whichever of its clients the form names: all lose their grants).
    const page = cheerio.load((await camille.get('/mon-espace/services-connectes')).text)
    const action = page('main form')
      .filter((_i, f) => (page(f).find('button').attr('aria-label') ?? '') === 'Désynchroniser Appfine')
      .attr('action')!
    expect(action).toMatch(/^\/mon-espace\/services-connectes\/[^/]+\/desynchroniser$/)
    const res = await submitForm(camille, '/mon-espace/services-connectes', {}, action)
    expect(res.status).toBe(303)
    expect(
      await o.t.db('service_connections').where({ person_id: camilleId, service_id: service.id }).whereNull('ended_at').first(),
    ).toBeUndefined()
    expect((await fhirGet(o, '/Observation?_count=1', tokens.access_token)).status).toBe(401)
    expect(
      await o.t.db('activity_log').where({ subject_person_id: camilleId, action: 'service.disconnected', object_id: service.id }).first(),
    ).toBeTruthy()
  })
})

describe('closed or opposed space', () => {
  test('a service gets 403 OperationOutcome when the space is closed', async () => {
    const client = await registerClient(o.t, { scopes: ['observation.read'] })
    const { tokens } = await connectService(o, client, ['observation.read'], ['observation.read'], camille)
    // Allowed first: the next search decides on these facts in one round trip, guarded.
    expect((await fhirGet(o, '/Observation?_count=1', tokens.access_token)).status).toBe(200)
    const rows = (action: string) => count('activity_log', { subject_person_id: camilleId, action, object_type: 'Observation' })
    const [reads, denials] = [await rows('fhir.read'), await rows('fhir.denied')]
    const space = await o.t.db('spaces').where({ person_id: camilleId }).first('state')
    await o.t.db('spaces').where({ person_id: camilleId }).update({ state: 'closed' })
    try {
      const res = await fhirGet(o, '/Observation', tokens.access_token)
      expect(res.status).toBe(403)
      expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] })
      // Refused at once, recorded as a refusal; nothing was read.
      expect(await rows('fhir.read')).toBe(reads)
      expect(await rows('fhir.denied')).toBe(denials + 1)
    } finally {
      await o.t.db('spaces').where({ person_id: camilleId }).update({ state: space.state })
    }
  })
})

describe('a consent changed between two searches', () => {
  test('the second search is decided on the consent as it is now, not as it was at the first', async () => {
    const client = await registerClient(o.t, { scopes: ['observation.read', 'immunization.read'] })
    const { tokens } = await connectService(
      o,
      client,
      ['observation.read', 'immunization.read'],
      ['observation.read', 'immunization.read'],
      camille,
    )
    for (let i = 0; i < 3; i++) expect((await fhirGet(o, '/Observation?_count=1', tokens.access_token)).status).toBe(200)
    const reads = await count('activity_log', { subject_person_id: camilleId, action: 'fhir.read', object_type: 'Observation' })
    // Camille withdraws the measures (vaccinations stay allowed): the token still carries the scope.
    await o.t
      .db('service_consents')
      .where({ person_id: camilleId, client_id: client.id })
      .whereNull('revoked_at')
      .update({ scopes: ['immunization.read'] })
    const res = await fhirGet(o, '/Observation?_count=1', tokens.access_token)
    expect(res.status).toBe(403)
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] })
    expect(await count('activity_log', { subject_person_id: camilleId, action: 'fhir.read', object_type: 'Observation' })).toBe(reads)
    expect((await fhirGet(o, '/Immunization', tokens.access_token)).status).toBe(200)
    // Given back: allowed again.
    await o.t
      .db('service_consents')
      .where({ person_id: camilleId, client_id: client.id })
      .whereNull('revoked_at')
      .update({ scopes: ['observation.read', 'immunization.read'] })
    expect((await fhirGet(o, '/Observation?_count=1', tokens.access_token)).status).toBe(200)
  })
})

describe('searches that arrive together', () => {
  test('each is answered and recorded once, in the chain, when they share one transaction', async () => {
    const client = await registerClient(o.t, { scopes: ['observation.read'] })
    const { tokens } = await connectService(o, client, ['observation.read'], ['observation.read'], camille)
    expect((await fhirGet(o, '/Observation?_count=2', tokens.access_token)).status).toBe(200)
    const before = await count('activity_log', { subject_person_id: camilleId, action: 'fhir.read' })
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => fhirGet(o, `/Observation?_count=${1 + (i % 3)}`, tokens.access_token)),
    )
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200))
    expect(answers.map((a) => a.body.entry.length)).toEqual(Array.from({ length: 8 }, (_, i) => 1 + (i % 3)))
    expect(await count('activity_log', { subject_person_id: camilleId, action: 'fhir.read' })).toBe(before + 8)
    // The chain holds: every row links to the one before and its hash is right.
    const chain = await o.t.db('activity_log').where({ chain_key: camilleId }).orderBy('seq', 'desc').limit(10)
    chain.reverse()
    for (let i = 1; i < chain.length; i++) {
      expect(chain[i].seq).toBe(chain[i - 1].seq + 1)
      expect(chain[i].prev_hash).toBe(chain[i - 1].hash)
      expect(chain[i].hash).toBe(entryHash(chain[i].prev_hash, toEntry(chain[i])))
    }
  })
})
