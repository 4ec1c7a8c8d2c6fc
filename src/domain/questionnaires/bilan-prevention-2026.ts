import type { Question, Questionnaire } from './types'

const yesNo = (id: string, label: string, extra: Partial<Question> = {}): Question => ({
  id,
  label,
  kind: 'choice',
  required: true,
  options: [
    { value: 'oui', text: 'Oui' },
    { value: 'non', text: 'Non' },
    { value: 'ne-sait-pas', text: 'Je ne sais pas' },
  ],
  ...extra,
})

/**
 * «Mon bilan prévention», version 2026: the health questionnaire offered at 18–25, 45–50, 60–65 and
 * 70–75 years old, to prepare the prevention appointment with a professional.
 */
export const BILAN_PREVENTION_2026: Questionnaire = {
  id: 'bilan-prevention',
  version: '2026',
  title: 'Mon bilan prévention',
  source: 'Mes bilans prévention, ministère de la Santé et Assurance Maladie (auto-questionnaire, 2024)',
  sections: [
    {
      id: 'sante',
      title: 'Ma santé en général',
      questions: [
        {
          id: 'etat-general',
          label: 'Comment jugez-vous votre état de santé ?',
          kind: 'choice',
          required: true,
          options: [
            { value: 'tres-bon', text: 'Très bon' },
            { value: 'bon', text: 'Bon' },
            { value: 'moyen', text: 'Moyen' },
            { value: 'mauvais', text: 'Mauvais' },
          ],
        },
        yesNo('suivi-medecin', 'Avez-vous consulté un médecin au cours des 12 derniers mois ?'),
        yesNo('vaccins-a-jour', 'Pensez-vous être à jour de vos vaccins ?'),
      ],
    },
    {
      id: 'vie',
      title: 'Mes habitudes',
      questions: [
        yesNo('tabac', 'Fumez-vous ou vapotez-vous ?'),
        yesNo('alcool', "Buvez-vous plus de 2 verres d'alcool par jour, ou plus de 10 par semaine ?"),
        yesNo('activite', 'Êtes-vous actif ou active au moins 30 minutes par jour ?'),
        yesNo('sommeil', 'Dormez-vous mal ou êtes-vous souvent fatigué(e) ?'),
      ],
    },
    {
      id: 'bien-etre',
      title: 'Mon bien-être',
      questions: [
        yesNo('moral', 'Au cours des deux dernières semaines, vous êtes-vous senti(e) triste ou sans envie ?'),
        yesNo('isolement', 'Vous sentez-vous seul(e) ou isolé(e) ?'),
        { id: 'sujets', label: 'De quels sujets souhaitez-vous parler lors de votre bilan ?', hint: 'Facultatif', kind: 'text' },
      ],
    },
  ],
}
