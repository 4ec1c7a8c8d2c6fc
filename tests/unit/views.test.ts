import fs from 'node:fs'
import path from 'node:path'
import { GOVUK_FRENCH, createViews } from '../../src/views'

const GOVUK = path.resolve(__dirname, '../../node_modules/govuk-frontend/dist/govuk')

describe('gabarits en français', () => {
  it.each(GOVUK_FRENCH.map((r) => [r.file, r.from, r.to]))('%s contient encore « %s » à remplacer', (file, from) => {
    expect(fs.readFileSync(path.join(GOVUK, file), 'utf8')).toContain(from)
  })

  const env = createViews({ manifest: { 'application.css': '/a.css', 'app.js': '/a.js', 'images/favicon.svg': '/f.svg' } })
  const render = (src: string) => env.renderString(src, {})

  it('remplace les textes anglais par défaut des composants govuk', () => {
    const html = render(`
      {% from "govuk/components/back-link/macro.njk" import govukBackLink %}
      {% from "govuk/components/input/macro.njk" import govukInput %}
      {% from "govuk/components/date-input/macro.njk" import govukDateInput %}
      {% from "govuk/components/pagination/macro.njk" import govukPagination %}
      {% from "govuk/components/warning-text/macro.njk" import govukWarningText %}
      {% from "govuk/components/character-count/macro.njk" import govukCharacterCount %}
      {% from "govuk/components/password-input/macro.njk" import govukPasswordInput %}
      {{ govukBackLink({ href: "/" }) }}
      {{ govukInput({ id: "a", name: "a", label: { text: "A" }, errorMessage: { text: "Problème" } }) }}
      {{ govukDateInput({ id: "d", namePrefix: "d", fieldset: { legend: { text: "Date" } } }) }}
      {{ govukPagination({ previous: { href: "?p=1" }, next: { href: "?p=3" } }) }}
      {{ govukWarningText({ text: "Attention" }) }}
      {{ govukCharacterCount({ id: "c", name: "c", maxlength: 100, label: { text: "C" } }) }}
      {{ govukPasswordInput({ id: "p", name: "p", label: { text: "Mot de passe" } }) }}
    `)
    for (const english of [
      '>Back<',
      'Error:',
      '>Day<',
      '>Month<',
      '>Year<',
      'Previous',
      'Next',
      '>Warning<',
      'You can enter',
      '>Show<',
      'Show password',
    ]) {
      expect(html).not.toContain(english)
    }
    for (const french of [
      'Retour',
      'Erreur',
      'Jour',
      'Mois',
      'Année',
      'Précédent',
      'Suivant',
      'Vous pouvez saisir jusqu&#39;à 100 caractères',
      'Erreur :</span>',
      'Afficher',
    ]) {
      expect(html).toContain(french)
    }
  })

  it('rend le gabarit de page en français avec le lien d’évitement', () => {
    const html = env.render('errors/404.njk', { pageTitle: 'Page introuvable' })
    expect(html).toContain('<html lang="fr"')
    expect(html).toContain('Aller au contenu principal')
    expect(html).not.toMatch(/GOV\.UK|Skip to main content|Crown copyright/)
    expect(html).toContain('<title>Page introuvable – Mon espace santé</title>')
  })

  it('préfixe le titre par « Erreur : » quand le formulaire a des erreurs', () => {
    const html = env.render('errors/404.njk', {
      pageTitle: 'Formulaire',
      errors: { list: [{ text: 'Saisissez votre nom', href: '#nom' }], fields: {} },
    })
    expect(html).toContain('<title>Erreur : Formulaire – Mon espace santé</title>')
    expect(html).toContain('Il y a un problème')
    expect(html).toContain('href="#nom"')
  })
})
