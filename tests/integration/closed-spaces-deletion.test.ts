import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm } from '../helpers/http'
import { createAccount, errorText } from '../helpers/lifecycle'
import { CAMILLE } from '../helpers/demo'
import { deletionDueDate } from '../../src/domain/lifecycle'
import { isoDate } from '../../src/domain/parisTime'

jest.setTimeout(90_000)

const shift = (iso: string, days: number) => new Date(Date.parse(`${iso}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

/**
 * SPEC §2: a closed space's data are archived 10 years then deleted, or deleted within 3 months
 * when the person asks. The daily job `closed-spaces-deletion` deletes them the day the space can no
 * longer be reopened; the registry row, the space row and the activity log (append-only) stay.
 */
describe('suppression des données des profils fermés', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t.close()
  })

  /** Rows naming the person in every table with a foreign key to insured_persons (but the registry, the space). */
  async function rowsOf(personId: string): Promise<Record<string, number>> {
    const { rows: refs } = await t.db.raw(
      `SELECT c.conrelid::regclass::text AS tbl, a.attname AS col FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.confrelid = 'insured_persons'::regclass AND c.conrelid <> 'spaces'::regclass`,
    )
    const out: Record<string, number> = {}
    for (const r of refs) {
      const { rows } = await t.db.raw(`SELECT count(*)::int AS n FROM ${r.tbl} WHERE "${r.col}" = ?`, [personId])
      if (rows[0].n) out[`${r.tbl}.${r.col}`] = rows[0].n
    }
    return out
  }

  it('le job est planifié chaque jour', () => {
    const job = t.services.jobs.find((j) => j.name === 'closed-spaces-deletion')
    expect(job?.cron).toBe('45 3 * * *')
  })

  it("suppression demandée : tout est effacé 3 mois après la demande, pas un jour avant ; le journal et le registre restent, l'enfant garde ses données", async () => {
    const camille = await t.db('accounts').where({ login: CAMILLE.login }).first()
    const personId = camille.person_id
    const before = await rowsOf(personId)
    expect(before['documents.person_id']).toBeGreaterThan(0)
    expect(before['accounts.person_id']).toBe(1)
    const children = await t.db('representatives').where({ representative_person_id: personId }).pluck('child_person_id')
    expect(children.length).toBeGreaterThan(0)
    const childDocs = await t.db('documents').whereIn('person_id', children).count('* as n').first()

    const a = agent(t.app)
    await signIn(a, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const closed = await submitForm(a, '/mon-compte/fermer', { data: 'delete', password: CAMILLE.password }, '/mon-compte/fermer')
    expect(closed.status).toBe(303)
    const logBefore = await t.db('activity_log').where({ subject_person_id: personId }).count('* as n').first()

    const due = deletionDueDate(isoDate())
    // The day before: nothing (the space can still be reopened).
    expect((await t.services.closedSpacesDeletion.run(undefined, { today: shift(due, -1) })).spaces).toBe(0)
    expect(await rowsOf(personId)).toEqual(before)

    const r = await t.services.closedSpacesDeletion.run(undefined, { today: due })
    expect(r.spaces).toBeGreaterThanOrEqual(1)
    expect(await rowsOf(personId)).toEqual({})
    const space = await t.db('spaces').where({ person_id: personId }).first()
    expect(space.state).toBe('closed')
    expect(space.data_deleted_at).toBeInstanceOf(Date)
    expect(await t.db('insured_persons').where({ id: personId }).first()).toBeTruthy()
    // The activity log is append-only: the person's rows are all still there, the chain still holds.
    expect(await t.db('activity_log').where({ subject_person_id: personId }).count('* as n').first()).toEqual(logBefore)
    const row = await t.db('activity_log').where({ action: 'spaces.data_deleted' }).orderBy('id', 'desc').first()
    expect(row.details).toMatchObject({ onRequest: 1 })
    expect(row.details.spaces).toContain(personId)
    expect(JSON.stringify(row.details)).not.toContain(CAMILLE.nir)
    expect((await t.services.activity.verify()).ok).toBe(true)
    // The children keep their own data; only the link with their representative is gone.
    expect(await t.db('documents').whereIn('person_id', children).count('* as n').first()).toEqual(childDocs)
    expect(await t.db('spaces').whereIn('person_id', children).whereNotNull('data_deleted_at').count('* as n').first()).toEqual({ n: 0 })
    // No account any more: signing in answers like an unknown identifiant.
    const b = await submitForm(agent(t.app), '/connexion', { login: CAMILLE.login, password: CAMILLE.password })
    expect(errorText(b.text, 'login')).toBe("L'identifiant ou le mot de passe est incorrect")
    // Nothing left to do the next day.
    expect((await t.services.closedSpacesDeletion.run(undefined, { today: shift(due, 1) })).spaces).toBe(0)
  })

  it("archive : supprimé le lendemain de la fin de l'archivage (10 ans), pas le dernier jour ; plusieurs lots", async () => {
    const today = isoDate()
    const over = await Promise.all([1, 2, 3].map(() => createAccount(t.db)))
    const last = await createAccount(t.db)
    for (const u of over) {
      await t
        .db('spaces')
        .where({ person_id: u.id })
        .update({ state: 'closed', closed_at: new Date(Date.now() - 3700 * 86_400_000), archive_until: shift(today, -1) })
    }
    await t
      .db('spaces')
      .where({ person_id: last.id })
      .update({ state: 'closed', closed_at: new Date(Date.now() - 3650 * 86_400_000), archive_until: today })
    const r = await t.services.closedSpacesDeletion.run(undefined, { today, batchSize: 2 })
    expect(r).toMatchObject({ spaces: 3, batches: 2 })
    for (const u of over) {
      expect(await rowsOf(u.id)).toEqual({})
      expect((await t.db('spaces').where({ person_id: u.id }).first()).data_deleted_at).toBeInstanceOf(Date)
    }
    expect((await rowsOf(last.id))['accounts.person_id']).toBe(1)
    expect((await t.db('spaces').where({ person_id: last.id }).first()).data_deleted_at).toBeNull()
  })
})
