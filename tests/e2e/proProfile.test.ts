import type { Browser, Page } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { newContext, watch, fillDate, withAppAndBrowser } from '../helpers/browser'
import { lastMessage, otpIn } from '../helpers/http'
import { PROS } from '../helpers/demo'

type Watcher = ReturnType<typeof watch>

// Generous: each page is checked by axe-core and html-validate, on a machine shared by several engineers.
jest.setTimeout(480_000)

describe('portail professionnel : profil médical du patient, sans JavaScript', () => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  async function asPro(who: keyof typeof PROS, run: (page: Page, w: Watcher) => Promise<void>) {
    const context = await newContext(browser, false)
    const page = await context.newPage()
    const w = watch(page, { javaScript: false })
    try {
      await page.goto(base + '/pro/connexion')
      await page.getByLabel('Numéro RPPS').fill(PROS[who].login)
      await page.getByLabel('Mot de passe', { exact: true }).fill(PROS[who].password)
      await page.getByRole('button', { name: 'Se connecter' }).click()
      await page.getByLabel('Code de connexion').fill(otpIn((await lastMessage(t.db, PROS[who].email, 'otp')).body))
      await page.getByRole('button', { name: 'Valider' }).click()
      await page.getByRole('link', { name: 'Trouver un patient' }).first().click()
      await page.getByLabel('Numéro de sécurité sociale du patient').fill('2 68 03 75 056 123 63')
      await fillDate(page, '1968-03-14', 'Date de naissance du patient')
      await page.getByLabel('Nom du patient').fill('Martin')
      await page.getByRole('button', { name: 'Rechercher le patient' }).click()
      await page.getByRole('heading', { level: 1, name: 'Camille Martin' }).waitFor()
      await run(page, w)
    } finally {
      await w.settle()
      await context.close()
    }
    expect(w.problems).toEqual([])
  }

  it('Dr Bernard (médecin traitant) consulte le profil médical : toutes les rubriques', async () => {
    await asPro('bernard', async (page, w) => {
      await page.getByRole('link', { name: 'Consulter le profil médical' }).click()
      await page.getByRole('heading', { level: 1, name: 'Profil médical' }).waitFor()
      await w.check('pro : profil médical (médecin traitant)')
      await page.getByText('Pénicilline').first().waitFor()
      expect(await page.locator('#rubriques-non-consultables').count()).toBe(0)
      expect(await page.getByRole('heading', { level: 2, name: 'Entourage et volontés' }).count()).toBe(1)
      await page.getByRole('link', { name: 'Retour au dossier du patient' }).click()
      await page.getByRole('heading', { level: 1, name: 'Camille Martin' }).waitFor()
    })
  })

  it('Julie Moreau (pharmacienne) déclare le consentement : pas de directives anticipées ni d’habitudes de vie', async () => {
    await asPro('moreau', async (page, w) => {
      expect(await page.getByRole('link', { name: 'Consulter le profil médical' }).count()).toBe(0)
      await page.getByLabel('Le patient a donné son consentement').check()
      await page.getByRole('button', { name: 'Accéder au profil' }).click()
      await page.getByRole('link', { name: 'Consulter le profil médical' }).click()
      await page.getByRole('heading', { level: 1, name: 'Profil médical' }).waitFor()
      await w.check('pro : profil médical (pharmacienne)')
      const hidden = await page.locator('#rubriques-non-consultables').innerText()
      expect(hidden).toContain('Directives anticipées')
      expect(hidden).toContain('Habitudes de vie')
      expect(await page.getByRole('heading', { level: 2, name: 'Habitudes de vie' }).count()).toBe(0)
      await page.getByText('Pénicilline').first().waitFor()
    })
  })
})
