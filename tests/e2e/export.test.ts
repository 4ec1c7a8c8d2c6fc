import fs from 'node:fs'
import type { Browser } from 'playwright-core'
import yauzl from 'yauzl'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { launchBrowser, newContext, screenshot, watch } from '../helpers/browser'
import { lastMessage, otpIn } from '../helpers/http'
import { CAMILLE } from '../helpers/demo'

jest.setTimeout(600_000) // a shared, loaded machine: axe on every page is slow

/** The names of the entries of a ZIP file (read with a real ZIP reader). */
function zipNames(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err)
      const names: string[] = []
      zip.on('entry', (e: yauzl.Entry) => {
        names.push(e.fileName)
        zip.readEntry()
      })
      zip.on('end', () => resolve(names))
      zip.on('error', reject)
      zip.readEntry()
    })
  })
}

describe('« Télécharger mes données » sans JavaScript', () => {
  let t: TestApp
  let base: string
  let browser: Browser
  beforeAll(async () => {
    t = await createTestApp()
    base = await t.listen()
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  it('Camille demande ses données, voit l’état de sa demande, télécharge le ZIP une fois ; ensuite une page claire', async () => {
    const context = await newContext(browser, false)
    const page = await context.newPage()
    const w = watch(page, { javaScript: false })
    try {
      await page.goto(base + '/connexion')
      await page.getByLabel('Identifiant').fill(CAMILLE.login)
      await page.getByLabel('Mot de passe', { exact: true }).fill(CAMILLE.password)
      await page.getByRole('button', { name: 'Se connecter' }).click()
      await page.getByLabel('Code de connexion').fill(otpIn((await lastMessage(t.db, CAMILLE.email, 'otp')).body))
      await page.getByRole('button', { name: 'Valider' }).click()

      await page.goto(base + '/mon-compte')
      await page.getByRole('link', { name: 'Télécharger mes données' }).click()
      await page.getByRole('heading', { name: 'Télécharger mes données', level: 1 }).waitFor()
      await page.getByText('Vous n\'avez pas encore demandé vos données.').waitFor()
      await w.check('export : page')

      await page.getByRole('button', { name: 'Demander mes données' }).click()
      await page.getByText('Votre demande est enregistrée').waitFor()
      await page.locator('#demandes').getByText('Demandé', { exact: true }).waitFor()
      expect(await page.getByRole('button', { name: 'Demander mes données' }).count()).toBe(0)
      await w.check('export : demandé')

      // The job (pg-boss runs it every minute) builds the file.
      expect(await t.services.dataExport.runPending()).toEqual({ built: 1, failed: 0 })
      await page.reload()
      await page.locator('#demandes').getByText('Prêt à télécharger').waitFor()
      await w.check('export : prêt')
      await screenshot(page, 'export-pret-sans-js')

      // A second tab still shows the button (to try the used link afterwards).
      const stale = await context.newPage()
      const w2 = watch(stale, { javaScript: false })
      await stale.goto(base + '/mon-compte/telecharger-mes-donnees')

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /^Télécharger/ }).click()])
      expect(download.suggestedFilename()).toMatch(/^mes-donnees-mon-espace-sante-\d{4}-\d{2}-\d{2}\.zip$/)
      const file = await download.path()
      expect(fs.readFileSync(file).subarray(0, 2).toString('latin1')).toBe('PK')
      const names = await zipNames(file)
      expect(names).toEqual(expect.arrayContaining(['resume.html', 'donnees-fhir.json']))
      expect(names.some((n) => n.startsWith('documents/'))).toBe(true)

      await page.goto(base + '/mon-compte/telecharger-mes-donnees')
      await page.locator('#demandes').getByText('Téléchargé', { exact: true }).waitFor()
      await w.check('export : téléchargé')

      await stale.getByRole('button', { name: /^Télécharger/ }).click()
      await stale.getByRole('heading', { name: 'Ce fichier n’est plus disponible', level: 1 }).waitFor()
      await stale.getByText('déjà été téléchargé').waitFor()
      await w2.check('export : déjà téléchargé')
      await w2.settle()
      w.problems.push(...w2.problems)
    } finally {
      await w.settle()
      await context.close()
    }
    expect(w.problems).toEqual([])
  })
})
