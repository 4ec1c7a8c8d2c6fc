// Enhancement only: every journey works without JavaScript.
// The components' texts are given in French here (govuk-frontend's defaults are English).
import { initAll } from './govuk-frontend.min.js'
// The time-limit warning dialog (signed-in pages only: it looks for the footer's statement).
import './session-timeout.mjs'

initAll({
  accordion: {
    i18n: {
      hideAllSections: 'Masquer toutes les sections',
      hideSection: 'Masquer',
      hideSectionAriaLabel: 'Masquer cette section',
      showAllSections: 'Afficher toutes les sections',
      showSection: 'Afficher',
      showSectionAriaLabel: 'Afficher cette section',
    },
  },
  characterCount: {
    i18n: {
      charactersUnderLimit: { one: 'Il vous reste %{count} caractère', other: 'Il vous reste %{count} caractères' },
      charactersAtLimit: 'Vous avez atteint le nombre maximal de caractères',
      charactersOverLimit: { one: 'Vous avez %{count} caractère de trop', other: 'Vous avez %{count} caractères de trop' },
      wordsUnderLimit: { one: 'Il vous reste %{count} mot', other: 'Il vous reste %{count} mots' },
      wordsAtLimit: 'Vous avez atteint le nombre maximal de mots',
      wordsOverLimit: { one: 'Vous avez %{count} mot de trop', other: 'Vous avez %{count} mots de trop' },
    },
  },
  exitThisPage: {
    i18n: {
      activated: 'Chargement en cours',
      timedOut: 'Quitter cette page a expiré',
      pressTwoMoreTimes: 'Appuyez encore 2 fois sur Maj pour quitter',
      pressOneMoreTime: 'Appuyez encore 1 fois sur Maj pour quitter',
    },
  },
  fileUpload: {
    i18n: {
      chooseFilesButton: 'Choisir un fichier',
      dropInstruction: 'ou déposez le fichier ici',
      noFileChosen: 'Aucun fichier choisi',
      multipleFilesChosen: { one: '%{count} fichier choisi', other: '%{count} fichiers choisis' },
      enteredDropZone: 'Entré dans la zone de dépôt',
      leftDropZone: 'Sorti de la zone de dépôt',
    },
  },
  passwordInput: {
    i18n: {
      showPassword: 'Afficher',
      hidePassword: 'Masquer',
      showPasswordAriaLabel: 'Afficher le mot de passe',
      hidePasswordAriaLabel: 'Masquer le mot de passe',
      passwordShownAnnouncement: 'Votre mot de passe est affiché',
      passwordHiddenAnnouncement: 'Votre mot de passe est masqué',
    },
  },
})
