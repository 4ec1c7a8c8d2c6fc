import { createTestApp, type TestApp } from '../helpers/testApp'
import { SYSTEM_ACTOR } from '../../src/domain/actor'
import { provisionalCodeEmail } from '../../src/features/codes/service'

jest.setTimeout(60_000)

/**
 * The notification campaign in bulk (SPEC §2, §12; issue 3): several parallel walks over the uuid
 * space in small batches notify each waiting person exactly once (one code in force, one e-mail
 * carrying the code or one letter), and a second run finds nobody.
 */
describe("campagne d'information en lots", () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  it('chaque personne jamais informée reçoit un seul code, par courriel ou courrier ; une seconde campagne ne refait rien', async () => {
    await t.db.raw(
      `INSERT INTO insured_persons (nir, last_name, first_names, sex, birth_date, address_line1, postcode, city, email)
       SELECT 'Y' || lpad(i::text, 14, '0'), 'Lot' || i, 'Camp', 'F', date '1970-01-01' + i, i || ' rue du Lot', '75002', 'Paris',
              CASE WHEN i % 3 = 0 THEN NULL WHEN i % 3 = 1 THEN 'lot' || i || '@courriel.example' ELSE '' END
         FROM generate_series(1, 157) AS i`,
    )
    await t.db.raw(`INSERT INTO spaces (person_id, state) SELECT id, 'not_notified' FROM insured_persons WHERE nir LIKE 'Y%'`)
    // One of them had asked for a code before the campaign: that code is voided by the new one.
    const early = await t.db('insured_persons').where({ nir: 'Y00000000000001' }).first()
    await t
      .db('provisional_codes')
      .insert({ person_id: early.id, code_hash: 'x'.repeat(64), channel: 'counter', expires_at: new Date(Date.now() + 86_400_000) })
    // One already opposed: never part of a campaign.
    const opposed = await t.db('insured_persons').where({ nir: 'Y00000000000002' }).first()
    await t.db('spaces').where({ person_id: opposed.id }).update({ state: 'opposed' })
    const waiting = await t.services.campaign.waiting()
    expect(waiting).toBeGreaterThanOrEqual(156)

    const r = await t.services.campaign.run(SYSTEM_ACTOR, { batchSize: 7, workers: 3 })
    expect(r.persons).toBe(waiting)
    expect(r.emails + r.letters).toBe(waiting)
    expect(await t.services.campaign.waiting()).toBe(0)

    const lot = await t.db.raw(
      `SELECT p.id, p.email, s.state, s.notice_channel, s.notified_at,
              (SELECT count(*)::int FROM provisional_codes c WHERE c.person_id = p.id AND c.used_at IS NULL AND c.voided_at IS NULL) AS active,
              (SELECT count(*)::int FROM outbox o WHERE o.recipient = p.email AND o.kind = 'provisional-code') AS mails,
              (SELECT count(*)::int FROM letters l WHERE l.person_id = p.id AND l.kind = 'provisional_code') AS letters
         FROM insured_persons p JOIN spaces s ON s.person_id = p.id WHERE p.nir LIKE 'Y%' AND p.id <> ?`,
      [opposed.id],
    )
    expect(lot.rows).toHaveLength(156)
    for (const row of lot.rows) {
      expect(row.state).toBe('notified')
      expect(row.notified_at).toBeInstanceOf(Date)
      expect(row.active).toBe(1)
      if (row.email) expect([row.notice_channel, row.mails, row.letters]).toEqual(['email', 1, 0])
      else expect([row.notice_channel, row.letters]).toEqual(['post', 1])
    }
    // The e-mail carries the code in force (same text as a code asked for online).
    const one = lot.rows.find((x: { email: string | null }) => x.email)
    const mail = await t.db('outbox').where({ recipient: one.email, kind: 'provisional-code' }).first()
    expect(mail.subject).toBe('Votre code provisoire Mon espace santé')
    const code = mail.body.match(/code provisoire : ([A-Z0-9 ]{14})/)![1]
    expect(await t.services.codes.check(t.db, one.id, code)).toBe('valid')
    expect(mail.body).not.toMatch(/\d{13}/)
    // Put together by the database from the model, it is word for word the e-mail of a code asked for online.
    const person = await t.db('insured_persons').where({ id: one.id }).first()
    const issued = await t.db('provisional_codes').where({ person_id: one.id }).whereNull('voided_at').first()
    expect(mail.body).toBe(provisionalCodeEmail(person, code, issued.expires_at, t.config.publicUrl).text)
    expect(mail.body).toContain(`Bonjour ${person.first_names} ${person.last_name},`)
    // The code asked for before the campaign is void now.
    expect((await t.db('provisional_codes').where({ person_id: early.id, channel: 'counter' }).first()).voided_at).not.toBeNull()
    expect((await t.db('spaces').where({ person_id: opposed.id }).first()).state).toBe('opposed')
    // History: one row per batch on the actor's chain, with the counts.
    const batches = await t.db('activity_log').where({ action: 'campaign.batch_notified', object_id: String(r.id) })
    expect(batches.reduce((n: number, b: { details: { persons: number } }) => n + b.details.persons, 0)).toBe(waiting)

    // Resumable and idempotent: a second run notifies nobody and sends nothing.
    const outbox = await t.db('outbox').count('* as n').first()
    const again = await t.services.campaign.run(SYSTEM_ACTOR, { batchSize: 7, workers: 2 })
    expect(again).toMatchObject({ persons: 0, emails: 0, letters: 0 })
    expect(await t.db('outbox').count('* as n').first()).toEqual(outbox)
  })
})
