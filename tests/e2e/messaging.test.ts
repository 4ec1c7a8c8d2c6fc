import type { Browser, Page } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { browserSession, screenshot, signInThroughPages, type Watcher, withAppAndBrowser } from '../helpers/browser'
import { CAMILLE, DEMO_PERSONS, PROS } from '../helpers/demo'
import { createAccount } from '../helpers/lifecycle'
import { formatNir } from '../../src/domain/nir'
import { simplePdf } from '../../src/infrastructure/simplePdf'

jest.setTimeout(240_000)

describe.each([
  ['sans JavaScript', false],
  ['avec JavaScript', true],
])('messagerie %s', (_label, js) => {
  let t: TestApp, base: string, browser: Browser
  const tag = js ? 'js' : 'sans-js'
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  const session = (run: (page: Page, w: Watcher) => Promise<void>) => browserSession(browser, js, run)

  const signInAs = (page: Page, url: string, loginLabel: string, login: string, password: string, email: string) =>
    signInThroughPages(page, t.db, { url: base + url, loginLabel, login, password, email })

  it('Camille lit le message non lu du Dr Haddad et répond ; la limite de longueur donne une erreur', async () => {
    await session(async (page, w) => {
      await signInAs(page, '/connexion', 'Identifiant', CAMILLE.login, CAMILLE.password, CAMILLE.email)
      await page.getByRole('heading', { level: 1 }).first().waitFor()
      const nav = page.getByRole('link', { name: 'Messagerie (1 message non lu)' })
      await nav.waitFor()
      await nav.click()
      await page.getByRole('heading', { name: 'Messagerie', level: 1 }).waitFor()
      await w.check('messagerie : boîte de réception')
      await page.getByRole('link', { name: 'Résultats de votre holter' }).click()
      await page.getByRole('heading', { name: 'Résultats de votre holter', level: 1 }).waitFor()
      await w.check('messagerie : conversation')
      await page.getByRole('link', { name: 'Messagerie', exact: true }).waitFor()
      const box = page.getByLabel('Votre message')
      if (js) {
        await box.fill('a'.repeat(5002))
        await page.getByText('Vous avez 2 caractères en trop').first().waitFor()
      } else {
        await box.fill('a'.repeat(5002))
      }
      await page.getByRole('button', { name: 'Envoyer le message' }).click()
      await page.getByRole('heading', { name: 'Il y a un problème' }).waitFor()
      expect(await page.title()).toBe('Erreur : Résultats de votre holter – Mon espace santé')
      await w.check('messagerie : message trop long')
      await screenshot(page, `messagerie-trop-long-${tag}`)
      await page.getByLabel('Votre message').fill('Merci Docteur, bonne nouvelle.')
      await page.getByRole('button', { name: 'Envoyer le message' }).click()
      await page.getByText('Votre message a été envoyé.').waitFor()
      await page.getByText('Merci Docteur, bonne nouvelle.').waitFor()
      await w.check('messagerie : réponse envoyée')
      await page.goto(base + '/messagerie')
      await page.getByRole('link', { name: 'Renouvellement de votre ordonnance' }).click()
      await page.getByText('a clôturé cette conversation').waitFor()
      expect(await page.getByLabel('Votre message').count()).toBe(0)
      await w.check('messagerie : conversation close')
    })
  })

  it('le Dr Haddad écrit à Camille avec une pièce jointe ; elle l’enregistre dans ses documents', async () => {
    await session(async (page, w) => {
      await signInAs(page, '/pro/connexion', 'Numéro RPPS', PROS.haddad.login, PROS.haddad.password, PROS.haddad.email)
      await page
        .getByRole('link', { name: /^Messagerie/ })
        .first()
        .click()
      await page.getByRole('heading', { name: 'Messagerie', level: 1 }).waitFor()
      await w.check('pro : messagerie')
      await page.getByRole('button', { name: 'Écrire à un patient' }).click()
      await page.getByRole('heading', { name: 'Écrire à un patient' }).waitFor()
      await w.check('pro : écrire à un patient')
      await page.getByRole('button', { name: 'Envoyer le message' }).click()
      await page.getByRole('heading', { name: 'Il y a un problème' }).waitFor()
      await w.check('pro : erreurs')
      await page.getByLabel('Numéro de sécurité sociale du patient').fill(formatNir(DEMO_PERSONS.camille.nir))
      const [y, m, d] = DEMO_PERSONS.camille.birth_date.split('-')
      const group = page.getByRole('group', { name: 'Date de naissance du patient' })
      await group.getByLabel('Jour').fill(String(Number(d)))
      await group.getByLabel('Mois').fill(String(Number(m)))
      await group.getByLabel('Année').fill(y)
      await page.getByLabel('Nom de famille du patient').fill('Martin')
      await page.getByLabel('Objet du message').fill('Compte rendu de votre échographie')
      await page.getByLabel('Message', { exact: true }).fill('Bonjour, voici le compte rendu. Bien cordialement.')
      await page
        .locator('input[type="file"]')
        .setInputFiles({ name: 'echographie.pdf', mimeType: 'application/pdf', buffer: simplePdf(['Echographie cardiaque normale']) })
      await page.getByRole('button', { name: 'Envoyer le message' }).click()
      await page.getByText('Votre message a été envoyé à Camille Martin.').waitFor()
      await w.check('pro : conversation envoyée')
      await screenshot(page, `messagerie-pro-${tag}`)
    })
    await session(async (page, w) => {
      await signInAs(page, '/connexion', 'Identifiant', CAMILLE.login, CAMILLE.password, CAMILLE.email)
      await page.goto(base + '/messagerie')
      await page.getByRole('link', { name: 'Compte rendu de votre échographie' }).click()
      await page.getByRole('link', { name: /echographie\.pdf/ }).waitFor()
      await page.getByRole('button', { name: /Enregistrer dans mes documents/ }).click()
      await page.getByText('La pièce jointe a été enregistrée dans vos documents').waitFor()
      await w.check('messagerie : pièce jointe enregistrée')
      // (The document page itself is the documents feature's, tested there.)
      const href = await page.getByRole('link', { name: /Voir dans mes documents/ }).getAttribute('href')
      expect(href).toMatch(/^\/documents\/[0-9a-f-]{36}$/)
    })
  })
  // The carer path is a patient-side page like the others: checked without JavaScript only.
  if (!js)
    it('un aidant lit et répond pour Camille, sans pouvoir télécharger la pièce jointe', async () => {
      const camilleId = (await t.db('insured_persons').where({ nir: DEMO_PERSONS.camille.nir }).first()).id
      const paul = await createAccount(t.db, { firstNames: 'Paul', lastName: 'Aidante2e' })
      await t.db('carers').insert({
        person_id: camilleId,
        carer_person_id: paul.id,
        status: 'active',
        invitation_expires_at: new Date(),
        starts_on: '2026-01-01',
        accepted_at: new Date(),
      })
      await session(async (page, w) => {
        await signInAs(page, '/connexion', 'Identifiant', paul.login, paul.password, paul.email)
        await page.getByRole('heading', { level: 1 }).first().waitFor()
        await page.goto(base + '/aidants')
        await page.getByRole('button', { name: 'Agir pour Camille Martin' }).click()
        await page.getByText("Vous agissez en tant qu'aidant de Camille Martin").first().waitFor()
        await page
          .getByRole('link', { name: /^Messagerie/ })
          .first()
          .click()
        await page.getByRole('heading', { name: 'Messagerie', level: 1 }).waitFor()
        await w.check('aidant : messagerie de Camille')
        await page.getByRole('link', { name: 'Compte rendu de votre échographie' }).click()
        await page.getByRole('heading', { name: 'Compte rendu de votre échographie', level: 1 }).waitFor()
        await page.getByText("En tant qu'aidant, vous ne pouvez pas télécharger les pièces jointes.").waitFor()
        expect(await page.locator('a[href*="/pieces-jointes/"]').count()).toBe(0)
        await w.check('aidant : conversation sans téléchargement')
        await page.getByLabel('Votre message').fill('Bien reçu pour Camille, merci.')
        await page.getByRole('button', { name: 'Envoyer le message' }).click()
        await page.getByText('Votre message a été envoyé.').waitFor()
        await page.getByText('Paul Aidante2e, aidant de Camille Martin').first().waitFor()
        await w.check('aidant : réponse envoyée')
        await screenshot(page, 'messagerie-aidant-sans-js')
      })
    })
})
