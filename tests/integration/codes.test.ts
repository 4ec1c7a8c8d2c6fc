import { createTestDatabase, type TestDatabase } from '../helpers/testApp'
import { createCodeService } from '../../src/features/codes/service'
import { createNotifier } from '../../src/infrastructure/notifier'
import { createActivityLog } from '../../src/features/history/activity'
import { open } from '../../src/infrastructure/crypto'
import { SYSTEM_ACTOR } from '../../src/domain/actor'
import { TEST_SECRETS } from '../helpers/env'
import { decodeKey } from '../../src/config'
import { DEMO_CODES } from '../helpers/demo'

describe('codes provisoires : émission', () => {
  let d: TestDatabase
  const masterKey = decodeKey(TEST_SECRETS.DOCUMENT_MASTER_KEY)!
  const codeKey = Buffer.from(TEST_SECRETS.CODE_HASH_KEY, 'utf8')
  let service: ReturnType<typeof createCodeService>
  beforeAll(async () => {
    d = await createTestDatabase()
    service = createCodeService({
      notifier: createNotifier({ smtp: false }),
      activity: createActivityLog(d.db),
      codeKey,
      masterKey,
      publicUrl: 'http://localhost:3000',
    })
  })
  afterAll(async () => {
    await d.drop()
  })

  it('reconnaît le code de démonstration de Jean, sans le consommer', async () => {
    const jean = await d.db('insured_persons').where({ first_names: 'Jean' }).first()
    expect(await service.check(d.db, jean.id, '7k3m-q9tx-4wpb')).toBe('valid')
    expect(await service.check(d.db, jean.id, 'H8RD2VNC6JQE')).toBe('wrong')
    expect(await service.check(d.db, jean.id, DEMO_CODES.jean)).toBe('valid')
  })

  it('envoie un nouveau code par courriel, annule l’ancien, et refuse une deuxième demande dans les 30 secondes', async () => {
    const jean = await d.db('insured_persons').where({ first_names: 'Jean' }).first()
    const r = await d.db.transaction((trx) => service.issue(trx, jean, SYSTEM_ACTOR, { reason: 'request' }))
    expect(r).toMatchObject({ ok: true, channel: 'email' })
    expect(await service.check(d.db, jean.id, DEMO_CODES.jean)).toBe('expired')
    const mail = await d.db('outbox').where({ recipient: jean.email, kind: 'provisional-code' }).orderBy('id', 'desc').first()
    const code = mail.body.match(/code provisoire : ([A-Z0-9 ]{14})/)[1]
    expect(await service.check(d.db, jean.id, code)).toBe('valid')
    const again = await d.db.transaction((trx) => service.issue(trx, jean, SYSTEM_ACTOR, { reason: 'request' }))
    expect(again).toEqual({ ok: false, reason: 'too_soon' })
    const later = await d.db.transaction((trx) =>
      service.issue(trx, jean, SYSTEM_ACTOR, { reason: 'request', now: new Date(Date.now() + 31_000) }),
    )
    expect(later.ok).toBe(true)
    const row = await d.db('activity_log').where({ subject_person_id: jean.id, action: 'code.issued' }).first()
    expect(JSON.stringify(row.details)).not.toMatch(/[A-Z0-9]{12}/)
  })

  it('met en file un courrier quand il n’y a pas d’adresse électronique, code scellé', async () => {
    const leo = await d.db('insured_persons').where({ first_names: 'Léo' }).first()
    const r = await d.db.transaction((trx) => service.issue(trx, leo, SYSTEM_ACTOR, { reason: 'majority' }))
    expect(r).toMatchObject({ ok: true, channel: 'post' })
    const letter = await d.db('letters').where({ person_id: leo.id }).first()
    expect(letter.address.city).toBe('Paris')
    const payload = JSON.parse(open(masterKey, letter.sealed_payload).toString())
    expect(await service.check(d.db, leo.id, payload.code)).toBe('valid')
    expect(letter.sealed_payload.toString('latin1')).not.toContain(payload.code)
  })

  it('consomme un code une seule fois', async () => {
    const aicha = await d.db('insured_persons').where({ first_names: 'Aïcha' }).first()
    expect(await d.db.transaction((trx) => service.consume(trx, aicha.id, DEMO_CODES.aicha))).toBe(true)
    expect(await d.db.transaction((trx) => service.consume(trx, aicha.id, DEMO_CODES.aicha))).toBe(false)
    expect(await service.check(d.db, aicha.id, DEMO_CODES.aicha)).toBe('used')
  })
})
