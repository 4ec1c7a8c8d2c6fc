import fs from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser, newContext, savedDownload, screenshot, signInThroughPages, watch, type Watcher } from '../helpers/browser'
import { startOAuthApp, type OAuthApp } from '../helpers/oauth'
import { CAMILLE, HELENE, SAMU } from '../helpers/demo'
import { createAccount } from '../helpers/lifecycle'
import { fhirIssues } from '../helpers/fhirValidator'
import { createScaleSimulator, DEMO_SCALE, scaleRedirectUri, scaleStartUri } from '../../src/demo/scaleSimulator'
import { frenchDate } from '../../src/domain/parisTime'
import { majorityDate } from '../../src/domain/age'
import { chloeBirthDate } from '../../src/seed/journeys'
import { unzip } from '../helpers/zip'

jest.setTimeout(600_000) // a shared, loaded machine: axe on every page is slow

/**
 * Issue 19, each point in a real Chromium with JavaScript off (one browser for the file): the scale
 * connected from the catalogue through the real OAuth flow, then «Désynchroniser» (§1); the export's
 * FHIR validated (§2); recommendations that know what was done (§3); the 18th birthday (§4); the
 * demo people of every journey (§5). axe-core and html-validate on every page state visited.
 */
describe('l’espace se tient : services connectés, FHIR, prévention, 18 ans, démonstration', () => {
  let o: OAuthApp
  let browser: Browser
  beforeAll(async () => {
    o = await startOAuthApp({ FHIR_RATE_LIMIT_PER_MINUTE: '1000' })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await o?.close()
  })

  async function journey(run: (page: Page, w: Watcher) => Promise<void>) {
    const context = await newContext(browser, false)
    const page = await context.newPage()
    const w = watch(page, { javaScript: false })
    try {
      await run(page, w)
    } finally {
      await w.settle()
      await context.close()
    }
    expect(w.problems).toEqual([])
  }

  const phone = async (page: Page, name: string) => {
    await page.setViewportSize({ width: 360, height: 640 })
    await screenshot(page, name)
    await page.setViewportSize({ width: 1024, height: 900 })
  }

  it('§1 une nouvelle personne connecte la balance depuis le catalogue, voit ses pesées, la désynchronise : refusée', async () => {
    const person = await createAccount(o.t.db, { firstNames: 'Nora', lastName: 'Balance' })
    const sim = createScaleSimulator({ base: o.base, port: 0, weightsOnPairing: 2 })
    const { startUrl } = await sim.start()
    // The demo client of the scale, registered by the demo data, on this run's free port.
    await o.t
      .db('oauth_clients')
      .where({ id: DEMO_SCALE.clientId })
      .update({ redirect_uris: [scaleRedirectUri(sim.port)], initiate_login_uri: scaleStartUri(sim.port) })
    expect(startUrl).toBe(scaleStartUri(sim.port))
    try {
      await journey(async (page, w) => {
        await signInThroughPages(page, o.t.db, { url: o.base + '/connexion', ...person })
        await page.goto(o.base + '/catalogue?q=Withings')
        await page.getByRole('link', { name: 'Withings Health Mate' }).click()
        await page.getByRole('heading', { name: 'Withings Health Mate', level: 1 }).waitFor()
        await w.check('catalogue : Withings')
        await page.getByRole('button', { name: 'Connecter ce service' }).click()
        // The application opened, then the authorisation request: our consent page, nothing ticked.
        await page.getByRole('heading', { name: /Autoriser Withings Health Mate/ }).waitFor()
        const box = page.getByLabel('Ajouter ou modifier : Mesures (poids, tension, glycémie…)')
        expect(await box.isChecked()).toBe(false)
        await w.check('consentement')
        await phone(page, 'joined-consentement-balance-360')
        await page.getByRole('button', { name: 'Autoriser' }).click()
        await page.locator('.govuk-error-summary').waitFor()
        await w.check('consentement : rien de coché')
        await page.getByLabel('Ajouter ou modifier : Mesures (poids, tension, glycémie…)').check()
        await page.getByRole('button', { name: 'Autoriser' }).click()
        await page.getByRole('heading', { name: 'Balance connectée' }).waitFor()
        await sim.paired
        expect(sim.weighings.map((x) => x.status)).toEqual([201, 201])

        // Its weights, with their source; its writes in the history, by that service.
        await page.goto(o.base + '/profil-medical/mesures/poids')
        await page.locator('#valeurs').getByText('Ajoutée par Withings Health Mate').first().waitFor()
        await w.check('mesures : poids de la balance')
        await page.goto(o.base + '/historique?onglet=autres&acteur=service&periode=7')
        await page.locator('main').getByText('Withings Health Mate').first().waitFor()
        await w.check('historique : service')
        // «Services connectés» and «Mes autorisations»: the same truth.
        await page.goto(o.base + '/mon-espace/services-connectes')
        await page.getByRole('heading', { name: 'Withings Health Mate', level: 2 }).waitFor()
        await w.check('services connectés')
        await page.goto(o.base + '/mes-autorisations')
        await page.locator('main').getByText('Withings Health Mate', { exact: true }).waitFor()

        // «Désynchroniser» in the catalogue: the next weighing is refused.
        await page.goto(o.base + '/catalogue/withings-health-mate')
        await page.getByRole('button', { name: 'Désynchroniser' }).click()
        await page.getByLabel('Oui').check()
        await page.getByRole('button', { name: 'Continuer' }).click()
        await page.getByText("Le service est désynchronisé : il n'a plus accès à votre profil.").waitFor()
        const refused = await sim.weigh(70.1)
        expect(refused.status).toBe(401)
        expect(refused.body).toMatchObject({ resourceType: 'OperationOutcome' })
        await page.goto(o.base + '/mon-espace/services-connectes')
        await page.getByText("Aucun service n'est connecté à votre espace santé.").waitFor()
      })
    } finally {
      await sim.close()
    }
    const measures = await o.t.db('measures').where({ person_id: person.id, source_client_id: DEMO_SCALE.clientId })
    expect(measures).toHaveLength(2)
  })

  it('§2 et §3 Camille : ses recommandations suivent ses remboursements et son agenda ; son export FHIR est valide', async () => {
    await journey(async (page, w) => {
      await signInThroughPages(page, o.t.db, { url: o.base + '/connexion', ...CAMILLE })
      await page.goto(o.base + '/agenda/recommandations')
      const breast = page.locator('tr', { hasText: 'cancer du sein' }).first()
      await breast.getByText('Réalisé').waitFor()
      await breast.getByText('Remboursement : Mammographie de dépistage').waitFor()
      const booked = page.locator('tr', { hasText: 'test HPV' })
      await booked.getByText('Planifié').waitFor()
      await booked.getByText('Rendez-vous : Test HPV de dépistage').waitFor()
      await page.locator('tr', { hasText: 'cancer colorectal' }).getByText('À planifier').waitFor()
      await w.check('recommandations')
      await phone(page, 'joined-recommandations-360')

      await page.goto(o.base + '/mon-compte/telecharger-mes-donnees')
      await page.getByRole('button', { name: 'Demander mes données' }).click()
      await page.getByText('Votre demande est enregistrée').waitFor()
      expect(await o.t.services.dataExport.runPending()).toEqual({ built: 1, failed: 0 })
      await page.reload()
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /^Télécharger/ }).click()])
      const zipFile = await savedDownload(download)
      expect(fs.existsSync(zipFile)).toBe(true)
      const files = await unzip(zipFile)
      const bundle = JSON.parse(files.get('donnees-fhir.json')!.toString('utf8'))
      expect(fhirIssues(bundle)).toEqual([])
      const types = new Set(bundle.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType))
      for (const t of ['Appointment', 'AllergyIntolerance', 'Observation']) expect(types.has(t)).toBe(true)
    })
  })

  it('§4 Camille voit les 18 ans de Chloé arriver et ce qui va changer', async () => {
    await journey(async (page, w) => {
      await signInThroughPages(page, o.t.db, { url: o.base + '/connexion', ...CAMILLE })
      const on = frenchDate(majorityDate(chloeBirthDate(new Date())))
      await page.getByText(`Chloé aura 18 ans le ${on}`).waitFor()
      await page.getByRole('link', { name: 'Ce qui va changer pour Chloé' }).click()
      await page.getByRole('heading', { name: 'Ce qui change aux 18 ans de Chloé', level: 1 }).waitFor()
      await w.check('18 ans : représentante')
      await phone(page, 'joined-18-ans-360')
      await page.goto(o.base + '/ce-qui-change-a-18-ans')
      await page.getByRole('heading', { name: 'Ce qui change à 18 ans', level: 1 }).waitFor()
      await w.check('18 ans : page publique')
    })
  })

  it('§5 Hélène ouvre son bilan prévention et agit pour Camille ; le Dr Lemaire (SAMU) ouvre un accès en urgence', async () => {
    await journey(async (page, w) => {
      await signInThroughPages(page, o.t.db, { url: o.base + '/connexion', ...HELENE })
      await page.goto(o.base + '/profil-medical/bilan-prevention')
      await page.getByRole('heading', { name: 'Mon bilan prévention', level: 1 }).waitFor()
      await w.check('bilan prévention')
      // Finalised empty: a short summary (how many answers are missing, a link to the first); every question
      // keeps its own message next to it.
      await page.getByRole('button', { name: 'Finaliser mon questionnaire' }).click()
      const summary = page.locator('.govuk-error-summary')
      await summary.waitFor()
      const missing = await page.locator('main .govuk-error-message').count()
      expect(missing).toBeGreaterThan(4)
      expect(await summary.textContent()).toContain(`Il manque ${missing} réponses`)
      expect(await summary.getByRole('link').count()).toBe(1)
      await w.check('bilan prévention finalisé vide')
      await summary.getByRole('link').click()
      expect(new URL(page.url()).hash).toBe('#etat-general')
      await page.goto(o.base + '/aidants')
      await page.getByRole('button', { name: /Agir pour Camille Martin/ }).click()
      await page.locator('#bandeau-profil').getByText("Vous agissez en tant qu'aidant de Camille Martin").waitFor()
      await w.check('aidante')
    })
    await journey(async (page, w) => {
      await signInThroughPages(page, o.t.db, { url: o.base + '/pro/connexion', loginLabel: 'Numéro RPPS', ...SAMU })
      await page.goto(o.base + '/pro/patient')
      await page.getByLabel('Numéro de sécurité sociale du patient').fill(CAMILLE.nir)
      const group = page.getByRole('group', { name: 'Date de naissance du patient' })
      await group.getByLabel('Jour').fill('14')
      await group.getByLabel('Mois').fill('3')
      await group.getByLabel('Année').fill('1968')
      await page.getByLabel('Nom du patient').fill('Martin')
      await page.getByRole('button', { name: 'Rechercher le patient' }).click()
      await page.getByLabel('Accès en urgence (régulation SAMU)').check()
      await w.check('SAMU : patient')
      await page.getByLabel("Motif de l'accès en urgence").fill('Appel au 15 : malaise')
      await page.getByRole('button', { name: 'Accéder au profil' }).click()
      await page.getByText('Accès en urgence ouvert pour 12 heures. Le patient en est informé.').waitFor()
      await w.check('SAMU : accès en urgence')
    })
    const row = await o.t
      .db('emergency_accesses as e')
      .join('professionals as p', 'p.id', 'e.professional_id')
      .where('p.rpps', SAMU.login)
      .first('e.kind')
    expect(row.kind).toBe('ETREAT')
  })
})
