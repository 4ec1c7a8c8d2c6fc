import { SMTPServer } from 'smtp-server'
import type { AddressInfo } from 'node:net'
import { createTestDatabase, type TestDatabase } from '../helpers/testApp'
import { TEST_REDIS_URL } from '../helpers/env'
import { closeRedis, connectRedis, createRedis } from '../../src/infrastructure/redis'
import { createLimiterFactory } from '../../src/infrastructure/rateLimit'
import { TooManyRequestsError } from '../../src/errors'
import { createNotifier, createDeliverer } from '../../src/infrastructure/notifier'
import { createLogger } from '../../src/infrastructure/logger'
import { startJobs } from '../../src/infrastructure/jobs'
import { createActivityLog } from '../../src/features/history/activity'
import { toEntry } from '../../src/features/history/repository'
import { entryHash, verifyChain } from '../../src/domain/hashChain'
import type { Actor } from '../../src/domain/actor'
import type pg from 'pg'
import { createDb } from '../../src/infrastructure/database'
import {
  compileStatement,
  groupedOneRoundTrips,
  preparedQuery,
  preparedStatement,
  resyncPrepared,
  sqlLiteral,
  statementText,
  transactionInOneRoundTrip,
} from '../../src/infrastructure/roundTripEngine'

const logger = createLogger('silent')

describe('courriels : boîte d’envoi transactionnelle et SMTP', () => {
  let d: TestDatabase
  let server: SMTPServer
  let port: number
  const received: { to: string; data: string }[] = []
  beforeAll(async () => {
    d = await createTestDatabase()
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let data = ''
        stream.on('data', (c: Buffer) => (data += c.toString()))
        stream.on('end', () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), data })
          callback()
        })
      },
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.server.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await d.drop()
  })

  it('n’envoie rien pour une transaction annulée', async () => {
    const notifier = createNotifier({ smtp: true })
    await d.db
      .transaction(async (trx) => {
        await notifier.email(trx, { to: 'annule@courriel.example', subject: 'Test', text: 'corps', kind: 'test' })
        throw new Error('annulation')
      })
      .catch(() => undefined)
    expect(await d.db('outbox').where({ recipient: 'annule@courriel.example' }).first()).toBeUndefined()
  })

  it('délivre par un vrai serveur SMTP et efface le corps une fois envoyé', async () => {
    const notifier = createNotifier({ smtp: true })
    await d.db.transaction((trx) =>
      notifier.email(trx, {
        to: 'jean.dupont@courriel.example',
        subject: 'Votre code de connexion',
        text: 'Votre code est 123456',
        kind: 'otp',
      }),
    )
    const deliverer = createDeliverer(d.db, logger, {
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: 'Mon espace santé <ne-pas-repondre@monespacesante.example>',
    })
    const sent = await deliverer.deliverPending()
    deliverer.close()
    expect(sent).toBe(1)
    expect(received).toHaveLength(1)
    expect(received[0].to).toBe('jean.dupont@courriel.example')
    expect(received[0].data).toContain('Subject: Votre code de connexion')
    expect(received[0].data).toContain('Votre code est 123456')
    const row = await d.db('outbox').where({ recipient: 'jean.dupont@courriel.example' }).first()
    expect(row.status).toBe('sent')
    expect(row.body).toBeNull()
    // Nothing left to send: a second pass sends nothing twice.
    const again = createDeliverer(d.db, logger, { smtpUrl: `smtp://127.0.0.1:${port}`, from: 'x@y.example' })
    expect(await again.deliverPending()).toBe(0)
    again.close()
  })

  it('garde le message en attente quand le serveur SMTP ne répond pas', async () => {
    const notifier = createNotifier({ smtp: true })
    await d.db.transaction((trx) => notifier.email(trx, { to: 'attente@courriel.example', subject: 'S', text: 'T', kind: 'test' }))
    const deliverer = createDeliverer(d.db, logger, { smtpUrl: 'smtp://127.0.0.1:1', from: 'x@y.example' })
    expect(await deliverer.deliverPending()).toBe(0)
    deliverer.close()
    const row = await d.db('outbox').where({ recipient: 'attente@courriel.example' }).first()
    expect(row.status).toBe('pending')
    expect(row.attempts).toBe(1)
    expect(row.body).toBe('T')
  })
})

