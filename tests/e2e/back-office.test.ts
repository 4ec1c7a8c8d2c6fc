import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { newContext, savedDownload, screenshot, watch, fillDate, withAppAndBrowser } from '../helpers/browser'
import { lastMessage, otpIn } from '../helpers/http'
import { LOUIS } from '../helpers/demo'
import { createPerson } from '../helpers/lifecycle'
import { CSV_HEADER, nirFor } from '../helpers/backoffice'

jest.setTimeout(240_000)

describe('back-office sans JavaScript', () => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  it('un agent importe un fichier, enregistre une opposition reçue par téléphone et consulte les chiffres', async () => {
    const context = await newContext(browser, false)
    const page = await context.newPage()
    const w = watch(page, { javaScript: false })
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-import-'))
    try {
      await page.goto(base + '/back-office')
      await page.getByLabel("Identifiant d'agent").fill(LOUIS.login)
      await page.getByLabel('Mot de passe', { exact: true }).fill(LOUIS.password)
      await page.getByRole('button', { name: 'Se connecter' }).click()
      await page.getByLabel('Code de connexion').fill(otpIn((await lastMessage(t.db, LOUIS.email, 'otp')).body))
      await page.getByRole('button', { name: 'Valider' }).click()
      await page.waitForURL(base + '/back-office')
      await w.check('accueil du back-office')

      // Import: no file first, then a file with one good and one bad line.
      await page.getByRole('link', { name: 'Importer des assurés' }).first().click()
      await page.getByRole('button', { name: 'Importer le fichier' }).click()
      expect(await page.title()).toMatch(/^Erreur : /)
      await w.check('import : sans fichier')
      const file = path.join(dir, 'assures.csv')
      fs.writeFileSync(
        file,
        [
          CSV_HEADER,
          `${nirFor('M', '1979-09-09', 31)};Navigateur;Léon;M;1979-09-09;;2 rue Basse;;59000;Lille;;`,
          `${nirFor('M', '1979-09-09', 32)};;Sans nom;M;1979-09-09;;;;;;;`,
        ].join('\n'),
      )
      await page.getByLabel('Fichier CSV des assurés').setInputFiles(file)
      await page.getByRole('button', { name: 'Importer le fichier' }).click()
      await page.waitForURL(/\/back-office\/import\/\d+$/)
      await w.check('import : résultat')
      expect((await page.locator('main').innerText()).replace(/\s+/g, ' ')).toContain('Lignes refusées 1')
      const download = page.waitForEvent('download')
      await page.getByRole('link', { name: 'Télécharger le rapport des lignes refusées (CSV)' }).click()
      const report = fs.readFileSync(await savedDownload(await download), 'utf8')
      expect(report).toContain('3;nom;Le nom est absent')

      // Phone opposition.
      const p = await createPerson(t.db, { noticeDaysAgo: 7 })
      await page.getByRole('link', { name: 'Opposition par téléphone' }).click()
      await page.getByLabel('Numéro de sécurité sociale').fill(p.nir)
      await fillDate(page, p.birthDate)
      await page.getByLabel('Nom de famille').fill(p.lastName.toUpperCase())
      await page.getByRole('button', { name: 'Rechercher' }).click()
      await page.waitForURL(/confirmation$/)
      await page.getByRole('button', { name: "Enregistrer l'opposition" }).click()
      expect(await page.title()).toMatch(/^Erreur : /)
      await w.check('opposition par téléphone : cases non cochées')
      await page.getByLabel("J'ai vérifié l'identité de la personne").check()
      await page.getByLabel("La personne demande à s'opposer à la création de son profil Mon espace santé").check()
      await page.getByRole('button', { name: "Enregistrer l'opposition" }).click()
      await page.waitForURL(/accuse-de-reception$/)
      await w.check('opposition par téléphone : accusé de réception')
      const reference = (await t.db('spaces').where({ person_id: p.id }).first()).opposition_reference
      expect(await page.locator('h1').innerText()).toContain('Opposition enregistrée')
      expect(await page.locator('main').innerText()).toContain(reference)
      await screenshot(page, 'back-office-opposition-telephone')

      // Figures.
      await page.getByRole('link', { name: 'Chiffres' }).click()
      await page.getByRole('button', { name: 'Mettre à jour les chiffres' }).click()
      await page.waitForURL(base + '/back-office/chiffres')
      await w.check('chiffres')
      expect(await page.getByRole('img', { name: 'Activations de profils par jour, sur les 30 derniers jours' }).count()).toBe(1)
      expect(await page.getByRole('table', { name: 'Chiffres par jour (données du diagramme)' }).count()).toBe(1)
      await screenshot(page, 'back-office-chiffres')
    } finally {
      await w.settle()
      await context.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
    expect(w.problems).toEqual([])
  })
})
