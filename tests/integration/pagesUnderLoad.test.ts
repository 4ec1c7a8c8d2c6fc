import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, LOUIS, NADIA, PROS } from '../helpers/demo'
import { NAVIGATION } from '../../src/navigation'
import type { AccountKind } from '../../src/domain/actor'

/**
 * Issue 20: no page may starve the connection pool. Every page a signed-in person reaches (patient,
 * professional, France Services agent, operator: found by following their links from their menus) is
 * opened by all of them at once, each twice — many more requests at the same moment than the pool has
 * connections (TEST_DB_POOL, 5; one under `npm run test:pool-of-one`) — and every answer is a 200, as
 * when the page is opened alone.
 */

const SKIP =
  /telecharger|apercu|\.ics|\.csv|\.pdf|\.zip|\/dev\/|deconnexion|\/fhir|\/oidc|^\/(accessibilite|mentions-legales|donnees-personnelles|plan-du-site|aide)\b/

/** The person's pages: from their menu, the same-site links of each page (at most two pages per address shape). */
async function pagesOf(a: Agent, starts: string[], max = 45): Promise<string[]> {
  const found: string[] = []
  const seen = new Set<string>()
  const shapes = new Map<string, number>()
  const queue = [...starts]
  const shapeOf = (u: string) =>
    u
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, ':uuid')
      .replace(/\/\d+(?=\/|$|\?)/g, '/:n')
      .replace(/\?.*$/, '?')
  while (queue.length && found.length < max) {
    const url = queue.shift()!
    if (seen.has(url)) continue
    seen.add(url)
    const shape = shapeOf(url)
    if ((shapes.get(shape) ?? 0) >= 2) continue
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1)
    const res = await a.get(url)
    if (res.status !== 200 || !/text\/html/.test(String(res.headers['content-type']))) continue
    found.push(url)
    const $ = cheerio.load(res.text)
    $('a[href^="/"]').each((_, el) => {
      const href = ($(el).attr('href') ?? '').split('#')[0]
      if (href && !SKIP.test(href) && !seen.has(href)) queue.push(href)
    })
  }
  return found
}

describe('pages connectées : plus de demandes simultanées que de connexions au pool, seulement des 200 (issue 20)', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t?.close()
  })

  it('patient, professionnel, agent France Services, opérateur : chaque page ouverte par tous à la fois', async () => {
    const camille = agent(t.app)
    await signIn(camille, t.db, 'patient', CAMILLE.login, CAMILLE.password)
    const bernard = agent(t.app)
    await signIn(bernard, t.db, 'professional', PROS.bernard.login, PROS.bernard.password)
    // The professional has found a patient: the pages of her record are his too.
    const found = await submitForm(bernard, '/pro/patient', {
      nir: CAMILLE.nir,
      'birthDate-day': '14',
      'birthDate-month': '3',
      'birthDate-year': '1968',
      lastName: 'Martin',
    })
    expect(found.headers.location).toBe('/pro/patient/dossier')
    const nadia = agent(t.app)
    await signIn(nadia, t.db, 'agent', NADIA.login, NADIA.password)
    const louis = agent(t.app)
    await signIn(louis, t.db, 'operator', LOUIS.login, LOUIS.password)

    const people: { who: AccountKind; a: Agent; pages: string[] }[] = [
      {
        who: 'patient',
        a: camille,
        pages: await pagesOf(camille, ['/mon-espace', '/mon-compte', ...NAVIGATION.patient.map((n) => n.href)]),
      },
      {
        who: 'professional',
        a: bernard,
        pages: await pagesOf(bernard, ['/pro', '/pro/patient/dossier', ...NAVIGATION.professional.map((n) => n.href)]),
      },
      {
        who: 'agent',
        a: nadia,
        pages: await pagesOf(
          nadia,
          NAVIGATION.agent.map((n) => n.href),
        ),
      },
      {
        who: 'operator',
        a: louis,
        pages: await pagesOf(
          louis,
          NAVIGATION.operator.map((n) => n.href),
        ),
      },
    ]
    // The crawl found the menus' pages (not a list emptied by a broken sign-in).
    for (const p of people) {
      const missing = NAVIGATION[p.who].map((n) => n.href).filter((href) => !p.pages.includes(href))
      expect({ who: p.who, missing }).toEqual({ who: p.who, missing: [] })
    }
    const all = people.flatMap((p) => p.pages.map((page) => ({ ...p, page })))
    expect(all.length).toBeGreaterThan(40)

    // Everyone at once, every page twice.
    const answers = await Promise.all(
      [...all, ...all].map(async ({ who, a, page }) => {
        const res = await a.get(page)
        return { who, page, status: res.status }
      }),
    )
    expect(answers.length).toBeGreaterThan(5 * Number(process.env.TEST_DB_POOL ?? 5))
    expect(answers.filter((r) => r.status !== 200)).toEqual([])
  })
})
