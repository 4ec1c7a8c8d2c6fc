import type { Knex } from 'knex'
import { newDataKey } from '../infrastructure/crypto'
import { createPgDocumentStore } from '../infrastructure/documentStore'
import { simplePdf, TINY_PNG } from '../infrastructure/simplePdf'
import { safeFileName, type DocumentMime } from '../domain/documents'
import type { SeedContext, SeedStep } from './demo'
import { createActivityLog } from '../features/history/activity'
import type { Actor } from '../domain/actor'

const DAY = 24 * 60 * 60 * 1000
const isoDaysAgo = (now: Date, n: number) => new Date(now.getTime() - n * DAY).toISOString().slice(0, 10)

interface DemoDocument {
  person: string
  category: string
  title: string
  daysAgo: number
  mime: DocumentMime
  bytes: Buffer
  author: 'patient' | 'representative' | 'bernard' | 'haddad'
  masked?: boolean
}

/** The demo documents (SPEC §13): Camille has several categories, one masked, one by Dr Bernard, one by Dr Haddad; Léo two. */
export const DEMO_DOCUMENTS: DemoDocument[] = [
  {
    person: 'camille',
    category: 'CPT_REND',
    title: 'Compte rendu de consultation de cardiologie',
    daysAgo: 20,
    mime: 'application/pdf',
    author: 'haddad',
    bytes: simplePdf([
      'Hopital Tenon - Cardiologie',
      'Compte rendu de consultation',
      'Patiente : Camille Martin',
      'Examen clinique normal. ECG sans anomalie.',
      'Dr Karim Haddad',
    ]),
  },
  {
    person: 'camille',
    category: 'ORD_SOIN',
    title: 'Ordonnance de renouvellement',
    daysAgo: 45,
    mime: 'application/pdf',
    author: 'bernard',
    bytes: simplePdf([
      'Cabinet medical des Lilas',
      'Ordonnance',
      'Camille Martin',
      'Ramipril 5 mg : 1 comprime le matin, 3 mois.',
      'Dr Sophie Bernard',
    ]),
  },
  {
    person: 'camille',
    category: 'BIOLOGIE',
    title: 'Bilan sanguin annuel',
    daysAgo: 90,
    mime: 'application/pdf',
    author: 'patient',
    bytes: simplePdf(['Laboratoire des Pyrenees', 'Bilan sanguin', 'Glycemie a jeun : 0,95 g/l', 'Cholesterol LDL : 1,20 g/l']),
  },
  {
    person: 'camille',
    category: 'DOC_ADM',
    title: 'Carte de groupe sanguin',
    daysAgo: 400,
    mime: 'image/png',
    author: 'patient',
    bytes: TINY_PNG,
  },
  {
    person: 'camille',
    category: 'AUTR_DOC',
    title: 'Notes personnelles de suivi',
    daysAgo: 10,
    mime: 'text/plain',
    author: 'patient',
    masked: true,
    bytes: Buffer.from('Tension du matin : 13/8.\nPenser à demander le renouvellement au Dr Bernard.\n', 'utf8'),
  },
  {
    person: 'leo',
    category: 'DEPISTAG',
    title: 'Examen de santé des 9 ans',
    daysAgo: 60,
    mime: 'application/pdf',
    author: 'bernard',
    bytes: simplePdf(['Examen de sante', 'Leo Martin', 'Croissance harmonieuse. Vue et audition normales.', 'Dr Sophie Bernard']),
  },
  {
    person: 'leo',
    category: 'AUTR_DOC',
    title: 'Attestation de vaccination',
    daysAgo: 200,
    mime: 'application/pdf',
    author: 'representative',
    bytes: simplePdf(['Attestation de vaccination', 'Leo Martin', 'DTP : a jour']),
  },
]

export async function seedDocument(trx: Knex.Transaction, ctx: SeedContext, d: DemoDocument): Promise<string> {
  const store = createPgDocumentStore()
  const { key, wrapped } = newDataKey(ctx.documentMasterKey)
  const pro =
    d.author === 'bernard' || d.author === 'haddad'
      ? await trx('professionals')
          .where({ id: ctx.professionals[d.author] })
          .first<{ id: string; first_name: string; last_name: string; specialty: string | null; establishment: string | null }>()
      : undefined
  const author = pro
    ? {
        author_kind: 'professional',
        author_account_id: ctx.accounts[d.author],
        author_professional_id: pro.id,
        author_name: `Dr ${pro.first_name} ${pro.last_name}`,
        author_profession: pro.specialty,
        author_organisation: pro.establishment,
      }
    : { author_kind: d.author, author_account_id: ctx.accounts.camille, author_name: 'Camille Martin' }
  const created = new Date(ctx.now.getTime() - d.daysAgo * DAY)
  const [row] = await trx('documents')
    .insert({
      person_id: ctx.persons[d.person],
      category: d.category,
      title: d.title,
      document_date: isoDaysAgo(ctx.now, d.daysAgo),
      mime: d.mime,
      file_name: safeFileName(d.title, d.mime),
      masked: d.masked ?? false,
      wrapped_key: wrapped,
      chunk_size: 0,
      created_at: created,
      updated_at: created,
      ...author,
    })
    .returning<{ id: string }[]>('id')
  const w = await store.write(trx, row.id, key, [d.bytes])
  await trx('documents').where({ id: row.id }).update({ size_bytes: w.size, chunk_count: w.chunks, chunk_size: w.chunkSize })
  return row.id
}

export const documentsSeed: SeedStep = async (trx, ctx) => {
  const now = ctx.now
  await trx('patient_settings').insert([{ person_id: ctx.persons.camille }, { person_id: ctx.persons.leo }])
  const ago = (n: number) => new Date(now.getTime() - n * DAY)
  await trx('patient_professionals').insert([
    // Dr Bernard: médecin traitant (from the registry), listed, named administrator.
    {
      person_id: ctx.persons.camille,
      professional_id: ctx.professionals.bernard,
      listed: true,
      consent_at: ago(800),
      administrator: true,
      added_at: ago(800),
    },
    // Dr Haddad: in the care team (consent declared).
    { person_id: ctx.persons.camille, professional_id: ctx.professionals.haddad, listed: true, consent_at: ago(120), added_at: ago(120) },
    // Dr Petit: blocked.
    { person_id: ctx.persons.camille, professional_id: ctx.professionals.petit, listed: false, blocked_at: ago(30), added_at: ago(30) },
  ])
  const ids: string[] = []
  for (const d of DEMO_DOCUMENTS) ids.push(await seedDocument(trx, ctx, d))
  // Dr Haddad looked at Camille's documents: the home page and the history show it.
  const haddad: Actor = {
    accountId: ctx.accounts.haddad,
    kind: 'professional',
    displayName: 'Dr Karim Haddad',
    organisation: 'Hôpital Tenon',
    professionalId: ctx.professionals.haddad,
    profession: 'MEDECIN',
  }
  const log = createActivityLog(trx)
  await log.record(trx, haddad, { action: 'document.list', subjectPersonId: ctx.persons.camille, objectType: 'documents' })
  await log.record(trx, haddad, { action: 'document.read', subjectPersonId: ctx.persons.camille, objectType: 'document', objectId: ids[0] })
}
