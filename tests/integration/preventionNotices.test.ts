import { createTestApp, type TestApp } from '../helpers/testApp'
import { CAMILLE, DEMO_PERSONS } from '../helpers/demo'
import { isoDate } from '../../src/domain/parisTime'

/**
 * The daily prevention notices (SPEC §8, §6) for a child's space: a child managed by a legal
 * representative (no e-mail of their own) → the representative is told; a child with their own
 * e-mail → the child, not the representative; never a name nor a health detail in the e-mail.
 */
describe('avis de prévention : enfant représenté', () => {
  let t: TestApp
  let leoId: string
  let camilleAccount: string
  const today = isoDate()
  const mails = (recipient: string, kind: string) => t.db('outbox').where({ recipient, kind }).orderBy('id')

  beforeAll(async () => {
    t = await createTestApp()
    leoId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.leo.nir }).first()).id
    camilleAccount = (await t.db('accounts').where({ login: CAMILLE.login }).first()).id
    // These cases look at Léo alone: Camille's other child of the demo (Chloé, 17) is set aside.
    await t
      .db('representatives')
      .whereIn('child_person_id', t.db('insured_persons').where({ first_names: 'Chloé', last_name: 'Martin' }).select('id'))
      .update({ ended_at: t.db.fn.now(), ended_reason: 'removed' })
  })
  afterAll(async () => {
    await t.close()
  })

  it('Léo (11 ans, sans compte) : sa mère reçoit un courriel sans nom ni détail de santé, une seule fois', async () => {
    const jobs = t.services.agendaJobs
    const r = await jobs.sendPreventionNotices(today)
    expect(r.notices).toBeGreaterThanOrEqual(2)
    const leoNotices = await t.db('prevention_notices').where({ person_id: leoId }).pluck('rule_id')
    expect(leoNotices).toEqual(expect.arrayContaining(['hpv', 'acwy']))
    const forLeo = await mails(CAMILLE.email, 'prevention-due-representative')
    expect(forLeo).toHaveLength(1)
    expect(forLeo[0].body).toContain('représentant légal')
    expect(forLeo[0].body).toContain('/agenda/recommandations')
    expect(forLeo[0].body).not.toMatch(/Léo|Martin|papillomavirus|HPV|méningocoque|ACWY/i)
    // Camille is also told for herself (breast and colorectal screening), separately.
    expect(await mails(CAMILLE.email, 'prevention-due')).toHaveLength(1)
    // Once per window.
    const again = await jobs.sendPreventionNotices(today)
    expect(again.notices).toBe(0)
    expect(again.emails).toBe(0)
    expect(await mails(CAMILLE.email, 'prevention-due-representative')).toHaveLength(1)
  })

  it('le représentant qui a coupé ce réglage n’est pas prévenu (et rien n’est noté)', async () => {
    await t.db('prevention_notices').del()
    await t.db('outbox').where({ recipient: CAMILLE.email }).whereLike('kind', 'prevention-due%').del()
    await t
      .db('accounts')
      .where({ id: camilleAccount })
      .update({ notification_prefs: JSON.stringify({ prevention_due: false }) })
    await t.services.agendaJobs.sendPreventionNotices(today)
    expect(await t.db('prevention_notices').where({ person_id: leoId }).first()).toBeUndefined()
    expect(await mails(CAMILLE.email, 'prevention-due-representative')).toHaveLength(0)
    expect(await mails(CAMILLE.email, 'prevention-due')).toHaveLength(0)
    await t.db('accounts').where({ id: camilleAccount }).update({ notification_prefs: '{}' })
  })

  it('une représentation terminée ne reçoit plus rien', async () => {
    await t.db('prevention_notices').del()
    await t
      .db('representatives')
      .where({ child_person_id: leoId })
      .whereNull('ended_at')
      .update({ ended_at: t.db.fn.now(), ended_reason: 'removed' })
    try {
      await t.services.agendaJobs.sendPreventionNotices(today)
      expect(await mails(CAMILLE.email, 'prevention-due-representative')).toHaveLength(0)
      expect(await t.db('prevention_notices').where({ person_id: leoId }).first()).toBeUndefined()
    } finally {
      await t
        .db('representatives')
        .where({ child_person_id: leoId, ended_reason: 'removed' })
        .update({ ended_at: null, ended_reason: null })
    }
  })

  it('ce qui est déjà fait (vaccin enregistré, rendez-vous de dépistage honoré) ne donne pas d’avis', async () => {
    await t.db('prevention_notices').del()
    const camilleId = (await t.db('accounts').where({ id: camilleAccount }).first()).person_id
    await t.db('vaccinations').insert({ person_id: leoId, vaccine: 'HPV', date: today, dose: '1', professional: 'Dr Sophie Bernard' })
    await t.db('agenda_events').insert({
      person_id: camilleId,
      title: 'Mammographie de dépistage',
      date: today,
      time: '09:00',
      status: 'honore',
      prevention_rule: 'depistage-sein',
    })
    await t.services.agendaJobs.sendPreventionNotices(today)
    const leo = await t.db('prevention_notices').where({ person_id: leoId }).pluck('rule_id')
    expect(leo).toContain('acwy')
    expect(leo).not.toContain('hpv')
    const camille = await t.db('prevention_notices').where({ person_id: camilleId }).pluck('rule_id')
    expect(camille).toContain('depistage-colorectal')
    expect(camille).not.toContain('depistage-sein')
  })

  it('un enfant qui a sa propre adresse électronique est prévenu lui-même, pas son représentant', async () => {
    await t.db('prevention_notices').del()
    await t.db('outbox').where({ recipient: CAMILLE.email }).whereLike('kind', 'prevention-due%').del()
    await t.db('accounts').insert({
      kind: 'patient',
      login: 'leo.martin.test',
      password_hash: 'x',
      person_id: leoId,
      display_name: 'Léo Martin',
      email: 'leo.martin@courriel.example',
    })
    await t.services.agendaJobs.sendPreventionNotices(today)
    expect(await mails('leo.martin@courriel.example', 'prevention-due')).toHaveLength(1)
    expect(await mails(CAMILLE.email, 'prevention-due-representative')).toHaveLength(0)
  })
})
