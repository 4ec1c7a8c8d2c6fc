import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { hashCode, CODE_VALIDITY_DAYS } from '../domain/provisionalCode'
import { hashPassword } from '../infrastructure/passwords'
import { lifecycleSeed } from './lifecycle'
import { profileSeed } from './profile'
import { agendaSeed } from './agenda'
import { catalogueSeed } from './catalogue'
import { reimbursementsSeed } from './reimbursements'
import { documentsSeed } from './documents'
import { messagingSeed } from './messaging'
import { backOfficeSeed } from './backoffice'
import { journeysSeed } from './journeys'

/**
 * The demo data set of SPEC §13, seeded into an empty database outside production.
 * Each feature adds what it needs with a function in SEEDS (documents, profile, agenda...).
 */
export interface SeedContext {
  codeHashKey: Buffer
  /** The master key of documents (demo documents are encrypted like any other). */
  documentMasterKey: Buffer
  now: Date
  persons: Record<string, string>
  accounts: Record<string, string>
  professionals: Record<string, string>
}

export type SeedStep = (trx: Knex.Transaction, ctx: SeedContext) => Promise<void>

const DAY = 24 * 60 * 60 * 1000
const daysAgo = (now: Date, n: number) => new Date(now.getTime() - n * DAY)

export const DEMO_PERSONS = {
  camille: {
    nir: '268037505612363',
    last_name: 'Martin',
    first_names: 'Camille',
    sex: 'F',
    birth_date: '1968-03-14',
    birth_place: 'Paris',
    address_line1: '12 rue des Lilas',
    postcode: '75020',
    city: 'Paris',
    email: 'camille.martin@courriel.example',
    mobile: '0612345678',
    medecin_traitant_rpps: '10100012342',
  },
  leo: {
    nir: '115067505608976',
    last_name: 'Martin',
    first_names: 'Léo',
    sex: 'M',
    birth_date: '2015-06-02',
    birth_place: 'Paris',
    address_line1: '12 rue des Lilas',
    postcode: '75020',
    city: 'Paris',
    email: null,
    mobile: null,
    medecin_traitant_rpps: '10100012342',
  },
  jean: {
    nir: '150116912304532',
    last_name: 'Dupont',
    first_names: 'Jean',
    sex: 'M',
    birth_date: '1950-11-02',
    birth_place: 'Lyon',
    address_line1: '4 place Bellecour',
    postcode: '69002',
    city: 'Lyon',
    email: 'jean.dupont@courriel.example',
    mobile: null,
    medecin_traitant_rpps: null,
  },
  aicha: {
    nir: '290071305532170',
    last_name: 'Benali',
    first_names: 'Aïcha',
    sex: 'F',
    birth_date: '1990-07-21',
    birth_place: 'Marseille',
    address_line1: '27 boulevard National',
    postcode: '13001',
    city: 'Marseille',
    email: 'aicha.benali@courriel.example',
    mobile: '0698765432',
    medecin_traitant_rpps: null,
  },
  paul: {
    nir: '185043306321036',
    last_name: 'Lefèvre',
    first_names: 'Paul',
    sex: 'M',
    birth_date: '1985-04-12',
    birth_place: 'Bordeaux',
    address_line1: "8 cours de l'Intendance",
    postcode: '33000',
    city: 'Bordeaux',
    email: 'paul.lefevre@courriel.example',
    mobile: null,
    medecin_traitant_rpps: null,
  },
} as const