describe('tâches de fond (pg-boss)', () => {
  it('exécute une tâche déclarée : purge des sessions expirées', async () => {
    const d = await createTestDatabase()
    try {
      await d.db('sessions').insert([
        { sid: 'expiree', sess: JSON.stringify({}), expire: new Date(Date.now() - 60_000) },
        { sid: 'valide', sess: JSON.stringify({}), expire: new Date(Date.now() + 60_000) },
      ])
      let resolveDone: (v: unknown) => void = () => undefined
      const done = new Promise((r) => (resolveDone = r))
      const runner = await startJobs(
        d.url,
        [
          {
            name: 'sessions-purge',
            description: 'test',
            run: async () => {
              const deleted = await d.db('sessions').where('expire', '<', d.db.fn.now()).del()
              resolveDone(deleted)
              return { deleted }
            },
          },
        ],
        logger,
      )
      try {
        await runner.send('sessions-purge')
        expect(await done).toBe(1)
        expect((await d.db('sessions').pluck('sid')).sort()).toEqual(['valide'])
      } finally {
        await runner.stop()
      }
    } finally {
      await d.drop()
    }
  })

  it('les tâches périodiques courtes ont chacune leur minuterie : une longue (un gros export) ne retarde pas les autres', async () => {
    const d = await createTestDatabase()
    let release: () => void = () => undefined
    let slowCalls = 0
    let fastCalls = 0
    const slow = () => {
      slowCalls++
      return new Promise<void>((r) => (release = r))
    }
    let threeFast: () => void = () => undefined
    const fastDone = new Promise<void>((r) => (threeFast = r))
    const fast = async () => {
      if (++fastCalls === 3) threeFast()
    }
    const runner = await startJobs(d.url, [], logger, { everyFewSeconds: [slow, undefined, fast], tickMs: 20 })
    try {
      await fastDone
      // The slow one is still running: it was started once and never again while it runs.
      expect(slowCalls).toBe(1)
      expect(fastCalls).toBeGreaterThanOrEqual(3)
    } finally {
      release()
      await runner.stop()
      await d.drop()
    }
  })
})

