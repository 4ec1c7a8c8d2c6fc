import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestDatabase, type TestDatabase } from '../helpers/testApp'
import { createLogger } from '../../src/infrastructure/logger'
import { createDeliverer, createNotifier } from '../../src/infrastructure/notifier'
import { createHttpSms, internationalNumber } from '../../src/infrastructure/smsHttp'

/** SMS through a provider's HTTP API (SMS_HTTP_URL), against a real HTTP server standing in for the provider. */
describe('SMS par un fournisseur HTTP', () => {
  let d: TestDatabase
  let server: http.Server
  let url: string
  let answer = 202
  const received: { auth?: string; type?: string; body: { to: string; text: string } }[] = []
  const logger = createLogger('silent')

  beforeAll(async () => {
    d = await createTestDatabase()
    server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        received.push({ auth: req.headers.authorization, type: req.headers['content-type'], body: JSON.parse(body) })
        res.writeHead(answer, { 'content-type': 'application/json' }).end('{"id":"x"}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`
  })
  afterAll(async () => {
    await new Promise((r) => server.close(r))
    await d.drop()
  })

  it('met les numéros français au format international', () => {
    expect(internationalNumber('0612345678')).toBe('+33612345678')
    expect(internationalNumber('06 12 34 56 78')).toBe('+33612345678')
    expect(internationalNumber('0033612345678')).toBe('+33612345678')
    expect(internationalNumber('+33612345678')).toBe('+33612345678')
  })

  it('envoie le SMS de la boîte d’envoi, avec le jeton, puis efface son texte', async () => {
    const sms = createHttpSms({ url, token: 'jeton-du-fournisseur' })
    const notifier = createNotifier({ smtp: false, sms })
    await d.db.transaction((trx) => notifier.sms(trx, { to: '0612345678', text: '123456 est votre code', kind: 'otp' }))
    const deliverer = createDeliverer(d.db, logger, { from: 'x', sms })
    expect(await deliverer.deliverPending()).toBe(1)
    expect(received.at(-1)).toEqual({
      auth: 'Bearer jeton-du-fournisseur',
      type: 'application/json',
      body: { to: '+33612345678', text: '123456 est votre code' },
    })
    const row = await d.db('outbox').where({ recipient: '0612345678' }).orderBy('id', 'desc').first()
    expect(row).toMatchObject({ status: 'sent', body: null })
  })

  it('un refus du fournisseur laisse le SMS en attente, sans le numéro ni le texte dans l’erreur', async () => {
    answer = 503
    const sms = createHttpSms({ url })
    await expect(sms.send('0698765432', 'secret 654321')).rejects.toThrow(/^le fournisseur de SMS a répondu 503$/)
    const notifier = createNotifier({ smtp: false, sms })
    await d.db.transaction((trx) => notifier.sms(trx, { to: '0698765432', text: '654321 est votre code', kind: 'otp' }))
    expect(await createDeliverer(d.db, logger, { from: 'x', sms }).deliverPending()).toBe(0)
    const row = await d.db('outbox').where({ recipient: '0698765432' }).first()
    expect(row).toMatchObject({ status: 'pending', attempts: 1, body: '654321 est votre code' })
    answer = 202
  })

  it('un fournisseur injoignable : une erreur qui le dit', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((r) => closed.close(r))
    const sms = createHttpSms({ url: `http://127.0.0.1:${port}/sms`, timeoutMs: 2000 })
    await expect(sms.send('0612345678', 'x')).rejects.toThrow(/^fournisseur de SMS injoignable \(ECONNREFUSED\)$/)
  })
})
