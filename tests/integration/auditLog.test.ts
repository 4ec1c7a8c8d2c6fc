import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import path from 'node:path'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { TEST_SECRETS } from '../helpers/env'
import { createDb, type Db } from '../../src/infrastructure/database'
import { checkpointMac } from '../../src/domain/hashChain'
import type { Actor } from '../../src/domain/actor'

const ROOT = path.resolve(__dirname, '../..')
const actor: Actor = { accountId: '00000000-0000-4000-8000-000000000001', kind: 'patient', displayName: 'Témoin' }

/** `npm run audit:verify`, the real command, on the test database, as the application's role. */
function auditVerify(url: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/cli/audit-verify.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ...TEST_SECRETS,
        NODE_ENV: 'production',
        DATABASE_URL: url,
        LOG_LEVEL: 'silent',
      },
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('exit', (code) => resolve({ code, output }))
  })
}

/**
 * Issue 15 §5: the audit log survives its own administrators. The application connects as a role that
 * may not UPDATE, DELETE or TRUNCATE the log nor its checkpoints; the chains' heads are pinned in a
 * separate append-only table, signed with a key from the environment, so rows deleted at the END of a
 * chain (which a hash chain alone cannot show) are detected by `npm run audit:verify`.
 */
describe("le journal d'activité résiste à ses propres administrateurs", () => {
  let t: TestApp
  let owner: Db
  beforeAll(async () => {
    t = await createTestApp()
    owner = createDb(t.database.ownerUrl, 1)
  })
  afterAll(async () => {
    await owner.destroy()
    await t.close()
  })

  /** A new chain of `n` rows (its own subject), written by the app. */
  async function chain(n: number, app: TestApp = t): Promise<string> {
    const subject = crypto.randomUUID()
    for (let i = 0; i < n; i++)
      await app.db.transaction((trx) =>
        app.services.activity.record(trx, actor, {
          action: 'document.read',
          subjectPersonId: subject,
          objectType: 'document',
          objectId: String(i),
        }),
      )
    return subject
  }

  /** What only someone with the owner's rights can do: the legal purge switch, then DELETE. */
  async function ownerDeletes(chainKey: string, fromSeq: number, as: Db = owner): Promise<number> {
    return as.transaction(async (trx) => {
      await trx.raw("SET LOCAL mes.purge_activity = 'on'")
      return Number(await trx('activity_log').where({ chain_key: chainKey }).where('seq', '>=', fromSeq).del())
    })
  }

  it("l'application n'est pas superutilisateur et ne peut ni modifier, ni supprimer, ni vider le journal ou ses points de contrôle", async () => {
    const role = (await t.db.raw('SELECT current_user AS u, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS s')).rows[0]
    expect(role.s).toBe(false)
    await chain(1)
    expect((await t.services.activity.verify()).ok).toBe(true)
    for (const table of ['activity_log', 'audit_checkpoints', 'audit_checkpoint_heads']) {
      await expect(t.db(table).update({ [table === 'audit_checkpoints' ? 'reason' : 'chain_key']: 'x' })).rejects.toThrow(
        /permission denied/,
      )
      await expect(t.db(table).del()).rejects.toThrow(/permission denied/)
      await expect(t.db.raw(`TRUNCATE ${table}`)).rejects.toThrow(/permission denied/)
    }
    // Not even with the legal purge's switch, which the trigger honours for the owner only.
    await expect(
      t.db.transaction(async (trx) => {
        await trx.raw("SET LOCAL mes.purge_activity = 'on'")
        await trx('activity_log').del()
      }),
    ).rejects.toThrow(/permission denied/)
    // Nor give itself the right, nor switch the trigger off.
    await t.db.raw('GRANT DELETE, UPDATE, TRUNCATE ON activity_log TO CURRENT_USER').catch(() => undefined)
    const rights = await t.db.raw(
      "SELECT has_table_privilege('activity_log', 'DELETE') OR has_table_privilege('activity_log', 'UPDATE') OR has_table_privilege('activity_log', 'TRUNCATE') AS any",
    )
    expect(rights.rows[0].any).toBe(false)
    await expect(t.db.raw('ALTER TABLE activity_log DISABLE TRIGGER activity_log_no_update_delete')).rejects.toThrow(/must be owner/)
    // What it may: append.
    expect(await t.db('activity_log').count('* as n').first()).toBeDefined()
  })

  it('des lignes supprimées en FIN de chaîne sont détectées, par la vérification et par `npm run audit:verify`', async () => {
    const key = await chain(5)
    const first = await t.services.activity.verify()
    expect(first.ok).toBe(true)
    expect(first.checkpoints!.pinned).toBeGreaterThan(0)
    expect(await t.db('audit_checkpoint_heads').where({ chain_key: key }).max('seq as s').first()).toEqual({ s: 5 })
    // The owner removes the last two rows: the chain itself is still a valid chain of 3.
    expect(await ownerDeletes(key, 4)).toBe(2)
    const after = await t.services.activity.verify()
    expect(after.ok).toBe(false)
    expect(after.firstBreak).toEqual({ chainKey: key, seq: 5, reason: 'truncated' })
    expect((await t.services.activity.lastVerification())?.ok).toBe(false)
    const cli = await auditVerify(t.database.url)
    expect(cli.output).toContain(
      `Journal d'activité ALTÉRÉ : première rupture dans la chaîne ${key}, ligne n° 5 (lignes supprimées en fin de chaîne)`,
    )
    expect(cli.code).toBe(2)
  })

  /** A fresh app (its own database) for a case that needs a log without the breaks of the other cases. */
  async function fresh(run: (u: TestApp, uOwner: Db) => Promise<void>): Promise<void> {
    const u = await createTestApp()
    const uOwner = createDb(u.database.ownerUrl, 1)
    try {
      await run(u, uOwner)
    } finally {
      await uOwner.destroy()
      await u.close()
    }
  }

  it('le point de contrôle périodique (tâche pg-boss) épingle les têtes ; une chaîne entière supprimée se voit', async () => {
    await fresh(async (u, uOwner) => {
      const whole = await chain(2, u)
      const job = u.services.jobs.find((j) => j.name === 'audit-checkpoint')!
      expect(job.cron).toBeDefined()
      expect(await job.run({})).toMatchObject({ broken: 0 })
      expect(await u.db('audit_checkpoint_heads').where({ chain_key: whole }).first('seq')).toEqual({ seq: 2 })
      await ownerDeletes(whole, 1, uOwner)
      const v = await u.services.activity.verify()
      expect(v.firstBreak).toEqual({ chainKey: whole, seq: 2, reason: 'truncated' })
    })
  })

  it('une fin de chaîne supprimée puis réécrite par de nouvelles lignes n’est pas épinglée par-dessus, et se voit', async () => {
    await fresh(async (u, uOwner) => {
      const rewritten = await chain(3, u)
      expect((await u.services.activity.checkpoint())!.broken).toEqual([])
      await ownerDeletes(rewritten, 3, uOwner)
      await u.db.transaction((trx) => u.services.activity.record(trx, actor, { action: 'document.list', subjectPersonId: rewritten }))
      // Seq 3 exists again, with another hash: the next periodic checkpoint does not pin over it.
      const next = await u.services.activity.checkpoint()
      expect(next!.broken).toEqual([{ chainKey: rewritten, seq: 3, reason: 'checkpoint' }])
      const v = await u.services.activity.verify()
      expect(v.firstBreak).toEqual({ chainKey: rewritten, seq: 3, reason: 'checkpoint' })
    })
  })

  it('un point de contrôle forgé sans la clé (signature fausse) est signalé', async () => {
    await fresh(async (u) => {
      await u.db.transaction((trx) => u.services.activity.record(trx, actor, { action: 'document.list', subjectPersonId: null }))
      expect((await u.services.activity.verify()).ok).toBe(true)
      const head = await u.db('activity_log').orderBy('id', 'desc').first()
      const [cp] = await u.db('audit_checkpoints').insert({ reason: 'periodic', up_to_id: head.id }).returning('id')
      const forged = { chainKey: head.chain_key, seq: head.seq + 1, hash: head.hash }
      await u.db('audit_checkpoint_heads').insert({
        checkpoint_id: cp.id,
        chain_key: forged.chainKey,
        seq: forged.seq,
        hash: forged.hash,
        mac: checkpointMac(Buffer.from('une autre clé que celle de la production'), forged),
      })
      const v = await u.services.activity.verify()
      expect(v.firstBreak).toEqual({ chainKey: head.chain_key, seq: head.seq + 1, reason: 'checkpoint' })
    })
  })
})
