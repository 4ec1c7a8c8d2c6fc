import { Writable } from 'node:stream'
import { createLogger } from '../../src/infrastructure/logger'

function capture() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString())
      cb()
    },
  })
  return { lines, logger: createLogger('info', stream) }
}

describe('journaux', () => {
  it('masque mots de passe, codes, NIR, adresses, corps et en-têtes sensibles', () => {
    const { lines, logger } = capture()
    logger.info(
      {
        password: 'Tulipe-Verte-Montagne-42',
        code: '123456',
        nir: '268037505612363',
        email: 'camille.martin@courriel.example',
        body: { password: 'x' },
        user: { password: 'y', otp: '654321' },
        req: { headers: { cookie: 'mes_session=abc', authorization: 'Bearer t' } },
      },
      'essai',
    )
    const line = lines.join('')
    for (const secret of ['Tulipe', '123456', '268037505612363', 'camille.martin', 'mes_session=abc', 'Bearer t', '654321']) {
      expect(line).not.toContain(secret)
    }
    expect(line).toContain('[masqué]')
  })
})