describe('journal d’activité', () => {
  let d: TestDatabase
  const actor: Actor = {
    accountId: '00000000-0000-0000-0000-000000000001',
    kind: 'professional',
    displayName: 'Dr Sophie Bernard',
    organisation: 'Cabinet médical des Lilas',
  }
  beforeAll(async () => {
    d = await createTestDatabase()
  })
  afterAll(async () => {
    await d.drop()
  })

  it('chaîne les lignes par personne, refuse UPDATE, DELETE et TRUNCATE, et détecte une altération', async () => {
    const log = createActivityLog(d.db)
    const person = (await d.db('insured_persons').where({ first_names: 'Camille' }).first()).id
    // The demo data may already have written rows on Camille's chain: the new ones follow them.
    const before = Number((await d.db('activity_log').where({ chain_key: person }).max<{ max: string | null }[]>('seq as max'))[0].max ?? 0)
    for (let i = 0; i < 3; i++) {
      await d.db.transaction((trx) =>
        log.record(trx, actor, { action: 'document.read', subjectPersonId: person, objectType: 'document', objectId: String(i) }),
      )
    }
    const rows = await d.db('activity_log').where({ chain_key: person }).andWhere('seq', '>', before).orderBy('seq')
    expect(rows.map((r) => Number(r.seq))).toEqual([before + 1, before + 2, before + 3])
    expect(rows[1].prev_hash).toBe(rows[0].hash)
    expect((await log.verify()).ok).toBe(true)

    // The application's role may not (privileges); the owner is stopped by the trigger.
    await expect(d.db('activity_log').where({ id: rows[1].id }).update({ actor_name: 'Autre' })).rejects.toThrow(/permission denied/)
    await expect(d.db('activity_log').where({ id: rows[1].id }).del()).rejects.toThrow(/permission denied/)
    await expect(d.db.raw('TRUNCATE activity_log')).rejects.toThrow(/permission denied/)
    const owner = createDb(d.ownerUrl, 1)
    try {
      await expect(owner('activity_log').where({ id: rows[1].id }).update({ actor_name: 'Autre' })).rejects.toThrow(/append-only/)
      await expect(owner('activity_log').where({ id: rows[1].id }).del()).rejects.toThrow(/append-only/)
      await expect(owner.raw('TRUNCATE activity_log')).rejects.toThrow(/append-only/)
    } finally {
      await owner.destroy()
    }

    // Someone with the power to switch the trigger off alters a row: the verification sees it.
    await d.admin.raw('ALTER TABLE activity_log DISABLE TRIGGER activity_log_no_update_delete')
    await d.admin('activity_log').where({ id: rows[1].id }).update({ actor_name: 'Autre' })
    await d.admin.raw('ALTER TABLE activity_log ENABLE TRIGGER activity_log_no_update_delete')
    const result = await log.verify()
    expect(result.ok).toBe(false)
    expect(result.firstBreak).toEqual({ chainKey: person, seq: before + 2, reason: 'hash' })
    const saved = await log.lastVerification()
    expect(saved?.ok).toBe(false)
  })

  it('n’écrit rien si la transaction de la modification est annulée', async () => {
    const log = createActivityLog(d.db)
    const before = await d.db('activity_log').count('* as n').first()
    await d.db
      .transaction(async (trx) => {
        await log.record(trx, actor, { action: 'document.delete', subjectPersonId: null })
        throw new Error('annulée')
      })
      .catch(() => undefined)
    expect(await d.db('activity_log').count('* as n').first()).toEqual(before)
  })

  it('sérialise les écritures concurrentes d’une même chaîne', async () => {
    const log = createActivityLog(d.db)
    const person = (await d.db('insured_persons').where({ first_names: 'Jean' }).first()).id
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        d.db.transaction((trx) => log.record(trx, actor, { action: 'profile.read', subjectPersonId: person, objectId: String(i) })),
      ),
    )
    const seqs = await d.db('activity_log').where({ chain_key: person }).orderBy('seq').pluck('seq')
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(verifyChain((await d.db('activity_log').where({ chain_key: person }).orderBy('seq')).map(toEntry))).toBeUndefined()
  })

  it('calcule en base (activity_append) le même hachage qu’entryHash, accents, guillemets et clé seq dans details compris', async () => {
    const log = createActivityLog(d.db)
    const person = (await d.db('insured_persons').where({ first_names: 'Camille' }).first()).id
    const details = { titre: 'Compte rendu « cardiologie » — "seq":0 \\ 🫀', seq: 99, liste: [1.5, null, { z: 'é', a: true }] }
    await d.db.transaction((trx) =>
      log.record(
        trx,
        { ...actor, displayName: 'Dr Zoé Lefèvre-Ñúñez' },
        { action: 'document.read', subjectPersonId: person, objectType: 'document', objectId: 'doc-é', details },
      ),
    )
    const row = await d.db('activity_log').where({ chain_key: person }).orderBy('seq', 'desc').first()
    expect(row.details).toEqual(details)
    expect(row.hash).toBe(entryHash(row.prev_hash, toEntry(row)))
  })

  it('appendStatement (valeurs en littéraux, envoyée avec COMMIT) écrit la même ligne chaînée que record, apostrophes et antislashs compris', async () => {
    const log = createActivityLog(d.db)
    const person = (await d.db('insured_persons').where({ first_names: 'Camille' }).first()).id
    const details = { titre: "l'examen \\ « n°2 » '); DROP TABLE activity_log; --", seq: 1 }
    const conn = (await d.db.client.acquireConnection()) as pg.Client
    try {
      await conn.query(
        `BEGIN; ${log.appendStatement({ ...actor, displayName: "Dr O'Brien \\" }, { action: 'document.read', subjectPersonId: person, objectType: 'document', objectId: "o'1", details })}; COMMIT`,
      )
    } finally {
      await d.db.client.releaseConnection(conn)
    }
    const row = await d.db('activity_log').where({ chain_key: person }).orderBy('seq', 'desc').first()
    expect(row.details).toEqual(details)
    expect(row.actor_name).toBe("Dr O'Brien \\")
    expect(row.object_id).toBe("o'1")
    expect(row.hash).toBe(entryHash(row.prev_hash, toEntry(row)))
    // Linked to the head before it (an earlier test of this file breaks this chain on purpose further back).
    const previous = await d
      .db('activity_log')
      .where({ chain_key: person, seq: row.seq - 1 })
      .first()
    expect(row.prev_hash).toBe(previous.hash)
  })

  it('preparedStatement : préparée une fois par connexion, exécutée avec des littéraux ; resyncPrepared après un échec', async () => {
    const conn = (await d.db.client.acquireConnection()) as pg.Client
    try {
      const q = () => d.db('insured_persons').where('last_name', "O'Hara \\ '--").orWhere('first_names', 'Camille').select('first_names')
      const first = preparedStatement(conn, q())
      expect(first.text).toMatch(/^PREPARE inl_\w+ AS /)
      const r1 = (await conn.query(`BEGIN; ${first.text}; COMMIT`)) as unknown as pg.QueryResult[]
      first.done()
      expect(r1[2].rows.map((r) => r.first_names)).toContain('Camille')
      const again = preparedStatement(conn, q())
      expect(again.text).toMatch(/^EXECUTE inl_\w+\( E'O''Hara \\\\ ''--'/)
      expect((await conn.query(again.text)).rows.map((r) => r.first_names)).toContain('Camille')
      // A round trip that fails after a PREPARE: the statement exists though done() was never called.
      const other = preparedStatement(conn, d.db('insured_persons').where('id', '00000000-0000-0000-0000-000000000000').select('id'))
      await expect(conn.query(`${other.text}; SELECT 1/0`)).rejects.toThrow()
      await resyncPrepared(conn)
      expect(
        preparedStatement(conn, d.db('insured_persons').where('id', '00000000-0000-0000-0000-000000000000').select('id')).text,
      ).toMatch(/^EXECUTE /)
    } finally {
      await d.db.client.releaseConnection(conn)
    }
  })

  it('derrière un pooler (createDb pooler) : aucune instruction préparée, valeurs en littéraux, rien laissé sur la connexion', async () => {
    const q = () => d.db('insured_persons').where('last_name', "O'Hara \\ '--").orWhere('first_names', 'Camille').select('first_names')
    const text = statementText(q())
    expect(text).not.toMatch(/PREPARE|EXECUTE|\$\d/)
    expect(text).toContain("E'O''Hara \\\\ ''--'")
    expect(statementText(compileStatement(q()))).toBe(text)
    const pooled = createDb(d.url, 1, { pooler: true })
    try {
      const camille = await pooled('insured_persons').where({ first_names: 'Camille' }).first('id', 'last_name')
      const guard = pooled.raw('SELECT facts_unchanged((SELECT last_name FROM insured_persons WHERE id = ?), ?)', [
        camille.id,
        camille.last_name,
      ])
      for (let i = 0; i < 2; i++) {
        const r = await transactionInOneRoundTrip<{ first_names: string }>(pooled, guard, q(), 'SELECT 1')
        expect(r).toMatchObject({ committed: true })
      }
      expect(await preparedQuery(pooled, 'essai', 'SELECT $1::text AS v', ['x'])).toEqual([{ v: 'x' }])
      // One connection in this pool: whatever ran on it left no prepared statement behind.
      expect((await pooled.raw('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0].n).toBe(0)
    } finally {
      await pooled.destroy()
    }
  })

  it('transactionInOneRoundTrip : la garde qui échoue (MS001) annule tout, sans erreur ; une autre erreur est levée ; sinon tout est validé', async () => {
    const camille = await d.db('insured_persons').where({ first_names: 'Camille' }).first('id', 'last_name')
    const marker = `essai-${Date.now()}`
    const guard = (expected: string) =>
      d.db.raw('SELECT facts_unchanged((SELECT last_name FROM insured_persons WHERE id = ?), ?)', [camille.id, expected])
    const query = () => d.db('insured_persons').where({ id: camille.id }).select('first_names')
    const last = `INSERT INTO outbox (channel, kind, recipient, subject, body, status) VALUES ('email', 'essai', ${sqlLiteral(marker)}, 's', 'b', 'kept')`
    const sent = async () => Number((await d.db('outbox').where({ recipient: marker }).count<{ n: string }[]>('* as n'))[0].n)

    // Changed since the decision: nothing is read, nothing is written, and the caller is told.
    expect(await transactionInOneRoundTrip(d.db, guard('Autre nom'), query(), last)).toEqual({ committed: false })
    expect(await sent()).toBe(0)
    // Any other error is thrown, and rolls back too.
    await expect(transactionInOneRoundTrip(d.db, d.db.raw('SELECT 1/0'), query(), last)).rejects.toThrow(/division/)
    expect(await sent()).toBe(0)
    // Unchanged: the rows of the query, and the last statement committed; twice (prepared the second time).
    for (let i = 1; i <= 2; i++) {
      const r = await transactionInOneRoundTrip<{ first_names: string }>(d.db, guard(camille.last_name), query(), last)
      expect(r).toEqual({ committed: true, rows: [{ first_names: 'Camille' }] })
      expect(await sent()).toBe(i)
    }
  })

  it('groupedOneRoundTrips : les appels d’un même tour partagent une transaction et un commit ; si un appel échoue, chacun est rejoué seul et reçoit sa propre issue, sans doublon', async () => {
    const camille = await d.db('insured_persons').where({ first_names: 'Camille' }).first('id', 'last_name')
    const run = groupedOneRoundTrips(d.db)
    const guard = (expected: string) =>
      d.db.raw('SELECT facts_unchanged((SELECT last_name FROM insured_persons WHERE id = ?), ?)', [camille.id, expected])
    const query = (n: number) => d.db.raw('SELECT ?::int AS n', [n])
    const marker = `groupe-${Date.now()}`
    // Each `last` records its call and the transaction it ran in.
    const last = (n: number) =>
      `INSERT INTO outbox (channel, kind, recipient, subject, body, status) VALUES ('email', 'essai', ${sqlLiteral(`${marker}-${n}`)}, txid_current()::text, 'b', 'kept')`
    const rows = async () =>
      d.db('outbox').where('recipient', 'like', `${marker}-%`).select<{ recipient: string; subject: string }[]>('recipient', 'subject')

    // Three calls in the same turn: one transaction, each gets its own query's rows.
    const ok = await Promise.all([1, 2, 3].map((n) => run<{ n: number }>(guard(camille.last_name), query(n), last(n))))
    expect(ok).toEqual([1, 2, 3].map((n) => ({ committed: true, rows: [{ n }] })))
    const first = await rows()
    expect(first.map((r) => r.recipient).sort()).toEqual([1, 2, 3].map((n) => `${marker}-${n}`))
    expect(new Set(first.map((r) => r.subject)).size).toBe(1)

    // A changed guard (4) and a failing statement (5) among good calls (6, 7): the group is rolled
    // back, then each runs alone — 4 is told, 5 throws, 6 and 7 are kept once each.
    const outcomes = await Promise.allSettled([
      run(guard('Autre nom'), query(4), last(4)),
      run(guard(camille.last_name), d.db.raw('SELECT 1/0 AS n'), last(5)),
      run<{ n: number }>(guard(camille.last_name), query(6), last(6)),
      run<{ n: number }>(guard(camille.last_name), query(7), last(7)),
    ])
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: { committed: false } })
    expect(outcomes[1].status).toBe('rejected')
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: { committed: true, rows: [{ n: 6 }] } })
    expect(outcomes[3]).toEqual({ status: 'fulfilled', value: { committed: true, rows: [{ n: 7 }] } })
    const after = (await rows()).map((r) => r.recipient).sort()
    expect(after).toEqual([1, 2, 3, 6, 7].map((n) => `${marker}-${n}`))

    // A `last` of two statements breaks the count of results: committed, so never replayed (no
    // double write), and every caller of the group is told.
    const broken = await Promise.allSettled([
      run(guard(camille.last_name), query(8), `${last(8)}; SELECT 1`),
      run(guard(camille.last_name), query(9), last(9)),
    ])
    expect(broken.map((o) => o.status)).toEqual(['rejected', 'rejected'])
    expect(
      (await rows())
        .map((r) => r.recipient)
        .filter((r) => /-(8|9)$/.test(r))
        .sort(),
    ).toEqual([`${marker}-8`, `${marker}-9`])
  })
})