export const DEMO_PROFESSIONALS = {
  bernard: {
    rpps: '10100012342',
    title: 'Dr',
    first_name: 'Sophie',
    last_name: 'Bernard',
    profession: 'MEDECIN',
    specialty: 'Médecine générale',
    establishment: 'Cabinet médical des Lilas',
    city: 'Paris',
    password: 'Stethoscope-Bleu-2026',
    email: 'sophie.bernard@courriel.example',
  },
  haddad: {
    rpps: '10100023455',
    title: 'Dr',
    first_name: 'Karim',
    last_name: 'Haddad',
    profession: 'MEDECIN',
    specialty: 'Cardiologie',
    establishment: 'Hôpital Tenon',
    city: 'Paris',
    password: 'Coeur-Rythme-Sinus-77',
    email: 'karim.haddad@courriel.example',
  },
  moreau: {
    rpps: '10100034569',
    title: null,
    first_name: 'Julie',
    last_name: 'Moreau',
    profession: 'PHARMACIEN',
    specialty: "Pharmacie d'officine",
    establishment: 'Pharmacie des Pyrénées',
    city: 'Paris',
    password: 'Officine-Verte-Pilule-5',
    email: 'julie.moreau@courriel.example',
  },
  petit: {
    rpps: '10100045672',
    title: 'Dr',
    first_name: 'Marc',
    last_name: 'Petit',
    profession: 'MEDECIN',
    specialty: 'Radiologie',
    establishment: "Centre d'imagerie Gambetta",
    city: 'Paris',
    password: 'Rayons-Doux-Image-31',
    email: 'marc.petit@courriel.example',
  },
} as const

export const DEMO_CODES = { jean: '7K3MQ9TX4WPB', aicha: 'H8RD2VNC6JQE' } as const

export const DEMO_PASSWORDS = {
  camille: 'Tulipe-Verte-Montagne-42',
  nadia: 'Guichet-Accueil-Aide-93',
  louis: 'Caisse-Registre-Lot-75',
} as const

