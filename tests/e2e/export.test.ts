import fs from 'node:fs'
import type { Browser } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import AxeBuilder from '@axe-core/playwright'
import { newContext, savedDownload, screenshot, validateHtml, watch, withAppAndBrowser } from '../helpers/browser'
import { lastMessage, otpIn } from '../helpers/http'
import { CAMILLE } from '../helpers/demo'
import { unzip } from '../helpers/zip'

jest.setTimeout(600_000) // a shared, loaded machine: axe on every page is slow

describe('« Télécharger mes données » sans JavaScript', () => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

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
      await page.getByText("Vous n'avez pas encore demandé vos données.").waitFor()
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
      const file = await savedDownload(download)
      expect(fs.readFileSync(file).subarray(0, 2).toString('latin1')).toBe('PK')
      const files = await unzip(file)
      const names = [...files.keys()]
      expect(names).toEqual(expect.arrayContaining(['resume.html', 'donnees-fhir.json']))
      expect(names.some((n) => n.startsWith('documents/'))).toBe(true)

      // The summary in the ZIP is itself valid and accessible (html-validate, axe in a page of its own).
      const summary = files.get('resume.html')!.toString('utf8')
      for (const m of await validateHtml(summary)) w.problems.push(`HTML resume.html : ${m}`)
      const axeContext = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true })
      const axePage = await axeContext.newPage()
      await axePage.goto(base + '/health')
      await axePage.setContent(summary, { waitUntil: 'load' })
      const results = await new AxeBuilder({ page: axePage }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze()
      for (const v of results.violations) w.problems.push(`axe resume.html : ${v.id} — ${v.help}`)
      await axeContext.close()

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
