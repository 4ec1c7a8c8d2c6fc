import type { Browser } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { newContext, screenshot, watch, withAppAndBrowser } from '../helpers/browser'
import { lastMessage, otpIn } from '../helpers/http'
import { CAMILLE, PROS } from '../helpers/demo'

const PUBLIC_PAGES = [
  '/',
  '/accessibilite',
  '/mentions-legales',
  '/donnees-personnelles',
  '/plan-du-site',
  '/aide',
  '/connexion',
  '/pro/connexion',
  '/france-services/connexion',
  '/back-office/connexion',
  '/dev/outbox',
  '/page-inconnue',
]

describe.each([
  ['sans JavaScript', false],
  ['avec JavaScript', true],
])('pages du socle %s', (_label, js) => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  it('chaque page publique est accessible (axe), valide (HTML), avec un seul h1', async () => {
    const context = await newContext(browser, js)
    const page = await context.newPage()
    const w = watch(page, { javaScript: js })
    for (const path of PUBLIC_PAGES) {
      await page.goto(base + path)
      await w.check(path)
    }
    await screenshot(page, `socle-accueil-${js ? 'js' : 'sans-js'}`)
    await w.settle()
    await context.close()
    expect(w.problems).toEqual([])
  })

  it('Camille se connecte par les libellés visibles, erreurs comprises', async () => {
    const context = await newContext(browser, js)
    const page = await context.newPage()
    const w = watch(page, { javaScript: js })
    await page.goto(base + '/')
    await page.getByRole('link', { name: 'Me connecter' }).click()
    await page.getByRole('button', { name: 'Se connecter' }).click()
    await w.check('connexion vide')
    expect(await page.title()).toBe('Erreur : Me connecter – Mon espace santé')
    await page.getByLabel('Identifiant').fill(CAMILLE.login)
    await page.getByLabel('Mot de passe', { exact: true }).fill('mauvais mot de passe')
    await page.getByRole('button', { name: 'Se connecter' }).click()
    await w.check('mauvais mot de passe')
    await screenshot(page, `connexion-erreur-${js ? 'js' : 'sans-js'}`)
    await page.getByLabel('Mot de passe', { exact: true }).fill(CAMILLE.password)
    await page.getByRole('button', { name: 'Se connecter' }).click()
    await page.getByRole('heading', { name: 'Saisir le code reçu' }).waitFor()
    await w.check('code')
    await page.getByLabel('Code de connexion').fill('000000')
    await page.getByRole('button', { name: 'Valider' }).click()
    const code = otpIn((await lastMessage(t.db, CAMILLE.email, 'otp')).body)
    if (code !== '000000') {
      await w.check('code faux')
      await page.getByLabel('Code de connexion').fill(code)
      await page.getByRole('button', { name: 'Valider' }).click()
    }
    await page.getByRole('heading', { name: 'Bonjour Camille' }).waitFor()
    await w.check('accueil de l’espace')
    await screenshot(page, `espace-accueil-${js ? 'js' : 'sans-js'}`)
    await page.getByRole('button', { name: 'Se déconnecter' }).click()
    await page.getByText('Vous êtes déconnecté.').waitFor()
    await w.settle()
    await context.close()
    expect(w.problems).toEqual([])
  })

  it('un professionnel se connecte avec son RPPS', async () => {
    const context = await newContext(browser, js)
    const page = await context.newPage()
    const w = watch(page, { javaScript: js })
    await page.goto(base + '/pro/connexion')
    await page.getByLabel('Numéro RPPS').fill(PROS.bernard.login)
    await page.getByLabel('Mot de passe', { exact: true }).fill(PROS.bernard.password)
    await page.getByRole('button', { name: 'Se connecter' }).click()
    await page.getByLabel('Code de connexion').fill(otpIn((await lastMessage(t.db, PROS.bernard.email, 'otp')).body))
    await page.getByRole('button', { name: 'Valider' }).click()
    await page.getByRole('heading', { name: 'Espace professionnel' }).waitFor()
    await w.check('espace professionnel')
    await w.settle()
    await context.close()
    expect(w.problems).toEqual([])
  })
})
