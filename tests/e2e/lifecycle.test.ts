import type { Browser, Page } from 'playwright-core'
import { createTestApp, type TestApp } from '../helpers/testApp'
import { launchBrowser, newContext, screenshot, watch } from '../helpers/browser'
import { lastMessage, otpIn } from '../helpers/http'
import { CAMILLE, DEMO_CODES, DEMO_PERSONS } from '../helpers/demo'
import { createAccount } from '../helpers/lifecycle'
import { DEMO_CHILD, DEMO_CHILD_CODE } from '../../src/seed/lifecycle'

type Watcher = ReturnType<typeof watch>

jest.setTimeout(240_000)

async function fillDate(page: Page, iso: string, legend = 'Date de naissance') {
  const [y, m, d] = iso.split('-')
  const group = page.getByRole('group', { name: legend })
  await group.getByLabel('Jour').fill(String(Number(d)))
  await group.getByLabel('Mois').fill(String(Number(m)))
  await group.getByLabel('Année').fill(y)
}

describe.each([
  ['sans JavaScript', false],
  ['avec JavaScript', true],
])('cycle de vie du profil %s', (_label, js) => {
  let t: TestApp
  let base: string
  let browser: Browser
  const tag = js ? 'js' : 'sans-js'
  beforeAll(async () => {
    t = await createTestApp()
    base = await t.listen()
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  async function session(run: (page: Page, w: Watcher) => Promise<void>) {
    const context = await newContext(browser, js)
    const page = await context.newPage()
    const w = watch(page, { javaScript: js })
    try {
      await run(page, w)
    } finally {
      await w.settle()
      await context.close()
    }
    expect(w.problems).toEqual([])
  }

  async function signInAs(page: Page, login: string, password: string, email: string) {
    await page.goto(base + '/connexion')
    await page.getByLabel('Identifiant').fill(login)
    await page.getByLabel('Mot de passe', { exact: true }).fill(password)
    await page.getByRole('button', { name: 'Se connecter' }).click()
    await page.getByLabel('Code de connexion').fill(otpIn((await lastMessage(t.db, email, 'otp')).body))
    await page.getByRole('button', { name: 'Valider' }).click()
  }

  it('Jean active son profil, erreurs comprises', async () => {
    await session(async (page, w) => {
      await page.goto(base + '/')
      await page.getByRole('link', { name: 'Activer mon profil' }).click()
      await page.getByRole('heading', { name: 'Activer mon profil' }).waitFor()
      await w.check('activation : code')
      await page.getByRole('button', { name: 'Continuer' }).click()
      await w.check('activation : code vide')
      expect(await page.title()).toBe('Erreur : Activer mon profil – Mon espace santé')
      await page.getByLabel('Code provisoire').fill('7K3M Q9TX 4WPB')
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByRole('heading', { name: 'Votre identité' }).waitFor()
      await w.check('activation : identité')
      await page.getByLabel('Numéro de sécurité sociale').fill('1 50 11 69 123 045 32')
      await fillDate(page, '1950-11-03')
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByText('ne correspondent pas').first().waitFor()
      await w.check('activation : combinaison fausse')
      await screenshot(page, `activation-erreur-${tag}`)
      await fillDate(page, DEMO_PERSONS.jean.birth_date)
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByRole('heading', { name: 'Choisir votre identifiant et votre mot de passe' }).waitFor()
      await w.check('activation : identifiant')
      await page.getByLabel('Identifiant').fill('jean.dupont69')
      await page.getByLabel('Mot de passe', { exact: true }).fill('motdepasse123')
      await page.getByLabel('Confirmez le mot de passe', { exact: true }).fill('motdepasse123')
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByText('trop courant').first().waitFor()
      await w.check('activation : mot de passe courant')
      await page.getByLabel('Mot de passe', { exact: true }).fill('Pivoine ardoise girafe 88')
      await page.getByLabel('Confirmez le mot de passe', { exact: true }).fill('Pivoine ardoise girafe 88')
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByRole('heading', { name: 'Vos coordonnées' }).waitFor()
      await w.check('activation : coordonnées')
      await page.getByRole('button', { name: 'Recevoir le code de vérification' }).click()
      await page.getByRole('heading', { name: 'Vérifier votre adresse électronique' }).waitFor()
      await w.check('activation : vérification')
      await page.getByLabel('Code de vérification').fill(otpIn((await lastMessage(t.db, DEMO_PERSONS.jean.email, 'email-verification')).body))
      await page.getByRole('button', { name: 'Valider' }).click()
      await page.getByRole('heading', { name: 'Vérifier et activer' }).waitFor()
      await page.getByRole('button', { name: 'Activer mon profil' }).click()
      await w.check('activation : conditions non cochées')
      await page.getByLabel("J'ai lu et j'accepte les conditions générales d'utilisation de Mon espace santé").check()
      await page.getByRole('button', { name: 'Activer mon profil' }).click()
      await page.getByRole('heading', { name: 'Bonjour Jean' }).waitFor()
      await page.getByText('Votre profil est activé').waitFor()
      await w.check('activation : profil activé')
      await screenshot(page, `activation-fin-${tag}`)
    })
  })

  it('Aïcha s’oppose et obtient un accusé imprimable', async () => {
    await session(async (page, w) => {
      await page.goto(base + '/')
      await page.getByRole('link', { name: "M'opposer à la création de mon profil" }).click()
      await page.getByRole('heading', { name: "M'opposer à la création de mon profil" }).waitFor()
      await w.check('opposition : début')
      await page.getByRole('button', { name: 'Continuer' }).click()
      await w.check('opposition : champs vides')
      await page.getByLabel('Code provisoire').fill(DEMO_CODES.aicha)
      await page.getByLabel('Numéro de sécurité sociale').fill(DEMO_PERSONS.aicha.nir)
      await fillDate(page, DEMO_PERSONS.aicha.birth_date)
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByRole('heading', { name: 'Confirmer mon opposition' }).waitFor()
      await page.getByRole('button', { name: 'Confirmer mon opposition' }).click()
      await w.check('opposition : confirmation manquante')
      await page.getByLabel("Je confirme m'opposer à la création de mon profil Mon espace santé").check()
      await page.getByRole('button', { name: 'Confirmer mon opposition' }).click()
      await page.getByRole('heading', { name: /Opposition enregistrée/ }).waitFor()
      await w.check('opposition : accusé')
      await page.emulateMedia({ media: 'print' })
      expect(await page.locator('.govuk-footer').isVisible()).toBe(false)
      expect(await page.locator('.mes-no-print').first().isVisible()).toBe(false)
      expect(await page.getByText(/OPP-/).first().isVisible()).toBe(true)
      await screenshot(page, `opposition-accuse-impression-${tag}`)
      await page.emulateMedia({ media: 'screen' })
    })
  })

  it('recevoir un nouveau code', async () => {
    await session(async (page, w) => {
      await page.goto(base + '/activer-mon-profil')
      await page.getByRole('link', { name: 'Recevoir un nouveau code' }).click()
      await page.getByRole('heading', { name: 'Recevoir un nouveau code' }).waitFor()
      await w.check('nouveau code')
      await page.getByLabel('Numéro de sécurité sociale').fill('2 90 07 13 055 321 71')
      await page.getByRole('button', { name: 'Recevoir un nouveau code' }).click()
      await w.check('nouveau code : erreurs')
      await page.getByLabel('Numéro de sécurité sociale').fill(DEMO_PERSONS.paul.nir)
      await fillDate(page, DEMO_PERSONS.paul.birth_date)
      await page.getByRole('button', { name: 'Recevoir un nouveau code' }).click()
      await page.getByRole('heading', { name: 'Demande enregistrée' }).waitFor()
      await w.check('nouveau code : demande enregistrée')
    })
  })

  it('mot de passe oublié : lien, code, nouveau mot de passe', async () => {
    const u = await createAccount(t.db)
    await session(async (page, w) => {
      await page.goto(base + '/connexion')
      await page.getByRole('link', { name: 'Mot de passe oublié' }).click()
      await w.check('mot de passe oublié')
      await page.getByLabel('Identifiant').fill(u.login)
      await page.getByRole('button', { name: 'Recevoir un lien' }).click()
      await page.getByRole('heading', { name: 'Vérifiez votre messagerie' }).waitFor()
      await w.check('mot de passe oublié : envoyé')
      const link = (await lastMessage(t.db, u.email, 'password-reset')).body.match(/(\/connexion\/nouveau-mot-de-passe\?jeton=[A-Za-z0-9_-]+)/)![1]
      await page.goto(base + link)
      await page.getByLabel('Code de connexion').fill(otpIn((await lastMessage(t.db, u.email, 'otp')).body))
      await page.getByRole('button', { name: 'Valider' }).click()
      await page.getByRole('heading', { name: 'Choisir un nouveau mot de passe' }).waitFor()
      await page.getByLabel('Nouveau mot de passe', { exact: true }).fill('azertyuiop123')
      await page.getByLabel('Confirmez le nouveau mot de passe', { exact: true }).fill('azertyuiop123')
      await page.getByRole('button', { name: 'Changer mon mot de passe' }).click()
      await w.check('nouveau mot de passe : refusé')
      await page.getByLabel('Nouveau mot de passe', { exact: true }).fill('Hibou calme sous la lune 31')
      await page.getByLabel('Confirmez le nouveau mot de passe', { exact: true }).fill('Hibou calme sous la lune 31')
      await page.getByRole('button', { name: 'Changer mon mot de passe' }).click()
      await page.getByText('Votre mot de passe a été changé').waitFor()
      await w.check('connexion après changement')
    })
  })

  it('mon compte, fermeture et réouverture', async () => {
    const u = await createAccount(t.db)
    await session(async (page, w) => {
      await signInAs(page, u.login, u.password, u.email)
      await page.getByRole('link', { name: 'Mon compte' }).click()
      await page.getByRole('heading', { name: 'Mon compte' }).waitFor()
      await w.check('mon compte')
      await screenshot(page, `mon-compte-${tag}`)
      await page.getByRole('link', { name: "Modifier l'adresse électronique" }).click()
      await page.getByRole('button', { name: 'Enregistrer' }).click()
      await w.check('coordonnées : mot de passe manquant')
      await page.goto(base + '/mon-compte/notifications')
      await page.getByLabel('Nouvelle connexion à votre profil').uncheck()
      await w.check('notifications')
      await page.getByRole('button', { name: 'Enregistrer' }).click()
      await page.getByText('Vos préférences de notification sont enregistrées').waitFor()
      await page.goto(base + '/mon-compte/appareils')
      await page.getByRole('button', { name: 'Se déconnecter de cet appareil' }).first().waitFor()
      await w.check('appareils')
      await page.goto(base + '/mon-compte/mot-de-passe')
      await page.getByRole('button', { name: 'Changer mon mot de passe' }).click()
      await w.check('mot de passe : erreurs')
      await page.goto(base + '/mon-compte')
      await page.getByRole('button', { name: 'Fermer mon profil' }).click()
      await page.getByRole('heading', { name: 'Fermer mon profil' }).waitFor()
      await page.getByRole('button', { name: 'Fermer mon profil' }).click()
      await w.check('fermeture : erreurs')
      await page.getByLabel('Les archiver 10 ans, puis les supprimer').check()
      await page.getByLabel('Mot de passe', { exact: true }).fill(u.password)
      await page.getByRole('button', { name: 'Fermer mon profil' }).click()
      await page.getByRole('heading', { name: 'Votre profil est fermé' }).waitFor()
      await w.check('profil fermé')
      await page.goto(base + '/connexion')
      await page.getByLabel('Identifiant').fill(u.login)
      await page.getByLabel('Mot de passe', { exact: true }).fill(u.password)
      await page.getByRole('button', { name: 'Se connecter' }).click()
      await page.getByRole('heading', { name: 'Rouvrir mon profil' }).waitFor()
      await w.check('réouverture')
      await page.getByRole('button', { name: 'Rouvrir mon profil' }).click()
      await page.getByLabel('Code de connexion').fill(otpIn((await lastMessage(t.db, u.email, 'otp')).body))
      await page.getByRole('button', { name: 'Valider' }).click()
      await page.getByText('Votre profil est rouvert').waitFor()
      await w.check('profil rouvert')
    })
  })

  it('Camille change de profil pour Léo, ajoute Inès et ouvre l’invitation du second représentant', async () => {
    await session(async (page, w) => {
      await signInAs(page, CAMILLE.login, CAMILLE.password, CAMILLE.email)
      await page.getByRole('heading', { name: 'Bonjour Camille' }).waitFor()
      await w.check('accueil avec enfants')
      await page.getByRole('button', { name: 'Consulter le profil de Léo' }).click()
      await page.getByText('Vous consultez le profil de Léo').first().waitFor()
      await w.check('profil de Léo')
      await screenshot(page, `profil-leo-${tag}`)
      await page.getByRole('button', { name: 'Revenir à mon profil' }).click()
      await page.getByRole('heading', { name: 'Bonjour Camille' }).waitFor()
      await page.getByRole('link', { name: 'Changer de profil' }).click()
      await w.check('changer de profil')
      await page.getByLabel('Profil de Léo Martin').check()
      await page.getByRole('button', { name: 'Changer de profil' }).click()
      await page.getByRole('heading', { name: 'Profil de Léo Martin' }).waitFor()
      await page.getByRole('button', { name: 'Revenir à mon profil' }).click()
      await page.getByRole('link', { name: 'Ajouter un enfant' }).first().click()
      await page.getByRole('button', { name: "Ajouter l'enfant" }).click()
      await w.check('ajouter un enfant : erreurs')
      await page.getByLabel("Code provisoire de l'enfant").fill(DEMO_CHILD_CODE)
      await page.getByLabel("Numéro de sécurité sociale de l'enfant").fill(DEMO_CHILD.nir)
      await fillDate(page, DEMO_CHILD.birth_date, "Date de naissance de l'enfant")
      await page.getByRole('button', { name: "Ajouter l'enfant" }).click()
      await page.getByRole('button', { name: 'Consulter le profil de Inès' }).waitFor()
      await page.getByRole('link', { name: /Inviter le second représentant légal de Léo/ }).click()
      await page.getByRole('heading', { name: 'Inviter le second représentant légal' }).waitFor()
      await page.getByRole('button', { name: "Envoyer l'invitation" }).click()
      await w.check('invitation : erreurs')
      await screenshot(page, `invitation-${tag}`)
    })
  })
})
