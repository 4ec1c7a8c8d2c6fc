import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_CODES, DEMO_PERSONS } from '../helpers/demo'
import { dateFields } from '../helpers/lifecycle'
import { throttleDelaySeconds } from '../../src/infrastructure/rateLimit'

/**
 * Issue 15, §6: sign-in limits slow attackers down without ever locking the rightful owner out
 * (ASVS 6.1.1). The app runs behind a trusted proxy here, so each agent has its own address.
 */

function from(t: TestApp, address: string): Agent {
  const a = agent(t.app)
  a.set('X-Forwarded-For', address)
  return a
}

describe('limites de connexion sans blocage malveillant', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: 'loopback' } })
  })
  afterAll(async () => {
    await t.close()
  })

  it('les attentes croissent avec les échecs, jusqu’à un plafond', () => {
    const o = { free: 5, firstDelaySeconds: 15, maxDelaySeconds: 900 }
    expect([1, 5, 6, 7, 8, 10, 20].map((n) => throttleDelaySeconds(n, o))).toEqual([0, 0, 15, 30, 60, 240, 900])
  })

  it('après les échecs de quelqu’un d’autre, le bon mot de passe et le code à usage unique connectent toujours la titulaire', async () => {
    const attacker = from(t, '203.0.113.7')
    const statuses: number[] = []
    for (let i = 0; i < 30; i++)
      statuses.push((await submitForm(attacker, '/connexion', { login: CAMILLE.login, password: `devine-${i}` })).status)
    // The attacker is slowed down...
    expect(statuses.slice(0, 6)).toEqual([400, 400, 400, 400, 400, 400])
    expect(statuses.slice(6).every((s) => s === 429)).toBe(true)
    // ...and refused while waiting, even with the right password.
    expect((await submitForm(attacker, '/connexion', { login: CAMILLE.login, password: CAMILLE.password })).status).toBe(429)
    // Camille, from her own connection, is not.
    const camille = from(t, '198.51.100.20')
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    expect((await camille.get('/mon-espace')).status).toBe(200)
  })

  it('un guichet France Services (beaucoup de personnes derrière une adresse) n’atteint jamais le plafond par son propre trafic', async () => {
    const counter = '198.51.100.99'
    // 40 people in an afternoon, each mistyping twice before getting it right (here: unknown logins).
    for (let p = 0; p < 40; p++) {
      for (let k = 0; k < 2; k++) {
        const r = await submitForm(from(t, counter), '/connexion', { login: `usager.${p}`, password: `erreur ${k}` })
        expect([p, k, r.status]).toEqual([p, k, 400])
      }
    }
    const camille = from(t, counter)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    expect((await camille.get('/mon-espace')).status).toBe(200)
  })

  it('code provisoire : les essais faux de quelqu’un d’autre pour un NIR ne bloquent pas son titulaire', async () => {
    const jean = DEMO_PERSONS.jean
    const attacker = from(t, '203.0.113.8')
    let last: Awaited<ReturnType<typeof submitForm>> | undefined
    for (let i = 0; i < 12; i++) {
      await submitForm(attacker, '/activer-mon-profil', { code: `AB2C D3EF 4G${'HJKMNPQRSTVW'[i]}H` })
      last = await submitForm(attacker, '/activer-mon-profil/identite', { nir: jean.nir, ...dateFields(jean.birth_date) })
    }
    expect(last!.status).toBe(429)
    expect(last!.text).toContain('Trop d’essais incorrects avec ce numéro de sécurité sociale')
    const owner = from(t, '198.51.100.21')
    await submitForm(owner, '/activer-mon-profil', { code: DEMO_CODES.jean })
    const r = await submitForm(owner, '/activer-mon-profil/identite', { nir: jean.nir, ...dateFields(jean.birth_date) })
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/activer-mon-profil/identifiant')
  })
})
