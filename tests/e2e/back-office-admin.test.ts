import type { Browser } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { newContext, screenshot, watch, withAppAndBrowser } from '../helpers/browser'
import { lastMessage, otpIn } from '../helpers/http'
import { LOUIS } from '../helpers/demo'

jest.setTimeout(240_000)

describe("back-office sans JavaScript : matrice d'accès et catalogue de services", () => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  it('un opérateur ouvre une catégorie aux pharmaciens, ajoute un service, le publie puis le retire', async () => {
    const context = await newContext(browser, false)
    const page = await context.newPage()
    const w = watch(page, { javaScript: false })
    try {
      await page.goto(base + '/back-office')
      await page.getByLabel("Identifiant d'agent").fill(LOUIS.login)
      await page.getByLabel('Mot de passe', { exact: true }).fill(LOUIS.password)
      await page.getByRole('button', { name: 'Se connecter' }).click()
      await page.getByLabel('Code de connexion').fill(otpIn((await lastMessage(t.db, LOUIS.email, 'otp')).body))
      await page.getByRole('button', { name: 'Valider' }).click()
      await page.waitForURL(base + '/back-office')

      // «Matrice d'accès».
      await page.locator('main').getByRole('link', { name: "Matrice d'accès" }).click()
      await page.waitForURL(base + '/back-office/matrice-acces')
      await w.check("matrice d'accès")
      const table = page.getByRole('table', { name: 'Catégories de documents consultables, par profession' })
      expect(await table.count()).toBe(1)
      expect(await table.getByRole('rowheader').allInnerTexts()).toContain('Pharmacien')
      await screenshot(page, 'back-office-matrice')
      await page.getByRole('link', { name: 'Modifier les accès : Pharmacien' }).click()
      await page.waitForURL(/\/matrice-acces\/PHARMACIEN$/)
      await w.check('matrice : pharmacien')
      await page.getByLabel('Pièces administratives').check()
      await page.getByRole('button', { name: 'Enregistrer les accès' }).click()
      expect(await page.title()).toMatch(/^Erreur : /)
      await w.check('matrice : motif manquant')
      expect(await page.getByLabel('Pièces administratives').isChecked()).toBe(true)
      await page.getByRole('link', { name: 'Saisissez le motif de la modification' }).click()
      await page.getByLabel('Motif de la modification').fill('Décision n° 2026-17')
      await page.getByRole('button', { name: 'Enregistrer les accès' }).click()
      await page.waitForURL(base + '/back-office/matrice-acces')
      await w.check('matrice : enregistrée')
      expect(await page.locator('main').innerText()).toContain('Ajouté : Pièces administratives')
      expect((await t.db('access_matrix').where({ profession: 'PHARMACIEN', category: 'DOC_ADM' }).first()).can_read).toBe(true)

      // «Catalogue de services».
      await page.getByRole('navigation').getByRole('link', { name: 'Catalogue de services' }).click()
      await page.waitForURL(base + '/back-office/catalogue')
      await w.check('catalogue')
      expect(await page.getByRole('table', { name: /Services du catalogue/ }).count()).toBe(1)
      await page.getByRole('button', { name: 'Ajouter un service' }).click()
      await page.waitForURL(base + '/back-office/catalogue/nouveau')
      await w.check('catalogue : ajout')
      await page.getByLabel('Nom du service').fill('Tensio Suivi')
      await page.getByRole('button', { name: 'Enregistrer le service' }).click()
      expect(await page.title()).toMatch(/^Erreur : /)
      await w.check('catalogue : ajout avec erreurs')
      expect(await page.locator('.govuk-error-summary li').count()).toBe(4)
      expect(await page.getByLabel('Nom du service').inputValue()).toBe('Tensio Suivi')
      await page.getByLabel('Éditeur').fill('Tensio SAS')
      await page.getByLabel('Catégorie').selectOption({ label: 'Suivi de maladie' })
      await page.getByLabel('Description').fill('Carnet de tension artérielle.')
      await page.getByLabel('Consulter : Mesures (poids, tension, glycémie…)').check()
      await page.getByRole('button', { name: 'Enregistrer le service' }).click()
      await page.waitForURL(/\/back-office\/catalogue\/[0-9a-f-]{36}$/)
      await w.check('catalogue : service en brouillon')
      expect(await page.locator('main').innerText()).toContain('Brouillon (non publié)')
      await page.getByRole('button', { name: 'Publier le service' }).click()
      await w.check('catalogue : service publié')
      expect(await page.locator('main').innerText()).toContain('Le service est publié')
      await page.getByRole('button', { name: 'Modifier le service' }).click()
      await w.check('catalogue : modification')
      await page.getByLabel('Ajouter ou modifier : Mesures (poids, tension, glycémie…)').check()
      await page.getByRole('button', { name: 'Enregistrer le service' }).click()
      await page.waitForURL(/\/back-office\/catalogue\/[0-9a-f-]{36}$/)
      expect(await page.locator('main').innerText()).toContain('version 2')
      await page.getByRole('button', { name: 'Retirer le service du catalogue' }).click()
      await w.check('catalogue : service retiré')
      expect(await page.locator('main').innerText()).toContain('Retiré du catalogue')
      await screenshot(page, 'back-office-catalogue-service')
    } finally {
      await w.settle()
      await context.close()
    }
    expect(w.problems).toEqual([])
  })
})
