import type { Browser, Page } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { browserSession, screenshot, signInThroughPages, fillDate, type Watcher, withAppAndBrowser } from '../helpers/browser'
import { CAMILLE } from '../helpers/demo'
import { isoDate } from '../../src/domain/parisTime'

// Generous: each page is checked by axe-core and html-validate, on a machine shared by several engineers.
jest.setTimeout(480_000)

describe('profil médical sans JavaScript', () => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  /**
   * `ignore`: problems of pages that are not this feature's (the documents page's PDF preview, whose
   * <iframe width="100%"> and Chromium's built-in PDF viewer document are reported to the documents feature).
   */
  const session = (run: (page: Page, w: Watcher) => Promise<void>, ignore?: (problem: string) => boolean) =>
    browserSession(
      browser,
      false,
      async (page, w) => {
        await signInThroughPages(page, t.db, { url: base + '/connexion', ...CAMILLE })
        await run(page, w)
      },
      ignore,
    )

  it('Camille ajoute un poids : refusé à 700 kg, puis visible dans le tableau et le graphique SVG', async () => {
    await session(async (page, w) => {
      await page.locator('.govuk-service-navigation').getByRole('link', { name: 'Profil médical' }).click()
      await page.getByRole('heading', { level: 1, name: 'Profil médical' }).waitFor()
      await w.check('profil : accueil')
      await page.getByRole('link', { name: 'Voir et ajouter Poids' }).click()
      await page.getByRole('heading', { level: 1, name: 'Poids' }).waitFor()
      await w.check('mesure : poids')
      await page.getByLabel('Poids (kg)').fill('700')
      await fillDate(page, isoDate(), 'Date de la mesure')
      await page.getByRole('button', { name: 'Ajouter la mesure' }).click()
      expect(await page.title()).toBe('Erreur : Poids – Mon espace santé')
      await page.locator('.govuk-error-summary').getByRole('link', { name: 'La valeur doit être comprise entre 0,3 et 350 kg' }).waitFor()
      expect(await page.getByLabel('Poids (kg)').inputValue()).toBe('700')
      await w.check('mesure : poids, erreur')
      await page.getByLabel('Poids (kg)').fill('62,4')
      await page.getByRole('button', { name: 'Ajouter la mesure' }).click()
      await page.getByText('La mesure est enregistrée.').waitFor()
      expect(await page.locator('#valeurs tbody tr').first().innerText()).toContain('62,4 kg')
      const chart = page.getByRole('img', { name: /Poids : évolution/ })
      expect(await chart.locator('circle').count()).toBe(6)
      expect(await chart.locator('desc').textContent()).toContain('dernière valeur 62,4 kg')
      await w.check('mesure : poids ajouté')
      await screenshot(page, 'profil-mesure-poids')
    })
  })

  it('Camille ajoute puis supprime une allergie', async () => {
    await session(async (page, w) => {
      await page.goto(base + '/profil-medical/allergies')
      await page.getByRole('button', { name: 'Ajouter une allergie' }).click()
      await w.check('allergie : formulaire')
      await page.getByRole('button', { name: 'Enregistrer' }).click()
      expect(await page.title()).toBe('Erreur : Ajouter une allergie – Mon espace santé')
      await w.check('allergie : erreur')
      await page.getByLabel('Allergie ou intolérance').fill('Arachide')
      await page.getByRole('button', { name: 'Enregistrer' }).click()
      await page.getByRole('heading', { level: 2, name: 'Arachide' }).waitFor()
      await w.check('allergies : liste')
      await page.getByRole('link', { name: 'Supprimer « Arachide »' }).click()
      await w.check('allergie : confirmation')
      await page.getByRole('button', { name: 'Oui, supprimer' }).click()
      await page.getByText('La suppression est faite.').waitFor()
      expect(await page.getByRole('heading', { level: 2, name: 'Arachide' }).count()).toBe(0)
    })
  })

  it('chaque rubrique passe axe-core et html-validate', async () => {
    await session(async (page, w) => {
      for (const path of [
        'maladies-et-sujets-de-sante',
        'traitements',
        'traitements/ajouter',
        'groupe-sanguin',
        'don-d-organes',
        'entourage',
        'entourage/contact-urgence/ajouter',
        'mesures',
        'mesures/tension',
        'habitudes-de-vie',
        'bilan-prevention',
        'synthese',
      ]) {
        await page.goto(`${base}/profil-medical/${path}`)
        await w.check(`profil : ${path}`)
      }
    })
  })

  it('Camille rédige ses directives anticipées puis crée la synthèse : les deux PDF sont dans ses documents', async () => {
    await session(
      async (page, w) => {
        await page.goto(base + '/profil-medical/directives-anticipees')
        await w.check('directives : formulaire')
        await page.getByRole('button', { name: 'Enregistrer mes directives anticipées' }).click()
        expect(await page.title()).toMatch(/^Erreur : /)
        await w.check('directives : erreur')
        await page.getByLabel('alors que je suis en bonne santé').check()
        await page.getByLabel(/Si je ne peux plus m’exprimer/).fill('Je refuse l’acharnement thérapeutique.')
        await page.getByRole('button', { name: 'Enregistrer mes directives anticipées' }).click()
        await page.locator('#directives-actuelles').waitFor()
        await w.check('directives : enregistrées')

        await page.goto(base + '/profil-medical/synthese')
        await page.getByRole('button', { name: 'Créer la synthèse' }).click()
        await page.getByRole('heading', { level: 1, name: 'Synthèse du profil médical' }).waitFor()
        expect(new URL(page.url()).pathname).toMatch(/^\/documents\/[0-9a-f-]{36}$/)
        await w.check('synthèse : document')
        await page.goto(base + '/documents')
        await page
          .getByRole('link', { name: /Synthèse du profil médical/ })
          .first()
          .waitFor()
        await page
          .getByRole('link', { name: /Directives anticipées/ })
          .first()
          .waitFor()
        await w.check('documents')
      },
      (p) =>
        p.startsWith('HTML /index.html') ||
        /^HTML \/documents\/[0-9a-f-]{36} : attribute-allowed-values .*"width" has invalid value "100%"/.test(p),
    )
  })
})
