import type { Browser, Page } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { browserSession, fillDate, screenshot, signInThroughPages, withAppAndBrowser } from '../helpers/browser'
import { CAMILLE, NADIA } from '../helpers/demo'
import { isoDate } from '../../src/domain/parisTime'

jest.setTimeout(240_000)

const MIN = 60 * 1000

describe('limites de temps dans le navigateur (issue 16 §3)', () => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  const key = async (page: Page) => {
    const c = (await page.context().cookies()).find((x) => x.name === 'mes_session')
    if (!c) throw new Error('pas de cookie de session')
    return `${t.config.redisPrefix}sess:${decodeURIComponent(c.value).replace(/^s:/, '').split('.')[0]}`
  }
  /** Moves the session's last activity back in time, as if the person had been away. */
  const idleFor = async (page: Page, ms: number) => {
    const k = await key(page)
    const s = JSON.parse((await t.redis!.get(k))!)
    s.lastSeenAt = Date.now() - ms
    await t.redis!.set(k, JSON.stringify(s), { KEEPTTL: true })
  }
  const lastSeenAt = async (page: Page) => JSON.parse((await t.redis!.get(await key(page)))!).lastSeenAt as number
  const camilleSignIn = (page: Page) => signInThroughPages(page, t.db, { url: base + '/connexion', ...CAMILLE })
  const inTwentyDays = isoDate(new Date(Date.now() + 20 * 24 * 60 * MIN))

  it('avec JavaScript : deux minutes avant la limite, une boîte de dialogue accessible propose « Rester connecté »', async () => {
    await browserSession(browser, true, async (page, w) => {
      await page.clock.install()
      await camilleSignIn(page)
      await page.goto(base + '/agenda/nouveau')
      await page.getByLabel('Titre').fill('Ophtalmologiste')
      await page.getByLabel('Titre').focus()
      // 12 minutes: nothing yet.
      await page.clock.fastForward(12 * MIN)
      expect(await page.locator('#avertissement-session').isVisible()).toBe(false)
      // 13 minutes (two before the limit): the dialog, modal, named by its heading, focus inside it.
      await page.clock.fastForward(1 * MIN + 5000)
      const dialog = page.getByRole('dialog', { name: 'Vous allez être déconnecté' })
      await dialog.waitFor()
      expect(await dialog.getAttribute('aria-modal')).toBe('true')
      expect(await dialog.getAttribute('aria-describedby')).toBe('avertissement-session-texte')
      expect(await page.locator('#avertissement-session-texte').innerText()).toMatch(/vous serez déconnecté dans 1 minute \d+ secondes/)
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('rester-connecte')
      // What a screen reader hears (a polite live region, once a minute).
      expect(await page.locator('#avertissement-session-annonce').innerText()).toContain('vous serez déconnecté dans 2 minutes')
      // The page behind is inert: the modal dialog is the only thing reachable.
      await page.keyboard.press('Tab')
      expect(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog')))).toBe(true)
      await w.check('avertissement avant la déconnexion')
      await screenshot(page, 'limite-de-session-avertissement')

      // «Rester connecté»: the server's idle clock starts again (it was 14 minutes old), the dialog closes,
      // focus goes back where it was, what was typed is still there.
      await idleFor(page, 14 * MIN)
      await page.getByRole('button', { name: 'Rester connecté' }).click()
      await dialog.waitFor({ state: 'hidden' })
      expect(await lastSeenAt(page)).toBeGreaterThan(Date.now() - MIN)
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('title')
      expect(await page.getByLabel('Titre').inputValue()).toBe('Ophtalmologiste')

      // Escape is «Rester connecté» too, never a silent sign-out.
      await page.clock.fastForward(13 * MIN + 5000)
      await dialog.waitFor()
      await page.keyboard.press('Escape')
      await dialog.waitFor({ state: 'hidden' })
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('title')

      // Left alone past the limit: the dialog says so, and that the form will be kept.
      await page.clock.fastForward(13 * MIN + 5000)
      await dialog.waitFor()
      await page.clock.fastForward(3 * MIN)
      await page.getByRole('dialog', { name: 'Vous avez été déconnecté' }).waitFor()
      expect(await page.locator('#avertissement-session-texte').innerText()).toContain('ce que vous avez saisi sera gardé')
      await w.check('déconnecté')
    })
  })

  it('la session accompagnée au guichet prévient le citoyen de la même façon, 2 minutes avant ses 5 minutes', async () => {
    await browserSession(browser, true, async (page, w) => {
      await page.clock.install()
      await signInThroughPages(page, t.db, { url: base + '/france-services/connexion', loginLabel: 'Identifiant de conseiller', ...NADIA })
      await page.goto(base + '/france-services/session-accompagnee')
      await page.getByRole('button', { name: "Passer l'ordinateur à la personne" }).click()
      await page.getByRole('heading', { name: 'Bienvenue dans Mon espace santé' }).waitFor()
      await page.getByText('la session accompagnée se termine après 5 minutes sans activité').waitFor()
      await page.clock.fastForward(3 * MIN + 5000)
      const dialog = page.getByRole('dialog', { name: 'La session accompagnée va se terminer' })
      await dialog.waitFor()
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('rester-connecte')
      await w.check('avertissement de la session accompagnée')
      await page.getByRole('button', { name: 'Continuer la session' }).click()
      await dialog.waitFor({ state: 'hidden' })
      expect(await lastSeenAt(page)).toBeGreaterThan(Date.now() - MIN)
    })
  })

  it('sans JavaScript : un rendez-vous envoyé après 15 minutes n’est pas perdu ; après la reconnexion, le formulaire revient rempli', async () => {
    await browserSession(browser, false, async (page, w) => {
      await camilleSignIn(page)
      await page.goto(base + '/agenda/nouveau')
      await page.getByText('vous serez déconnecté après 15 minutes sans activité').waitFor()
      await page.getByLabel('Titre').fill('Ophtalmologiste Dr Nguyen')
      await fillDate(page, inTwentyDays, 'Date')
      await page.getByLabel('Heure (facultatif)').fill('11h45')
      await page.getByLabel('Notes (facultatif)').fill('Apporter les anciennes lunettes')
      await idleFor(page, 16 * MIN)
      await page.getByRole('button', { name: 'Ajouter à mon agenda' }).click()
      await page.getByRole('heading', { name: 'Me connecter' }).waitFor()
      await page.getByText('vous retrouverez le formulaire que vous envoyiez').waitFor()
      await w.check('reconnexion après expiration')
      await screenshot(page, 'limite-de-session-reconnexion')
      await camilleSignIn(page)
      await page.getByRole('heading', { name: 'Ajouter un rendez-vous' }).waitFor()
      await page.getByText('le formulaire est rempli avec ce que vous aviez saisi').waitFor()
      expect(await page.getByLabel('Titre').inputValue()).toBe('Ophtalmologiste Dr Nguyen')
      expect(await page.getByLabel('Heure (facultatif)').inputValue()).toBe('11h45')
      expect(await page.getByLabel('Notes (facultatif)').inputValue()).toBe('Apporter les anciennes lunettes')
      await w.check('formulaire rendu rempli')
      await screenshot(page, 'limite-de-session-formulaire-rendu')
      // She sends it herself.
      await page.getByRole('button', { name: 'Ajouter à mon agenda' }).click()
      await page.getByText('Le rendez-vous est ajouté à votre agenda.').waitFor()
      expect(await t.db('agenda_events').where({ title: 'Ophtalmologiste Dr Nguyen' }).count({ n: '*' }).first()).toEqual({ n: 1 })
    })
  })
})
