import type { Browser, Page } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { browserSession, screenshot, signInThroughPages, withAppAndBrowser, type Watcher } from '../helpers/browser'
import { agent, csrfOf, signIn, submitForm, type Agent } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, PROS } from '../helpers/demo'
import { createAccount } from '../helpers/lifecycle'
import { simplePdf } from '../../src/infrastructure/simplePdf'
import { isoDate } from '../../src/domain/parisTime'

jest.setTimeout(240_000)

/**
 * Issue 15 §2, in a real Chromium with JavaScript off, at 360 px: a result held for a consultation
 * d'annonce leaves no row in the patient's history until its release, then the filing shows, named;
 * a carer reads «aidant» in the banner and on the page, never «représentant légal»; the invitation
 * form offers the delegation's rights. Every page state is checked by axe-core and html-validate.
 */
describe('historique et aidants, sans JavaScript', () => {
  let t: TestApp
  let base: string
  let browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  const session = (run: (page: Page, w: Watcher) => Promise<void>) =>
    browserSession(browser, false, async (page, w) => {
      await page.setViewportSize({ width: 360, height: 640 })
      await run(page, w)
    })
  const camilleSignIn = (page: Page) =>
    signInThroughPages(page, t.db, { url: `${base}/connexion`, login: CAMILLE.login, password: CAMILLE.password, email: CAMILLE.email })

  async function haddadFilesHeldResult(): Promise<{ haddad: Agent; id: string }> {
    const haddad = agent(t.app)
    await signIn(haddad, t.db, 'professional', PROS.haddad.login, PROS.haddad.password)
    const [y, m, d] = DEMO_PERSONS.camille.birth_date.split('-')
    await submitForm(haddad, '/pro/patient', {
      nir: CAMILLE.nir,
      'birthDate-day': String(Number(d)),
      'birthDate-month': String(Number(m)),
      'birthDate-year': y,
      lastName: 'Martin',
    })
    const page = await haddad.get('/pro/patient/deposer')
    const req = haddad.post('/pro/patient/deposer').field('_csrf', csrfOf(page.text))
    const fields = {
      category: 'BIOLOGIE',
      title: 'Biopsie à annoncer',
      held: 'oui',
      'date-day': '1',
      'date-month': '12',
      'date-year': '2026',
    }
    for (const [k, v] of Object.entries(fields)) req.field(k, v)
    expect((await req.attach('file', simplePdf(['Résultat']), 'resultat.pdf')).status).toBe(303)
    const { id } = await t.db('documents').where({ title: 'Biopsie à annoncer' }).first('id')
    expect((await haddad.get(`/pro/patient/documents/${id}`)).status).toBe(200)
    return { haddad, id }
  }

  it('le résultat retenu n’apparaît pas dans l’historique de la patiente avant sa levée, puis son dépôt apparaît, nommé', async () => {
    const { haddad, id } = await haddadFilesHeldResult()
    await session(async (page, w) => {
      await camilleSignIn(page)
      await page.getByRole('link', { name: "Historique d'activité" }).first().click()
      await page.getByRole('link', { name: 'Actions des professionnels et des autres personnes' }).click()
      await page.getByLabel('Période').selectOption('all')
      await page.getByRole('button', { name: 'Afficher' }).click()
      await page.getByRole('table').waitFor()
      expect(await page.locator('main').innerText()).not.toContain('Biopsie à annoncer')
      await w.check('historique, résultat retenu')

      const doc = await haddad.get(`/pro/patient/documents/${id}`)
      expect(
        (
          await haddad
            .post(`/pro/patient/documents/${id}/rendre-visible`)
            .type('form')
            .send({ _csrf: csrfOf(doc.text) })
        ).status,
      ).toBe(303)
      await page.reload()
      const row = page.getByRole('row').filter({ hasText: 'Document ajouté' }).filter({ hasText: 'Biopsie à annoncer' })
      await row.waitFor()
      expect(await row.innerText()).toContain('Concerne : « Biopsie à annoncer » (Résultats de biologie)')
      await w.check('historique, résultat levé')
      // Phone first: nothing wider than the 360 px screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
      await screenshot(page, 'historique-resultat-leve-360')
    })
  })

  it('un aidant lit « aidant » dans le bandeau et sur la page, jamais « représentant légal » ; le formulaire d’invitation propose les droits', async () => {
    const paul = await createAccount(t.db, { firstNames: 'Paul', lastName: 'Aidantnavigateur' })
    const camilleId = (await t.db('insured_persons').where({ nir: CAMILLE.nir }).first()).id
    await t.db('carers').insert({
      person_id: camilleId,
      carer_person_id: paul.id,
      status: 'active',
      invitation_expires_at: new Date(),
      starts_on: isoDate(),
      accepted_at: new Date(),
    })
    await session(async (page, w) => {
      await signInThroughPages(page, t.db, { url: `${base}/connexion`, login: paul.login, password: paul.password, email: paul.email })
      await page.getByRole('link', { name: 'Aidants' }).first().click()
      await page.getByRole('button', { name: 'Agir pour Camille Martin' }).click()
      await page.getByRole('heading', { name: 'Profil de Camille Martin' }).waitFor()
      const banner = await page.locator('#bandeau-profil').innerText()
      expect(banner).toContain("Vous agissez en tant qu'aidant de Camille Martin")
      const main = await page.locator('main').innerText()
      expect(main).toContain('aidant')
      expect(`${banner} ${main}`).not.toMatch(/représentant légal/i)
      expect(main).toContain('Derniers accès des professionnels de santé')
      expect(main).not.toContain("Aucun professionnel de santé n'a consulté ce profil récemment")
      await w.check('accueil de l’aidant')
      await screenshot(page, 'aidant-accueil-360')
    })
    await session(async (page, w) => {
      await camilleSignIn(page)
      await page.goto(`${base}/aidants/inviter`)
      const rights = page.getByRole('group', { name: 'Ce que votre aidant pourra faire' })
      for (const name of ['Consulter', 'Ajouter et modifier', 'Messagerie']) expect(await rights.getByLabel(name).isChecked()).toBe(true)
      await w.check('inviter un aidant')
      for (const name of ['Consulter', 'Ajouter et modifier', 'Messagerie']) await rights.getByLabel(name).uncheck()
      await page.getByRole('button', { name: "Envoyer l'invitation" }).click()
      await page.locator('.govuk-error-summary').waitFor()
      expect(await page.title()).toMatch(/^Erreur : /)
      expect(await page.locator('.govuk-error-summary').innerText()).toContain('Choisissez ce que votre aidant pourra faire')
      await w.check('inviter un aidant, erreurs')
      await screenshot(page, 'aidant-invitation-erreurs-360')
    })
  })
})
