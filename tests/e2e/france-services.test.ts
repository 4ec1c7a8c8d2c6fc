import type { Browser, Page } from 'playwright-core'
import type { TestApp } from '../helpers/testApp'
import { browserSession, screenshot, signInThroughPages, fillDate, type Watcher, withAppAndBrowser } from '../helpers/browser'
import { lastMessage, otpIn } from '../helpers/http'
import { CAMILLE, DEMO_PERSONS, NADIA } from '../helpers/demo'
import { createAccount } from '../helpers/lifecycle'

jest.setTimeout(240_000)

const JEAN = DEMO_PERSONS.jean

describe('France Services sans JavaScript', () => {
  let t: TestApp, base: string, browser: Browser
  withAppAndBrowser((s) => ({ t, base, browser } = s))

  const session = (run: (page: Page, w: Watcher) => Promise<void>) => browserSession(browser, false, run)

  async function agentSignIn(page: Page, w: Watcher) {
    await signInThroughPages(page, t.db, { url: base + '/france-services/connexion', loginLabel: 'Identifiant de conseiller', ...NADIA })
    await page.getByRole('heading', { name: 'Espace France Services' }).waitFor()
    await page.getByText('Votre structure : France Services Montreuil').waitFor()
    await w.check('accueil du conseiller')
  }

  async function identifyJean(page: Page, w: Watcher) {
    await page.getByRole('link', { name: 'Accompagner une personne' }).first().click()
    await page.getByRole('heading', { name: 'Accompagner une personne' }).waitFor()
    await w.check('identification')
    await page.getByLabel('Numéro de sécurité sociale de la personne').fill(JEAN.nir)
    await fillDate(page, JEAN.birth_date)
    await page.getByLabel('Nom de naissance').fill('Dupont')
    await page.getByRole('button', { name: 'Rechercher le profil' }).click()
    // The attestation is required.
    await page.getByText('Cochez la case pour attester').first().waitFor()
    expect(await page.title()).toBe('Erreur : Accompagner une personne – Mon espace santé')
    await w.check('identification sans attestation')
    await page.getByLabel("J'atteste avoir vérifié la pièce d'identité de la personne, qui est présente").check()
    await page.getByRole('button', { name: 'Rechercher le profil' }).click()
    await page.getByRole('heading', { name: 'Jean Dupont' }).waitFor()
    await w.check('situation de Jean')
  }

  it('Nadia accompagne Jean Dupont : elle consulte sa situation, ne change rien, puis lui fait envoyer un nouveau code', async () => {
    await session(async (page, w) => {
      await agentSignIn(page, w)
      await identifyJean(page, w)
      await page.getByText('Information envoyée, profil pas encore activé').waitFor()
      expect(await page.locator('main').textContent()).not.toContain(JEAN.email)
      await screenshot(page, 'france-services-situation')
      // The opposition page, then back without recording anything.
      await page.getByRole('link', { name: "Enregistrer l'opposition de la personne" }).click()
      await page.getByRole('button', { name: "Enregistrer l'opposition" }).click()
      await w.check('opposition sans confirmation')
      await page.getByRole('link', { name: 'Retour' }).click()
      await page.getByRole('heading', { name: 'Jean Dupont' }).waitFor()
      const person = await t.db('insured_persons').where({ nir: JEAN.nir }).first()
      expect((await t.db('spaces').where({ person_id: person.id }).first()).state).toBe('notified')
      await page.getByRole('button', { name: 'Envoyer un nouveau code' }).click()
      await page.getByRole('heading', { name: /Nouveau code envoyé/ }).waitFor()
      await w.check('récépissé')
      await page.emulateMedia({ media: 'print' })
      expect(await page.locator('.govuk-footer').isVisible()).toBe(false)
      expect(await page.locator('.govuk-service-navigation').isVisible()).toBe(false)
      expect(await page.getByText(/COD-/).first().isVisible()).toBe(true)
      await screenshot(page, 'france-services-recepisse-impression')
      await page.emulateMedia({ media: 'screen' })
      expect((await lastMessage(t.db, JEAN.email, 'provisional-code')).body).toContain('code provisoire')
      await page.getByRole('link', { name: "Fiche d'aide à imprimer" }).click()
      await page.getByRole('heading', { name: 'Se connecter à Mon espace santé' }).waitFor()
      await w.check("fiche d'aide")
    })
  })

  it('session accompagnée : Jean active lui-même son profil avec le bandeau, puis « Terminer »', async () => {
    await session(async (page, w) => {
      await agentSignIn(page, w)
      await identifyJean(page, w)
      await page.getByRole('link', { name: 'Ouvrir une session accompagnée' }).click()
      await page.getByRole('heading', { name: 'Ouvrir une session accompagnée' }).waitFor()
      await w.check('ouvrir une session accompagnée')
      await page.getByRole('button', { name: "Passer l'ordinateur à la personne" }).click()
      await page.getByRole('heading', { name: 'Bienvenue dans Mon espace santé' }).waitFor()
      await page.getByText('Accompagnement par un conseiller France Services').waitFor()
      await w.check('session accompagnée : accueil')
      await screenshot(page, 'france-services-session-accompagnee')
      await page.getByRole('link', { name: 'Activer mon profil' }).click()
      await page.getByLabel('Code provisoire').fill(otpCode(await lastMessage(t.db, JEAN.email, 'provisional-code')))
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByLabel('Numéro de sécurité sociale').fill(JEAN.nir)
      await fillDate(page, JEAN.birth_date)
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByRole('heading', { name: 'Choisir votre identifiant et votre mot de passe' }).waitFor()
      expect(await page.getByLabel('Identifiant').getAttribute('autocomplete')).toBe('off')
      expect(await page.getByLabel('Mot de passe', { exact: true }).getAttribute('autocomplete')).toBe('new-password')
      await w.check('session accompagnée : identifiant')
      await page.getByLabel('Identifiant').fill('jean.dupont69')
      await page.getByLabel('Mot de passe', { exact: true }).fill('Pivoine ardoise girafe 88')
      await page.getByLabel('Confirmez le mot de passe', { exact: true }).fill('Pivoine ardoise girafe 88')
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByRole('heading', { name: 'Vos coordonnées' }).waitFor()
      await page.getByRole('button', { name: 'Recevoir le code de vérification' }).click()
      await page.getByLabel('Code de vérification').fill(otpIn((await lastMessage(t.db, JEAN.email, 'email-verification')).body))
      await page.getByRole('button', { name: 'Valider' }).click()
      await page.getByLabel("J'ai lu et j'accepte les conditions générales d'utilisation de Mon espace santé").check()
      await page.getByRole('button', { name: 'Activer mon profil' }).click()
      await page.getByRole('heading', { name: 'Bonjour Jean' }).waitFor()
      await page.getByText('Accompagnement par un conseiller France Services').waitFor()
      await w.check('session accompagnée : profil activé')
      const citizenCookies = await page.context().cookies()
      await page.getByRole('button', { name: 'Terminer' }).click()
      await page.getByRole('heading', { name: 'Session accompagnée terminée' }).waitFor()
      await w.check('session accompagnée terminée')
      // Jean's session is gone (its cookie replaced); the agent's own session resumes (issue 16 §4).
      const after = await page.context().cookies()
      expect(after.map((c) => c.name)).toEqual(['mes_session'])
      expect(after[0].value).not.toBe(citizenCookies.find((c) => c.name === 'mes_session')?.value)
      await page.getByText('Votre session de conseiller a repris sur cet ordinateur').waitFor()
      await page.goto(base + '/mon-espace')
      expect(await page.getByRole('heading', { name: 'Bonjour Jean' }).count()).toBe(0)
      expect(await page.getByText('Accompagnement par un conseiller France Services').count()).toBe(0)
      await page.goto(base + '/france-services')
      await page.getByRole('heading', { name: 'Espace France Services' }).waitFor()
    })
  })

  it('Camille invite un aidant (pages « Mes aidants » sans JavaScript)', async () => {
    const paul = await createAccount(t.db, { firstNames: 'Paul', lastName: 'Aidantdeux' })
    await session(async (page, w) => {
      await signInThroughPages(page, t.db, { url: base + '/connexion', ...CAMILLE })
      await page.getByRole('link', { name: 'Aidants' }).first().click()
      await page.getByRole('heading', { name: 'Mes aidants' }).waitFor()
      await w.check('mes aidants')
      await page.getByRole('link', { name: 'Inviter un aidant' }).click()
      await page.getByRole('heading', { name: 'Inviter un aidant' }).waitFor()
      await page.getByRole('button', { name: "Envoyer l'invitation" }).click()
      expect(await page.title()).toBe('Erreur : Inviter un aidant – Mon espace santé')
      await w.check('inviter un aidant : erreurs')
      await page.getByLabel('Numéro de sécurité sociale de votre aidant').fill(paul.nir)
      await fillDate(page, paul.birthDate, 'Date de naissance de votre aidant')
      await page.getByRole('button', { name: "Envoyer l'invitation" }).click()
      // The same answer whoever the NIR belongs to: no name before Paul accepts (issue 15 §2).
      await page.getByText('Invitation enregistrée.').waitFor()
      expect(await page.locator('main').innerText()).not.toContain('Aidantdeux')
      await w.check('mes aidants : invitation envoyée')
    })
  })
})

function otpCode(m: { body: string }): string {
  return m.body.match(/code provisoire : ([A-Z0-9 ]{14})/)![1]
}