const foundation: SeedStep = async (trx, ctx) => {
  for (const [key, p] of Object.entries(DEMO_PERSONS)) {
    const [row] = await trx('insured_persons').insert(p).returning<{ id: string }[]>('id')
    ctx.persons[key] = row.id
  }
  const now = ctx.now
  const noticeDate = daysAgo(now, 7)
  await trx('spaces').insert([
    {
      person_id: ctx.persons.camille,
      state: 'activated',
      notified_at: daysAgo(now, 900),
      notice_channel: 'email',
      activated_at: daysAgo(now, 880),
      state_changed_at: daysAgo(now, 880),
    },
    {
      person_id: ctx.persons.leo,
      state: 'activated',
      notified_at: daysAgo(now, 900),
      notice_channel: 'post',
      activated_at: daysAgo(now, 870),
      state_changed_at: daysAgo(now, 870),
    },
    { person_id: ctx.persons.jean, state: 'notified', notified_at: noticeDate, notice_channel: 'email', state_changed_at: noticeDate },
    { person_id: ctx.persons.aicha, state: 'notified', notified_at: noticeDate, notice_channel: 'email', state_changed_at: noticeDate },
    {
      person_id: ctx.persons.paul,
      state: 'opposed',
      notified_at: daysAgo(now, 60),
      notice_channel: 'email',
      opposed_at: daysAgo(now, 50),
      opposition_reference: 'OPP-7Q2K-9D4M',
      state_changed_at: daysAgo(now, 50),
    },
  ])
  // Camille is Léo's legal representative.
  await trx('representatives').insert({
    child_person_id: ctx.persons.leo,
    representative_person_id: ctx.persons.camille,
    since: daysAgo(now, 870),
  })
  for (const key of ['jean', 'aicha'] as const) {
    await trx('provisional_codes').insert({
      person_id: ctx.persons[key],
      code_hash: hashCode(ctx.codeHashKey, DEMO_CODES[key]),
      channel: 'email',
      created_at: noticeDate,
      expires_at: new Date(noticeDate.getTime() + CODE_VALIDITY_DAYS * DAY),
    })
  }

  for (const [key, p] of Object.entries(DEMO_PROFESSIONALS)) {
    const { password: _password, email: _email, ...directory } = p
    const [row] = await trx('professionals').insert(directory).returning<{ id: string }[]>('id')
    ctx.professionals[key] = row.id
  }
  // A few more professionals in the directory, without accounts, to search and block.
  await trx('professionals').insert([
    {
      rpps: '10100056786',
      title: 'Dr',
      first_name: 'Claire',
      last_name: 'Lambert',
      profession: 'CHIRURGIEN_DENTISTE',
      specialty: 'Chirurgie dentaire',
      establishment: 'Cabinet dentaire Gambetta',
      city: 'Paris',
    },
    {
      rpps: '10100067899',
      title: null,
      first_name: 'Thomas',
      last_name: 'Girard',
      profession: 'INFIRMIER',
      specialty: 'Soins infirmiers',
      establishment: 'Cabinet infirmier du Père-Lachaise',
      city: 'Paris',
    },
    {
      rpps: '10100078904',
      title: null,
      first_name: 'Emma',
      last_name: 'Fontaine',
      profession: 'SAGE_FEMME',
      specialty: 'Maïeutique',
      establishment: 'Maternité des Lilas',
      city: 'Les Lilas',
    },
  ])

  const hashes = await Promise.all([
    hashPassword(DEMO_PASSWORDS.camille),
    ...Object.values(DEMO_PROFESSIONALS).map((p) => hashPassword(p.password)),
    hashPassword(DEMO_PASSWORDS.nadia),
    hashPassword(DEMO_PASSWORDS.louis),
  ])
  const [camilleHash, ...rest] = hashes
  const proHashes = rest.slice(0, 4)
  const [nadiaHash, louisHash] = rest.slice(4)
  const created = daysAgo(now, 880)
  const [camille] = await trx('accounts')
    .insert({
      kind: 'patient',
      login: 'camille.martin',
      password_hash: camilleHash,
      person_id: ctx.persons.camille,
      display_name: 'Camille Martin',
      email: DEMO_PERSONS.camille.email,
      email_verified_at: created,
      mobile: null,
      created_at: created,
      password_changed_at: created,
    })
    .returning<{ id: string }[]>('id')
  ctx.accounts.camille = camille.id
  const pros = Object.entries(DEMO_PROFESSIONALS)
  for (let i = 0; i < pros.length; i++) {
    const [key, p] = pros[i]
    const [row] = await trx('accounts')
      .insert({
        kind: 'professional',
        login: p.rpps,
        password_hash: proHashes[i],
        professional_id: ctx.professionals[key],
        display_name: `${p.title ? `${p.title} ` : ''}${p.first_name} ${p.last_name}`,
        organisation: p.establishment,
        email: p.email,
        email_verified_at: created,
        created_at: created,
        password_changed_at: created,
      })
      .returning<{ id: string }[]>('id')
    ctx.accounts[key] = row.id
  }
  const [nadia] = await trx('accounts')
    .insert({
      kind: 'agent',
      login: 'nadia.roux',
      password_hash: nadiaHash,
      display_name: 'Nadia Roux',
      organisation: 'France Services Montreuil',
      email: 'nadia.roux@courriel.example',
      email_verified_at: created,
      created_at: created,
    })
    .returning<{ id: string }[]>('id')
  ctx.accounts.nadia = nadia.id
  const [louis] = await trx('accounts')
    .insert({
      kind: 'operator',
      login: 'louis.garnier',
      password_hash: louisHash,
      display_name: 'Louis Garnier',
      organisation: 'CPAM de Paris',
      email: 'louis.garnier@courriel.example',
      email_verified_at: created,
      created_at: created,
    })
    .returning<{ id: string }[]>('id')
  ctx.accounts.louis = louis.id
}

/** Every feature's seed step, in order. Features append theirs. */
export const SEEDS: SeedStep[] = [
  foundation,
  lifecycleSeed,
  documentsSeed,
  messagingSeed,
  backOfficeSeed,
  profileSeed,
  agendaSeed,
  catalogueSeed,
  reimbursementsSeed,
  journeysSeed,
]

/** Seeds the demo data set into an empty database. Returns false when there was data already. */
export async function seedDemo(
  db: Knex,
  codeHashKey: Buffer,
  now = new Date(),
  documentMasterKey: Buffer = crypto.randomBytes(32),
): Promise<boolean> {
  return db.transaction(async (trx) => {
    await trx.raw('LOCK TABLE insured_persons IN EXCLUSIVE MODE')
    const existing = await trx('insured_persons').first<{ id: string } | undefined>('id')
    if (existing) return false
    const ctx: SeedContext = { codeHashKey, documentMasterKey, now, persons: {}, accounts: {}, professionals: {} }
    for (const step of SEEDS) await step(trx, ctx)
    return true
  })
}
