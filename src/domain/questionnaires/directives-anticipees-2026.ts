import type { Questionnaire } from './types'

/**
 * The online form of the directives anticipées, version 2026, after the model of the Haute
 * Autorité de santé (modèle de formulaire, 2016, révisé 2022). Rendered by the generic page.
 */
export const DIRECTIVES_ANTICIPEES_2026: Questionnaire = {
  id: 'directives-anticipees',
  version: '2026',
  title: 'Mes directives anticipées',
  source: 'Haute Autorité de santé, modèle de formulaire de directives anticipées (art. L1111-11 et R1111-18 du Code de la santé publique)',
  sections: [
    {
      id: 'situation',
      title: 'Ma situation',
      questions: [
        {
          id: 'situation',
          label: 'Je rédige ces directives',
          kind: 'choice',
          required: true,
          options: [
            { value: 'bonne-sante', text: 'alors que je suis en bonne santé' },
            { value: 'maladie', text: 'alors que je suis atteint(e) d’une maladie grave' },
            { value: 'fin-de-vie', text: 'alors que je pense être proche de la fin de ma vie' },
          ],
        },
      ],
    },
    {
      id: 'souhaits',
      title: 'Mes souhaits',
      questions: [
        {
          id: 'maintien-en-vie',
          label: 'Si je ne peux plus m’exprimer, je souhaite, ou je refuse, que l’on commence ou que l’on poursuive ces traitements',
          hint: 'Par exemple : réanimation, respiration artificielle, dialyse, alimentation par sonde',
          kind: 'text',
        },
        {
          id: 'sedation',
          label: 'Mes souhaits pour soulager mes souffrances',
          hint: 'Par exemple : être endormi(e) profondément jusqu’à la fin de ma vie si mes souffrances ne peuvent pas être soulagées',
          kind: 'text',
        },
        { id: 'autres', label: 'Autres souhaits (lieu de fin de vie, accompagnement, croyances…)', kind: 'text' },
      ],
    },
  ],
}