describe('limites de débit : baux pris dans Redis', () => {
  let d: TestDatabase
  const redis = createRedis(TEST_REDIS_URL, logger)
  beforeAll(async () => {
    d = await createTestDatabase()
    await connectRedis(redis, logger)
  })
  afterAll(async () => {
    await closeRedis(redis)
    await d.drop()
  })

  it('deux processus qui prennent des baux de 4 points ne dépassent jamais ensemble la limite de 10 par fenêtre ; le suivant reçoit 429', async () => {
    const prefix = `essai-bail-${Date.now()}:`
    const make = () =>
      createLimiterFactory({ redis, db: d.db, prefix })('api', { points: 10, durationSeconds: 60, message: 'Trop de requêtes.', lease: 4 })
    const [a, b] = [make(), make()]
    const outcome = (p: Promise<void>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (e instanceof TooManyRequestsError ? '429' : 'erreur'),
      )
    // Interleaved, some at the same time: 10 granted in all, whoever asks.
    const results: string[] = []
    for (let i = 0; i < 7; i++) results.push(...(await Promise.all([outcome(a.consume('client')), outcome(b.consume('client'))])))
    expect(results.filter((r) => r === 'ok')).toHaveLength(10)
    expect(results.filter((r) => r === '429')).toHaveLength(4)
    // Another key has its own count.
    await expect(a.consume('autre')).resolves.toBeUndefined()
    // A lease is taken in one Redis call: 4 calls by one process cost one increment of 4.
    const c = make()
    for (let i = 0; i < 4; i++) await c.consume('seul')
    expect(Number(await redis.get(`${prefix}rl:api:seul`))).toBe(4)
    await c.consume('seul')
    expect(Number(await redis.get(`${prefix}rl:api:seul`))).toBe(8)
  })

  it('pas de bail avec un blocage', () => {
    expect(() =>
      createLimiterFactory({ redis, db: d.db, prefix: 'x:' })('api', {
        points: 10,
        durationSeconds: 60,
        blockSeconds: 60,
        message: 'x',
        lease: 4,
      }),
    ).toThrow()
  })
})
