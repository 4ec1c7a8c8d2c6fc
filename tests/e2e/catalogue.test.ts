import type { Browser, Page } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { browserSession, screenshot, signInThroughPages, type Watcher, withAppAndBrowser } from '../helpers/browser'
import { CAMILLE, LOUIS } from '../helpers/demo'

jest.setTimeout(420_000)

describe('catalogue et remboursements sans JavaScript', () => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  const session = (run: (page: Page, w: Watcher) => Promise<void>) => browserSession(browser, false, run)

  const signInAs = (page: Page, url: string, login: string, password: string, email: string) =>
    signInThroughPages(page, t.db, { url: base + url, login, password, email })

  it('Camille cherche un service et le connecte en cochant ses autorisations', async () => {
    await session(async (page, w) => {
      await signInAs(page, '/connexion', CAMILLE.login, CAMILLE.password, CAMILLE.email)
      await page.getByRole('link', { name: 'Catalogue de services' }).first().click()
      await page.getByRole('heading', { name: 'Catalogue de services' }).waitFor()
      await w.check('catalogue : liste')
      await page.getByLabel('Catégorie').selectOption('suivi')
      await page.getByRole('button', { name: 'Rechercher' }).click()
      await page.getByRole('heading', { name: '3 services' }).waitFor()
      await page.getByLabel('Nom ou mot-clé').fill('glucose')
      await page.getByRole('button', { name: 'Rechercher' }).click()
      await page.getByRole('heading', { name: '1 service' }).waitFor()
      await w.check('catalogue : recherche')
      await page.getByRole('link', { name: 'FreeStyle LibreLink' }).click()
      await page.getByRole('heading', { name: 'FreeStyle LibreLink' }).waitFor()
      await w.check('catalogue : fiche')
      await page.getByRole('button', { name: 'Connecter ce service' }).click()
      await page.getByRole('heading', { name: 'Connecter FreeStyle LibreLink' }).waitFor()
      expect(await page.getByRole('checkbox', { checked: true }).count()).toBe(0)
      await page.getByRole('button', { name: 'Connecter ce service' }).click()
      await page.getByText('Cochez au moins une autorisation').first().waitFor()
      expect(await page.title()).toBe('Erreur : Connecter FreeStyle LibreLink – Mon espace santé')
      await w.check('catalogue : consentement vide')
      await page.getByLabel('Ajouter ou modifier : Mesures (poids, tension, glycémie…)').check()
      await page.getByRole('button', { name: 'Connecter ce service' }).click()
      await page.getByText('Le service est connecté à votre profil.').waitFor()
      await w.check('catalogue : connecté')
      await screenshot(page, 'catalogue-connecte-sans-js')
    })
    const camilleId = (await t.db('insured_persons').where({ nir: CAMILLE.nir }).first()).id
    const libre = await t.db('catalogue_services').where({ slug: 'freestyle-librelink' }).first()
    expect(await t.services.catalogue.grantedCategories(camilleId, libre.id)).toEqual([{ category: 'mesures', access: 'write' }])
  })

  it('Camille accepte une nouvelle demande de Vidal Ma santé, puis le désynchronise', async () => {
    await session(async (page, w) => {
      await signInAs(page, '/connexion', CAMILLE.login, CAMILLE.password, CAMILLE.email)
      // Vidal Ma santé asks for more since Camille connected it (demo data).
      await page.goto(base + '/catalogue/vidal-ma-sante')
      await page.getByText('Ce service demande de nouvelles autorisations').first().waitFor()
      await page.getByRole('button', { name: 'Voir les nouvelles autorisations' }).click()
      await page.getByRole('heading', { name: 'Ce service demande de nouvelles autorisations' }).waitFor()
      await w.check('catalogue : nouvelles autorisations')
      await page.getByLabel('Consulter : Profil médical (allergies, antécédents)').check()
      await page.getByRole('button', { name: 'Enregistrer mes autorisations' }).click()
      await page.getByText('Vos autorisations sont enregistrées.').waitFor()

      await page.getByRole('button', { name: 'Désynchroniser' }).click()
      await page.getByRole('heading', { name: 'Voulez-vous vraiment désynchroniser Vidal Ma santé ?' }).waitFor()
      await page.getByRole('button', { name: 'Continuer' }).click()
      await w.check('catalogue : désynchroniser sans réponse')
      await page.getByLabel('Oui, désynchroniser').check()
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByText('Le service est désynchronisé').waitFor()
      await w.check('catalogue : désynchronisé')
    })
    const vidal = await t.db('catalogue_services').where({ slug: 'vidal-ma-sante' }).first()
    expect(await t.db('service_connections').where({ service_id: vidal.id, version: 2 }).whereNotNull('ended_at')).toHaveLength(1)
  })

  it('Camille signale un problème puis relit « Mes autorisations »', async () => {
    await session(async (page, w) => {
      await signInAs(page, '/connexion', CAMILLE.login, CAMILLE.password, CAMILLE.email)
      await page.goto(base + '/catalogue/vidal-ma-sante')
      await page.getByRole('link', { name: 'Signaler un problème' }).click()
      await page.getByRole('heading', { name: 'Signaler un problème' }).waitFor()
      await page.getByRole('button', { name: 'Envoyer le signalement' }).click()
      await page.getByText('Choisissez le type de problème').first().waitFor()
      await w.check('catalogue : signalement incomplet')
      await page.getByLabel('Le service ne fonctionne pas').check()
      await page.getByLabel('Décrivez le problème').fill("La synchronisation s'arrête.")
      await page.getByRole('button', { name: 'Envoyer le signalement' }).click()
      await page.getByText('Votre signalement est transmis').waitFor()

      await page.getByRole('link', { name: 'Mes autorisations' }).first().click()
      await page.getByRole('heading', { level: 1, name: 'Mes autorisations' }).waitFor()
      await page.getByText('FreeStyle LibreLink').first().waitFor()
      await w.check('mes autorisations')
      await screenshot(page, 'mes-autorisations-sans-js')
    })
    expect(await t.db('service_reports').where({ reason: 'fonctionnement' })).toHaveLength(1)
  })

  it('Camille consulte ses remboursements, filtre, et les masque aux professionnels ; Louis importe un fichier', async () => {
    await session(async (page, w) => {
      await signInAs(page, '/connexion', CAMILLE.login, CAMILLE.password, CAMILLE.email)
      await page.getByRole('link', { name: 'Mes remboursements' }).first().click()
      await page.getByRole('heading', { level: 1, name: 'Mes remboursements' }).waitFor()
      await w.check('remboursements : liste')
      await page.getByLabel('Type de soins').selectOption('consultation')
      await page.getByRole('button', { name: 'Afficher' }).click()
      await page.getByRole('heading', { level: 1, name: 'Mes remboursements' }).waitFor()
      await w.check('remboursements : filtre')
      await screenshot(page, 'remboursements-sans-js')
      await page.getByLabel('Masquer mes remboursements aux professionnels').check()
      await page.getByRole('button', { name: 'Enregistrer' }).click()
      await page.getByText('Vos remboursements sont masqués aux professionnels de santé.').waitFor()
      await w.check('remboursements : masqués')
    })
    await session(async (page, w) => {
      await signInAs(page, '/back-office/connexion', LOUIS.login, LOUIS.password, LOUIS.email)
      await page.goto(base + '/back-office/remboursements')
      await page.getByRole('heading', { name: 'Importer des remboursements' }).waitFor()
      await w.check('import : formulaire')
      await page.getByRole('button', { name: 'Importer' }).click()
      await page.getByText('Choisissez un fichier CSV à importer').first().waitFor()
      await w.check('import : sans fichier')
      const csv = [
        'reference;nir;date_soins;acte;type_soins;professionnel;montant_paye;montant_rembourse',
        `RB-E2E-0001;${CAMILLE.nir};2026-01-05;Consultation;consultation;Dr Sophie Bernard;30,00;20,00`,
        `RB-E2E-0002;${CAMILLE.nir};2026-01-05;Consultation;inconnu;Dr Sophie Bernard;30,00;20,00`,
      ].join('\n')
      await page
        .getByLabel('Fichier des remboursements')
        .setInputFiles({ name: 'remboursements.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
      await page.getByRole('button', { name: 'Importer' }).click()
      await page.getByRole('heading', { name: "Rapport d'import des remboursements" }).waitFor()
      await page.getByText('type_soins : une de ces valeurs attendue').waitFor()
      await w.check('import : rapport')
    })
    expect(await t.db('reimbursements').where({ reference: 'RB-E2E-0001' }).first()).toBeDefined()
  })
})
