/**
 * Plain French words for the actions of the activity history (SPEC §6). Unknown actions (from
 * features added later) fall back to a neutral sentence; features add their labels here.
 */
export const ACTION_LABELS: Record<string, string> = {
  'account.signin': 'Connexion au profil',
  'account.signout': 'Déconnexion',
  'account.signed_out_everywhere': 'Déconnexion de tous les appareils',
  'account.device_signed_out': "Déconnexion d'un appareil",
  'account.password_changed': 'Mot de passe changé',
  'account.password_reset_requested': 'Demande de nouveau mot de passe',
  'account.password_reset': 'Nouveau mot de passe choisi',
  'account.contact_changed': 'Coordonnées modifiées',
  'account.notifications_changed': 'Préférences de notification modifiées',
  'space.activated': 'Profil activé',
  'space.opposed': 'Opposition à la création du profil',
  'space.closed': 'Profil fermé',
  'space.reopened': 'Profil rouvert',
  'code.issued': 'Nouveau code provisoire envoyé',
  'representative.child_attached': 'Enfant ajouté',
  'representative.attached': 'Représentant légal ajouté',
  'representative.invited': 'Second représentant légal invité',
  'representative.ended': "Fin de l'accès d'un représentant légal",
  'representative.profile_opened': "Ouverture du profil par un représentant légal",
  'document.create': 'Document ajouté',
  'document.list': 'Liste des documents consultée',
  'document.read': 'Document consulté',
  'document.download': 'Document téléchargé',
  'document.rename': 'Document renommé',
  'document.recategorise': "Catégorie d'un document changée",
  'document.mask': 'Document masqué aux professionnels',
  'document.unmask': "Document qui n'est plus masqué",
  'document.delete': 'Document supprimé',
  'document.release': "Résultat rendu visible après la consultation d'annonce",
  'document.hold_released': "Résultat rendu visible automatiquement (un mois après son dépôt)",
  'careteam.add': 'Professionnel ajouté à «\u00a0Mes professionnels de santé\u00a0»',
  'careteam.remove': "Professionnel retiré de l'équipe de soins",
  'careteam.consent': "Consentement déclaré : le professionnel rejoint l'équipe de soins",
  'careteam.administrator': 'Professionnel nommé administrateur',
  'careteam.administrator_removed': "Statut d'administrateur retiré",
  'careteam.block': 'Professionnel bloqué',
  'careteam.unblock': 'Professionnel débloqué',
  'settings.emergency': "Réglages de l'accès en urgence modifiés",
  'settings.mask_new_documents': 'Réglage «\u00a0Masquer par défaut les nouveaux documents\u00a0» modifié',
  'emergency.access': 'Accès en urgence au profil',
  'patient.found': 'Recherche du profil par un professionnel',
}

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? 'Action sur le profil'
}

export const ROLE_LABELS: Record<string, string> = {
  patient: 'Titulaire',
  representative: 'Représentant légal',
  carer: 'Aidant',
  professional: 'Professionnel de santé',
  agent: 'Conseiller France Services',
  operator: 'Assurance Maladie',
  service: 'Service connecté',
  system: 'Mon espace santé',
}
