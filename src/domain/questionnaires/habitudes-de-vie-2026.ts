import type { Question, Questionnaire } from './types'

const freq = (id: string, label: string, extra: Partial<Question> = {}): Question => ({
  id,
  label,
  kind: 'choice',
  options: [
    { value: 'jamais', text: 'Jamais' },
    { value: 'parfois', text: 'Parfois' },
    { value: 'souvent', text: 'Souvent' },
    { value: 'tous-les-jours', text: 'Tous les jours' },
  ],
  ...extra,
})

/** «Habitudes de vie», version 2026. Tobacco and alcohol are asked from 15 years old. */
export const HABITUDES_DE_VIE_2026: Questionnaire = {
  id: 'habitudes-de-vie',
  version: '2026',
  title: 'Habitudes de vie',
  source: 'Rubriques du profil médical de Mon espace santé ; repères du Programme national nutrition santé (mangerbouger.fr)',
  sections: [
    {
      id: 'alimentation',
      title: 'Alimentation',
      questions: [
        freq('fruits-legumes', 'Mangez-vous des fruits et des légumes ?'),
        {
          id: 'regime',
          label: 'Suivez-vous un régime alimentaire particulier ?',
          hint: 'Par exemple : végétarien, sans gluten, sans sel',
          kind: 'text',
        },
      ],
    },
    {
      id: 'activite',
      title: 'Activité physique',
      questions: [
        {
          id: 'activite-physique',
          label: 'Combien de temps êtes-vous actif ou active chaque jour (marche, vélo, sport) ?',
          kind: 'choice',
          options: [
            { value: 'moins-30', text: 'Moins de 30 minutes' },
            { value: '30-60', text: 'De 30 minutes à 1 heure' },
            { value: 'plus-60', text: "Plus d'une heure" },
          ],
        },
      ],
    },
    {
      id: 'sommeil',
      title: 'Sommeil',
      questions: [
        {
          id: 'sommeil-heures',
          label: 'Combien d’heures dormez-vous par nuit, en général ?',
          kind: 'choice',
          options: [
            { value: 'moins-6', text: 'Moins de 6 heures' },
            { value: '6-8', text: 'De 6 à 8 heures' },
            { value: 'plus-8', text: 'Plus de 8 heures' },
          ],
        },
      ],
    },
    {
      id: 'ecrans',
      title: 'Écrans',
      questions: [
        {
          id: 'ecrans-heures',
          label: 'Combien de temps passez-vous devant un écran chaque jour, en dehors du travail ou de l’école ?',
          kind: 'choice',
          options: [
            { value: 'moins-2', text: 'Moins de 2 heures' },
            { value: '2-4', text: 'De 2 à 4 heures' },
            { value: 'plus-4', text: 'Plus de 4 heures' },
          ],
        },
      ],
    },
    {
      id: 'alcool',
      title: 'Alcool',
      questions: [freq('alcool', 'Buvez-vous de l’alcool ?', { minAge: 15 })],
    },
    {
      id: 'tabac',
      title: 'Tabac',
      questions: [
        {
          id: 'tabac',
          label: 'Fumez-vous ou vapotez-vous ?',
          kind: 'choice',
          minAge: 15,
          options: [
            { value: 'non', text: 'Non, jamais' },
            { value: 'ancien', text: "J'ai arrêté" },
            { value: 'oui', text: 'Oui' },
          ],
        },
      ],
    },
  ],
}
