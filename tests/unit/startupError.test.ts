import { explainStartupError, startupFailureText, StartupError } from '../../src/startupError'

const sysError = (props: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), props)

describe('erreurs de démarrage : une cause et quoi faire, jamais « undefined »', () => {
  const cases: [string, unknown, RegExp, RegExp][] = [
    ['rien (undefined)', undefined, /erreur sans description/, /LOG_LEVEL=debug/],
    ['null', null, /erreur sans description/, /LOG_LEVEL=debug/],
    ['une chaîne vide', '', /erreur sans description/, /LOG_LEVEL=debug/],
    ['une erreur sans message', new Error(''), /erreur inattendue : Error/, /détail ci-dessous/],
    [
      'le port du site occupé',
      sysError({ code: 'EADDRINUSE', syscall: 'listen', port: 3000, address: '0.0.0.0' }),
      /le port 3000 est déjà utilisé/,
      /PORT=3001 npm start/,
    ],
    ['un port réservé', sysError({ code: 'EACCES', syscall: 'listen', port: 80 }), /port 80/, /au-dessus de 1023/],
    [
      'PostgreSQL éteint',
      sysError({ code: 'ECONNREFUSED', address: '127.0.0.1', port: 5432 }),
      /rien ne répond à l'adresse 127\.0\.0\.1:5432/,
      /DATABASE_URL/,
    ],
    ['un hôte inconnu', sysError({ code: 'ENOTFOUND', hostname: 'pg.example' }), /l'hôte pg\.example est introuvable/, /DNS/],
    ['un mot de passe refusé', sysError({ code: '28P01' }, 'password authentication failed'), /identification/, /mot de passe/],
    ['une base absente', sysError({ code: '3D000' }, 'database "x" does not exist'), /n'existe pas/, /createdb/],
    ['un fichier absent', sysError({ code: 'ENOENT', path: 'assures.csv' }), /le fichier assures\.csv est introuvable/, /chemin/],
    ['une erreur prévue', new StartupError('le site tourne déjà', 'arrêtez-le'), /^le site tourne déjà$/, /^arrêtez-le$/],
  ]
  it.each(cases)('%s', (_name, err, problem, action) => {
    const x = explainStartupError(err)
    expect(x.problem).toMatch(problem)
    expect(x.action).toMatch(action)
    const text = startupFailureText("Mon espace santé n'a pas pu démarrer", err)
    expect(text).not.toMatch(/undefined|null|\[object Object\]/)
    expect(text).toMatch(/^Mon espace santé n'a pas pu démarrer : .+\.\nQue faire : .+\.\n/)
  })

  it('une erreur imprévue garde son message et sa pile pour le détail', () => {
    const x = explainStartupError(new TypeError('cannot read foo'))
    expect(x.problem).toBe('erreur inattendue : cannot read foo')
    expect(x.detail).toMatch(/TypeError: cannot read foo\n\s+at /)
  })
})
