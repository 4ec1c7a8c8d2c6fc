import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { browserSession, launchBrowser, screenshot, signInThroughPages, type Watcher } from '../helpers/browser'
import { CAMILLE, PROS } from '../helpers/demo'
import { simplePdf } from '../../src/infrastructure/simplePdf'

// Long journeys on a shared, loaded machine.
jest.setTimeout(480_000)

async function fillDate(page: Page, legend: string, d: string, m: string, y: string) {
  const group = page.getByRole('group', { name: legend })
  await group.getByLabel('Jour').fill(d)
  await group.getByLabel('Mois').fill(m)
  await group.getByLabel('Année').fill(y)
}

describe.each([
  ['sans JavaScript', false],
  ['avec JavaScript', true],
])('documents et professionnels %s', (_label, js) => {
  let t: TestApp
  let base: string
  let browser: Browser
  let dir: string
  const tag = js ? 'js' : 'sans-js'
  beforeAll(async () => {
    t = await createTestApp()
    base = await t.listen()
    browser = await launchBrowser()
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-docs-'))
    fs.writeFileSync(path.join(dir, 'compte-rendu.pdf'), simplePdf(['Compte rendu', 'Tout va bien.']))
    fs.writeFileSync(path.join(dir, 'faux.pdf'), Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'))
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  const session = (run: (page: Page, w: Watcher) => Promise<void>) => browserSession(browser, js, run)

  const signIn = (page: Page, url: string, loginLabel: string, login: string, password: string, email: string) =>
    signInThroughPages(page, t.db, { url: base + url, loginLabel, login, password, email })

  it('Camille ajoute un document (erreurs comprises), le masque, le supprime', async () => {
    await session(async (page, w) => {
      await signIn(page, '/connexion', 'Identifiant', CAMILLE.login, CAMILLE.password, CAMILLE.email)
      await page.getByRole('heading', { name: 'Derniers accès des professionnels de santé' }).waitFor()
      await w.check('accueil')
      await page.getByRole('link', { name: 'Mes documents' }).first().click()
      await page.getByRole('heading', { name: 'Mes documents' }).waitFor()
      await w.check('mes documents')
      await page.getByLabel('Ajouté par').selectOption('professionnels')
      await page.getByRole('button', { name: 'Afficher' }).click()
      await page.getByRole('link', { name: 'Ordonnance de renouvellement' }).waitFor()
      await page.getByRole('button', { name: 'Ajouter un document' }).click()
      await page.getByRole('heading', { name: 'Ajouter un document' }).waitFor()
      await w.check('ajouter')
      await page.getByLabel('Titre du document').fill('Compte rendu du kiné')
      await page.getByLabel('Catégorie').selectOption('CPT_REND')
      await fillDate(page, 'Date du document', '2', '10', '2026')
      if (js) {
        // The govuk-frontend file upload enhancement, in French.
        await page.locator('.govuk-file-upload-button').waitFor()
        expect(await page.locator('.govuk-file-upload-button__status').innerText()).toBe('Aucun fichier choisi')
        expect(await page.locator('.govuk-file-upload-button__pseudo-button').innerText()).toBe('Choisir un fichier')
      }
      await page.locator('input[type=file]').setInputFiles(path.join(dir, 'faux.pdf'))
      if (js) await page.locator('.govuk-file-upload-button__status', { hasText: 'faux.pdf' }).waitFor()
      await page.getByRole('button', { name: 'Ajouter le document' }).click()
      await page.getByText('Le fichier doit être un PDF').first().waitFor()
      expect(await page.title()).toBe('Erreur : Ajouter un document – Mon espace santé')
      await w.check('ajouter : erreur')
      await screenshot(page, `document-erreur-${tag}`)
      await page.locator('input[type=file]').setInputFiles(path.join(dir, 'compte-rendu.pdf'))
      if (js) {
        await page.locator('.govuk-file-upload-button__status', { hasText: 'compte-rendu.pdf' }).waitFor()
        await w.check('ajouter : fichier choisi')
      }
      await page.getByRole('button', { name: 'Ajouter le document' }).click()
      await page.getByRole('heading', { name: 'Compte rendu du kiné' }).waitFor()
      await w.check('document')
      await page.getByRole('button', { name: 'Masquer ce document aux professionnels de santé' }).click()
      await page.getByText('Ce document est masqué. Le voient encore').waitFor()
      await w.check('document masqué')
      await page.getByRole('link', { name: 'Supprimer ce document' }).click()
      await page.getByRole('button', { name: 'Supprimer le document' }).click()
      await page.getByText('Cochez la case pour confirmer la suppression').first().waitFor()
      await w.check('supprimer : erreur')
      await page.getByLabel('Je confirme vouloir supprimer ce document').check()
      await page.getByRole('button', { name: 'Supprimer le document' }).click()
      await page.getByRole('heading', { name: 'Mes documents' }).waitFor()
    })
  })

  it('Camille ajoute un professionnel et consulte son historique', async () => {
    await session(async (page, w) => {
      await signIn(page, '/connexion', 'Identifiant', CAMILLE.login, CAMILLE.password, CAMILLE.email)
      await page.getByRole('link', { name: 'Mes professionnels de santé' }).first().click()
      await page.getByRole('heading', { name: 'Mes professionnels de santé' }).waitFor()
      await w.check('mes professionnels')
      await page.getByRole('link', { name: 'Ajouter ou bloquer un professionnel de santé' }).click()
      await page.getByLabel('Nom ou numéro RPPS').fill('Girard')
      await page.getByRole('button', { name: 'Rechercher' }).click()
      await page.getByText('Thomas Girard', { exact: true }).waitFor()
      await w.check('recherche de professionnel')
      await page.getByRole('button', { name: /Ajouter à mes professionnels/ }).click()
      await page.getByText('Thomas Girard est ajouté à vos professionnels de santé').waitFor()
      await page.getByRole('link', { name: "Historique d'activité" }).first().click()
      await page.getByRole('heading', { name: "Historique d'activité" }).waitFor()
      await w.check('historique')
      await page.getByRole('link', { name: 'Actions des professionnels et des autres personnes' }).click()
      await page.getByText('Dr Karim Haddad').first().waitFor()
      await w.check('historique : autres')
    })
  })

  it('Julie Moreau trouve Camille, déclare son consentement, dépose un document', async () => {
    await session(async (page, w) => {
      await signIn(page, '/pro/connexion', 'Numéro RPPS', PROS.moreau.login, PROS.moreau.password, PROS.moreau.email)
      await page.getByRole('link', { name: 'Trouver un patient' }).first().click()
      await page.getByRole('heading', { name: 'Trouver un patient' }).waitFor()
      await w.check('trouver un patient')
      await page.getByLabel('Numéro de sécurité sociale du patient').fill('2 68 03 75 056 123 63')
      await fillDate(page, 'Date de naissance du patient', '14', '3', '1968')
      await page.getByLabel('Nom du patient').fill('Durand')
      await page.getByRole('button', { name: 'Rechercher le patient' }).click()
      await page.getByText('Aucun patient ne correspond').first().waitFor()
      await w.check('trouver : erreur')
      await page.getByLabel('Nom du patient').fill('Martin')
      await page.getByRole('button', { name: 'Rechercher le patient' }).click()
      await page.getByRole('heading', { name: 'Camille Martin' }).waitFor()
      await w.check('patient sans accès')
      await page.getByLabel('Le patient a donné son consentement').check()
      await page.getByRole('button', { name: 'Accéder au profil' }).click()
      await page.getByRole('link', { name: 'Ordonnance de renouvellement' }).waitFor()
      await w.check('patient avec accès')
      await page.getByRole('link', { name: 'Ordonnance de renouvellement' }).click()
      await page.getByRole('heading', { name: 'Ordonnance de renouvellement' }).waitFor()
      await w.check('document côté professionnel')
      await page.getByRole('link', { name: 'Retour' }).click()
      await page.getByRole('link', { name: 'Déposer un document dans le profil de ce patient' }).click()
      await page.getByLabel('Titre du document').fill('Délivrance de médicaments')
      await page.getByLabel('Catégorie').selectOption('ORD_SOIN')
      await fillDate(page, 'Date du document', '20', '11', '2026')
      await page.locator('input[type=file]').setInputFiles(path.join(dir, 'compte-rendu.pdf'))
      await w.check('déposer')
      await page.getByRole('button', { name: 'Déposer le document' }).click()
      await page.getByText('Le document a été déposé dans le profil du patient.').waitFor()
      await screenshot(page, `pro-patient-${tag}`)
    })
  })

  it('Dr Bernard, administrateur du profil de Camille, bloque Julie Moreau', async () => {
    await session(async (page, w) => {
      await signIn(page, '/pro/connexion', 'Numéro RPPS', PROS.bernard.login, PROS.bernard.password, PROS.bernard.email)
      await page.getByRole('link', { name: 'Trouver un patient' }).first().click()
      await page.getByLabel('Numéro de sécurité sociale du patient').fill('2 68 03 75 056 123 63')
      await fillDate(page, 'Date de naissance du patient', '14', '3', '1968')
      await page.getByLabel('Nom du patient').fill('Martin')
      await page.getByRole('button', { name: 'Rechercher le patient' }).click()
      await page.getByRole('link', { name: 'Bloquer un professionnel de santé pour ce patient' }).click()
      await page.getByRole('heading', { name: 'Bloquer un professionnel de santé' }).waitFor()
      await w.check('bloquer')
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByText('Saisissez le numéro RPPS du professionnel à bloquer').first().waitFor()
      await w.check('bloquer : erreur')
      await page.getByLabel('Numéro RPPS du professionnel').fill(PROS.moreau.login)
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByRole('heading', { name: 'Confirmer le blocage' }).waitFor()
      await w.check('bloquer : confirmation')
      await page.getByRole('button', { name: 'Bloquer ce professionnel' }).click()
      await page.getByText('Julie Moreau n’a plus accès au profil de ce patient').waitFor()
      await w.check('bloquer : fait')
    })
  })
})
