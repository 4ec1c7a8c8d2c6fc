import * as cheerio from 'cheerio'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { agent, signIn, submitForm, type Agent } from '../helpers/http'
import { LOUIS } from '../helpers/demo'
import { createPerson, dateFields } from '../helpers/lifecycle'
import { CSV_HEADER, nirFor, uploadCsv } from '../helpers/backoffice'
import { formatNir } from '../../src/domain/nir'

jest.setTimeout(60_000)

/**
 * Tables the back office may read: the registry, the lifecycle, accounts and sessions, letters,
 * its own tables, the activity log. Any other table (documents, profile, messages, reimbursements…
 * added by other features) is health data or none of the back office's business.
 */
const ALLOWED_TABLES = new Set([
  'accounts',
  'account_sessions',
  'sessions',
  'rate_limits',
  'professionals',
  'representatives',
  'representative_invitations',
  'insured_persons',
  'spaces',
  'provisional_codes',
  'letters',
  'letter_batches',
  'outbox',
  'person_imports',
  'person_import_errors',
  'notification_campaigns',
  'figures_states',
  'figures_daily',
  'figures_refreshes',
  'activity_log',
  'audit_verifications',
  'due',
  'src',
  'up',
  'sp',
  'unnest',
  // Reference data managed by operators (issue 7): the access matrix and the catalogue of services.
  'access_matrix',
  'catalogue_services',
  'catalogue_service_versions',
  // The other back-office tools' own tables: reimbursement imports (counts and line-numbered error
  // messages, never the rows), the reports on services (their free text is written by users), the
  // OAuth clients of connected services.
  'reimbursement_imports',
  'service_reports',
  'oauth_clients',
])

function tablesIn(sql: string): string[] {
  return [...sql.matchAll(/\b(?:from|join|into|(?<!for )update)\s+"?([a-z_][a-z0-9_]*)"?/gi)].map((m) => m[1].toLowerCase())
}

describe('le back-office ne montre aucune donnée de santé et aucun NIR en entier', () => {
  let t: TestApp
  let op: Agent
  const seen: string[] = []
  beforeAll(async () => {
    t = await createTestApp()
    op = agent(t.app)
    await signIn(op, t.db, 'operator', LOUIS.login, LOUIS.password)
  })
  afterAll(async () => {
    await t.close()
  })

  it('parcourt chaque page et chaque export', async () => {
    // Data behind every page: an import with a bad line, a campaign with a letter batch, a phone opposition.
    const imported = await uploadCsv(
      op,
      [
        CSV_HEADER,
        `${nirFor('F', '1988-03-03', 21)};Marqueur;Zoé;F;1988-03-03;Nantes;1 quai;;44000;Nantes;zoe.marqueur@courriel.example;`,
        `${nirFor('F', '1988-03-03', 22).slice(0, 13)}00;Faux;X;F;1988-03-03;;;;;;;`,
      ].join('\n'),
    )
    const importUrl = imported.headers.location
    await submitForm(op, '/back-office/campagne', {})
    const batch = await submitForm(op, '/back-office/courriers', {}, '/back-office/courriers/lots')
    const p = await createPerson(t.db, { noticeDaysAgo: 5 })
    // A change to the access matrix and to a service, so that their pages show their logs.
    expect(
      (await submitForm(op, '/back-office/matrice-acces/INFIRMIER', { 'categories[]': ['SYNTHESE', 'ORD_SOIN'], reason: 'Vérification' }))
        .status,
    ).toBe(303)
    const service = await t.db('catalogue_services').where({ slug: 'vidal-ma-sante' }).first()
    expect((await submitForm(op, `/back-office/catalogue/${service.id}`, {}, `/back-office/catalogue/${service.id}/retirer`)).status).toBe(
      303,
    )

    const onQuery = (q: { sql: string }) => seen.push(q.sql)
    t.db.on('query', onQuery)
    const pages: string[] = []
    const urls = [
      '/back-office',
      '/back-office/import',
      importUrl,
      `${importUrl}/rapport.csv`,
      '/back-office/campagne',
      '/back-office/creation-automatique',
      '/back-office/opposition-telephone',
      '/back-office/courriers',
      batch.headers.location,
      '/back-office/chiffres',
      '/back-office/journal',
      '/back-office/matrice-acces',
      '/back-office/matrice-acces/INFIRMIER',
      '/back-office/catalogue',
      '/back-office/catalogue/nouveau',
      `/back-office/catalogue/${service.id}`,
      `/back-office/catalogue/${service.id}/modifier`,
      '/back-office/remboursements',
      '/back-office/signalements',
      '/back-office/clients',
    ]
    for (const url of urls) {
      const r = await op.get(url)
      expect([url, r.status]).toEqual([url, 200])
      pages.push(r.text)
    }
    const found = await submitForm(op, '/back-office/opposition-telephone', {
      nir: p.nir,
      ...dateFields(p.birthDate),
      lastName: p.lastName,
    })
    pages.push((await op.get(found.headers.location)).text)
    await submitForm(op, '/back-office/opposition-telephone/confirmation', { 'checks[]': ['identity', 'consent'] })
    pages.push((await op.get('/back-office/opposition-telephone/accuse-de-reception')).text)
    await submitForm(op, '/back-office/chiffres', {}, '/back-office/chiffres/actualiser')
    pages.push((await op.get('/back-office/chiffres')).text)
    t.db.off('query', onQuery)

    const persons = await t.db('insured_persons').select('nir', 'email', 'mobile', 'medecin_traitant_rpps')
    expect(persons.length).toBeGreaterThan(5)
    // Form hints show an example NIR (the same as a demo person's): they are not about anyone.
    const all = pages
      .map((html) => {
        const $ = cheerio.load(html)
        $('.govuk-hint').remove()
        return $.html()
      })
      .join('\n')
    for (const person of persons) {
      expect(all).not.toContain(person.nir)
      expect(all).not.toContain(formatNir(person.nir))
      if (person.email) expect(all).not.toContain(person.email)
      if (person.mobile) expect(all).not.toContain(person.mobile)
      if (person.medecin_traitant_rpps) expect(all).not.toContain(person.medecin_traitant_rpps)
    }
    // No document title, no entry of a medical profile (messages are sealed: their table is never read, below).
    const titles = (await t.db('documents').distinct('title')).map((d) => d.title as string).filter((x) => x.length >= 6)
    const entries = (await t.db('profile_entries').distinct('label')).map((d) => d.label as string).filter((x) => x.length >= 6)
    expect(titles.length).toBeGreaterThan(3)
    expect(entries.length).toBeGreaterThan(1)
    const visible = pages.map((html) => cheerio.load(html)('main').text()).join('\n')
    for (const x of [...titles, ...entries]) expect([x, visible.includes(x)]).toEqual([x, false])
    // The masked NIR is what identifies the person on the phone page.
    expect(all).toContain(`${p.nir[0]} •• •• •• ••• ••• ${p.nir.slice(13)}`)

    expect(seen.length).toBeGreaterThan(10)
    const tables = new Set(seen.flatMap(tablesIn))
    const outside = [...tables].filter((x) => !ALLOWED_TABLES.has(x))
    expect(outside).toEqual([])
  })
})
