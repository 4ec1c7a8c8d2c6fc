import type { ServiceRequest } from '../../domain/consent'

/** The categories of the catalogue, in the order of the filter. */
export const SERVICE_CATEGORIES = {
  suivi: 'Suivi de maladie',
  prevention: 'Bien-être et prévention',
  medicaments: 'Médicaments',
  coordination: 'Coordination des soins',
  domicile: 'Soins à domicile',
  famille: 'Enfants et famille',
  information: 'Information santé',
  demarches: 'Démarches administratives',
} as const
export type ServiceCategory = keyof typeof SERVICE_CATEGORIES

export function isServiceCategory(v: string): v is ServiceCategory {
  return Object.prototype.hasOwnProperty.call(SERVICE_CATEGORIES, v)
}

export interface CatalogueEntry {
  slug: string
  name: string
  category: ServiceCategory
  publisher: string
  description: string
  website: string
  requests: ServiceRequest[]
}

const r = (category: ServiceRequest['category'], access: ServiceRequest['access']): ServiceRequest => ({ category, access })

/** The 12 services referenced by the State (SPEC §10), version 1 of their requests. */
export const CATALOGUE: CatalogueEntry[] = [
  {
    slug: 'appfine',
    name: 'Appfine',
    category: 'suivi',
    publisher: 'Appfine SAS',
    website: 'https://www.appfine.fr',
    description:
      "Application de suivi des maladies chroniques : rappels de traitement, carnet de mesures et échanges avec l'équipe soignante.",
    requests: [r('traitements', 'read'), r('mesures', 'read'), r('mesures', 'write'), r('documents', 'read')],
  },
  {
    slug: 'compte-ameli',
    name: 'Compte ameli',
    category: 'demarches',
    publisher: 'Assurance Maladie',
    website: 'https://www.ameli.fr',
    description: "Votre compte de l'Assurance Maladie : remboursements, attestations, carte Vitale et démarches en ligne.",
    requests: [r('identite', 'read'), r('remboursements', 'read'), r('documents', 'write')],
  },
  {
    slug: 'freestyle-librelink',
    name: 'FreeStyle LibreLink',
    category: 'suivi',
    publisher: 'Abbott France',
    website: 'https://www.freestylelibre.fr',
    description: 'Application de lecture du capteur de glucose FreeStyle Libre : vos mesures de glycémie enregistrées dans votre profil.',
    requests: [r('mesures', 'read'), r('mesures', 'write')],
  },
  {
    slug: 'id-u-sante',
    name: 'ID-U Santé',
    category: 'coordination',
    publisher: 'ID-U',
    website: 'https://www.id-u.fr',
    description: 'Plateforme de coordination entre la ville et l’hôpital pour préparer une hospitalisation et son retour à domicile.',
    requests: [r('identite', 'read'), r('documents', 'read'), r('profil', 'read')],
  },
  {
    slug: 'libheros',
    name: 'Libheros.fr',
    category: 'domicile',
    publisher: 'Libheros',
    website: 'https://www.libheros.fr',
    description: 'Prise de rendez-vous avec des infirmiers, kinésithérapeutes et sages-femmes à domicile.',
    requests: [r('identite', 'read'), r('agenda', 'write')],
  },
  {
    slug: 'mapatho',
    name: 'Mapatho',
    category: 'suivi',
    publisher: 'Mapatho SAS',
    website: 'https://www.mapatho.com',
    description: 'Informations fiables et personnalisées sur votre maladie, et un journal de suivi de vos symptômes.',
    requests: [r('profil', 'read'), r('traitements', 'read'), r('documents', 'read')],
  },
  {
    slug: 'memo-sante-enfant',
    name: 'Mémo Santé Enfant',
    category: 'famille',
    publisher: 'Mémo Santé',
    website: 'https://www.memosante.fr',
    description: 'Le carnet de santé numérique de vos enfants : vaccinations, courbes de croissance et rendez-vous de suivi.',
    requests: [r('vaccinations', 'read'), r('vaccinations', 'write'), r('mesures', 'write')],
  },
  {
    slug: 'mes-medicaments-chez-moi',
    name: 'Mes médicaments chez moi',
    category: 'medicaments',
    publisher: 'Mes médicaments chez moi SAS',
    website: 'https://www.mesmedicamentschezmoi.com',
    description: 'Commandez vos médicaments à votre pharmacie et faites-vous les livrer à domicile.',
    requests: [r('identite', 'read'), r('traitements', 'read')],
  },
  {
    slug: 'myght-limousin',
    name: 'MyGHT Limousin',
    category: 'coordination',
    publisher: 'GHT du Limousin',
    website: 'https://www.chu-limoges.fr',
    description: 'Le portail patient des hôpitaux du Limousin : vos comptes rendus, vos rendez-vous et vos démarches hospitalières.',
    requests: [r('documents', 'read'), r('documents', 'write'), r('agenda', 'write')],
  },
  {
    slug: 'sante-fr',
    name: 'Santé.fr',
    category: 'information',
    publisher: 'Ministère de la Santé',
    website: 'https://www.sante.fr',
    description: "Le service public d'information en santé : trouver un professionnel, un lieu de soins, une information fiable.",
    requests: [r('identite', 'read')],
  },
  {
    slug: 'vidal-ma-sante',
    name: 'Vidal Ma santé',
    category: 'medicaments',
    publisher: 'Vidal',
    website: 'https://www.vidal.fr',
    description: 'Vos traitements expliqués simplement, avec les précautions et les interactions entre médicaments.',
    requests: [r('traitements', 'read')],
  },
  {
    slug: 'withings-health-mate',
    name: 'Withings Health Mate',
    category: 'prevention',
    publisher: 'Withings',
    website: 'https://www.withings.com',
    description: 'Balances, tensiomètres et montres connectés : vos mesures de poids, de tension et d’activité.',
    requests: [r('mesures', 'write')],
  },
]
