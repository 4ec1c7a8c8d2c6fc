import type { Browser } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { newContext, screenshot, signInThroughPages, watch, fillDate, withAppAndBrowser } from '../helpers/browser'
import { CAMILLE } from '../helpers/demo'
import { isoDate } from '../../src/domain/parisTime'

jest.setTimeout(600_000) // a shared, loaded machine: axe on every page is slow

const inDays = (n: number) => isoDate(new Date(Date.now() + n * 24 * 60 * 60 * 1000))

describe('agenda et prévention sans JavaScript', () => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  it('Camille ajoute un rendez-vous avec un rappel, voit ses recommandations et en ajoute une à son agenda ; ajoute une vaccination', async () => {
    const context = await newContext(browser, false)
    const page = await context.newPage()
    const w = watch(page, { javaScript: false })
    try {
      await signInThroughPages(page, t.db, { url: base + '/connexion', ...CAMILLE })

      await page.getByRole('link', { name: 'Agenda' }).first().click()
      await page.getByRole('heading', { name: 'Agenda', level: 1 }).waitFor()
      await page.getByText('Dr Karim Haddad').waitFor()
      await w.check('agenda')

      // A new appointment, with an error first.
      await page.getByRole('button', { name: 'Ajouter un rendez-vous' }).click()
      await page.getByRole('heading', { name: 'Ajouter un rendez-vous' }).waitFor()
      await w.check('agenda : nouveau')
      await page.getByLabel('Heure (facultatif)').fill('25h')
      await page.getByRole('button', { name: 'Ajouter à mon agenda' }).click()
      await page.locator('.govuk-error-summary').waitFor()
      expect(await page.title()).toBe('Erreur : Ajouter un rendez-vous – Mon espace santé')
      await w.check('agenda : erreurs')
      await page.getByLabel('Titre').fill('Ophtalmologiste')
      await fillDate(page, inDays(14), 'Date')
      await page.getByLabel('Heure (facultatif)').fill('11h15')
      await page.getByLabel('Lieu (facultatif)').fill('Centre de la vision, Paris')
      await page.getByRole('button', { name: 'Ajouter à mon agenda' }).click()
      await page.getByRole('heading', { name: 'Ophtalmologiste' }).waitFor()
      await page.getByText('11 h 15').waitFor()
      await w.check('agenda : rendez-vous')
      // Without JavaScript the conditional date is always shown; «La veille» needs none.
      await page.getByLabel('La veille du rendez-vous').check()
      await page.getByRole('button', { name: 'Ajouter le rappel' }).click()
      await page.getByText('Le rappel est enregistré').waitFor()
      await w.check('agenda : rappel ajouté')
      await screenshot(page, 'agenda-rendez-vous-sans-js')

      // Recommendations → «Ajouter à mon agenda».
      await page.getByRole('link', { name: "Retour à l'agenda" }).click()
      await page.getByRole('link', { name: 'Examens et vaccins recommandés' }).click()
      await page.getByRole('heading', { name: 'Examens et vaccins recommandés' }).waitFor()
      const colon = page.locator('tr', { hasText: 'cancer colorectal' })
      await colon.getByText('À planifier').waitFor()
      await w.check('recommandations')
      await screenshot(page, 'agenda-recommandations-sans-js')
      await colon.getByRole('link', { name: /Ajouter à mon agenda/ }).click()
      await page.getByRole('heading', { name: 'Ajouter un rendez-vous' }).waitFor()
      expect(await page.getByLabel('Titre').inputValue()).toBe('Test de dépistage du cancer colorectal')
      await fillDate(page, inDays(30), 'Date')
      await page.getByRole('button', { name: 'Ajouter à mon agenda' }).click()
      await page.getByRole('heading', { name: 'Test de dépistage du cancer colorectal' }).waitFor()
      const row = await t.db('agenda_events').where({ title: 'Test de dépistage du cancer colorectal' }).first()
      expect(row.prevention_rule).toBe('depistage-colorectal')

      // A vaccination.
      await page.goto(base + '/profil-medical/vaccinations')
      await page.getByRole('heading', { name: 'Vaccinations' }).waitFor()
      await w.check('vaccinations')
      await page.getByRole('button', { name: 'Ajouter une vaccination' }).click()
      await page.getByLabel('Vaccin', { exact: true }).selectOption('ZONA')
      await fillDate(page, inDays(-2), 'Date de vaccination')
      await page.getByLabel('1re dose').check()
      await page.getByLabel('Professionnel ou lieu de vaccination').fill('Pharmacie des Pyrénées')
      await page.getByRole('button', { name: 'Enregistrer' }).click()
      await page.getByText('La vaccination est enregistrée').waitFor()
      await page.getByRole('cell', { name: 'Zona', exact: true }).waitFor()
      await w.check('vaccinations : ajoutée')

      // The private calendar link.
      await page.goto(base + '/agenda/calendrier-prive')
      await w.check('lien privé')
      await page.getByLabel(/Seulement « Rendez-vous »/).check()
      await page.getByRole('button', { name: 'Créer le lien' }).click()
      const url = (await page.locator('#lien-prive').textContent())!
      expect(url).toMatch(/\/calendrier\/[A-Za-z0-9_-]{43}\.ics$/)
      await w.check('lien privé : créé')
    } finally {
      await w.settle()
      await context.close()
    }
    expect(w.problems).toEqual([])
  })
})
