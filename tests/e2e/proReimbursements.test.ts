import type { Browser, Page } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { fillDate, newContext, screenshot, watch, withAppAndBrowser } from '../helpers/browser'
import { lastMessage, otpIn } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, PROS } from '../helpers/demo'
import { formatNir } from '../../src/domain/nir'

type Watcher = ReturnType<typeof watch>

jest.setTimeout(240_000)

/** The professional's view of a patient's reimbursements («Mon histoire de santé»), without JavaScript. */
describe('portail professionnel : remboursements du patient, sans JavaScript', () => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  async function session(run: (page: Page, w: Watcher) => Promise<void>) {
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

  async function signIn(page: Page, url: string, loginLabel: string, login: string, password: string, email: string) {
    await page.goto(base + url)
    await page.getByLabel(loginLabel).fill(login)
    await page.getByLabel('Mot de passe', { exact: true }).fill(password)
    await page.getByRole('button', { name: 'Se connecter' }).click()
    await page.getByLabel('Code de connexion').fill(otpIn((await lastMessage(t.db, email, 'otp')).body))
    await page.getByRole('button', { name: 'Valider' }).click()
  }

  it('le Dr Bernard (médecin traitant) consulte les remboursements de Camille et filtre ; masqués, ils lui sont refusés', async () => {
    await session(async (page, w) => {
      await signIn(page, '/pro/connexion', 'Numéro RPPS', PROS.bernard.login, PROS.bernard.password, PROS.bernard.email)
      await page.getByRole('link', { name: 'Trouver un patient' }).first().click()
      await page.getByLabel('Numéro de sécurité sociale du patient').fill(formatNir(DEMO_PERSONS.camille.nir))
      await fillDate(page, DEMO_PERSONS.camille.birth_date, /Date de naissance/)
      await page.getByLabel('Nom du patient').fill('Martin')
      await page.getByRole('button', { name: 'Rechercher le patient' }).click()
      await page.getByRole('heading', { name: 'Camille Martin', level: 1 }).waitFor()
      await page.getByRole('link', { name: 'Voir les remboursements du patient' }).click()
      await page.getByRole('heading', { name: 'Remboursements du patient', level: 1 }).waitFor()
      await page.getByText('Consultation de cardiologie').waitFor()
      await w.check('pro : remboursements du patient')
      await page.getByLabel('Type de soins').selectOption('consultation')
      await page.getByRole('button', { name: 'Afficher' }).click()
      await page.getByText('Consultation de cardiologie').waitFor()
      expect(await page.getByText('Bilan sanguin').count()).toBe(0)
      await w.check('pro : remboursements filtrés')
      await screenshot(page, 'pro-remboursements-sans-js')
    })
    await session(async (page, w) => {
      await signIn(page, '/connexion', 'Identifiant', CAMILLE.login, CAMILLE.password, CAMILLE.email)
      await page.goto(base + '/remboursements')
      await page.getByLabel('Masquer mes remboursements aux professionnels').check()
      await page.getByRole('button', { name: 'Enregistrer' }).click()
      await page.getByText('Vos remboursements sont masqués aux professionnels de santé.').waitFor()
      await w.check('patiente : remboursements masqués')
    })
    await session(async (page, w) => {
      await signIn(page, '/pro/connexion', 'Numéro RPPS', PROS.bernard.login, PROS.bernard.password, PROS.bernard.email)
      await page.getByRole('link', { name: 'Trouver un patient' }).first().click()
      await page.getByLabel('Numéro de sécurité sociale du patient').fill(formatNir(DEMO_PERSONS.camille.nir))
      await fillDate(page, DEMO_PERSONS.camille.birth_date, /Date de naissance/)
      await page.getByLabel('Nom du patient').fill('Martin')
      await page.getByRole('button', { name: 'Rechercher le patient' }).click()
      await page.getByText('Ce patient a choisi de masquer ses remboursements aux professionnels de santé.').waitFor()
      await w.check('pro : remboursements masqués (profil)')
      await page.goto(base + '/pro/patient/remboursements')
      await page.getByText('vous ne pouvez pas les consulter').waitFor()
      expect(await page.getByText('Consultation de cardiologie').count()).toBe(0)
      await w.check('pro : remboursements refusés')
    })
  })
})
