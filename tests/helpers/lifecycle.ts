import crypto from 'node:crypto'
import * as cheerio from 'cheerio'
import type { Knex } from 'knex'
import { nirKey } from '../../src/domain/nir'
import { CODE_VALIDITY_DAYS, generateCode, hashCode, formatCode } from '../../src/domain/provisionalCode'
import { TEST_SECRETS } from './env'
import { hashPassword } from '../../src/infrastructure/passwords'
import { submitForm, type Agent, lastMessage, otpIn } from './http'

const DAY = 24 * 60 * 60 * 1000
export const CODE_KEY = Buffer.from(TEST_SECRETS.CODE_HASH_KEY, 'utf8')

/** A valid NIR for a birth date, department 75, commune 056 and a random order number. */
export function makeNir(sex: 'F' | 'M', birthDate: string): string {
  const order = String(crypto.randomInt(1, 999)).padStart(3, '0')
  const first = `${sex === 'M' ? 1 : 2}${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}75${String(crypto.randomInt(1, 999)).padStart(3, '0')}${order}`
  return first + String(nirKey(first)).padStart(2, '0')
}

export interface TestPerson {
  id: string
  nir: string
  birthDate: string
  firstNames: string
  lastName: string
  email: string | null
  code: string
}

/** An insured person whose space is in `state`, with an active provisional code (notified `daysAgo` days ago). */
export async function createPerson(
  db: Knex,
  opts: {
    state?: string
    birthDate?: string
    email?: string | null
    firstNames?: string
    lastName?: string
    sex?: 'F' | 'M'
    noticeDaysAgo?: number
    codeDaysAgo?: number
  } = {},
): Promise<TestPerson> {
  const birthDate = opts.birthDate ?? '1980-05-17'
  const sex = opts.sex ?? 'F'
  const nir = makeNir(sex, birthDate)
  const firstNames = opts.firstNames ?? 'Élise'
  const lastName = opts.lastName ?? `Testeur${crypto.randomInt(1e6)}`
  const email = opts.email === undefined ? `${lastName.toLowerCase()}@courriel.example` : opts.email
  const [row] = await db('insured_persons')
    .insert({
      nir,
      last_name: lastName,
      first_names: firstNames,
      sex,
      birth_date: birthDate,
      email,
      address_line1: '1 rue de la Paix',
      postcode: '75002',
      city: 'Paris',
    })
    .returning('id')
  const notified = new Date(Date.now() - (opts.noticeDaysAgo ?? 3) * DAY)
  await db('spaces').insert({
    person_id: row.id,
    state: opts.state ?? 'notified',
    notified_at: notified,
    notice_channel: email ? 'email' : 'post',
    state_changed_at: notified,
  })
  const code = generateCode()
  const codeDate = new Date(Date.now() - (opts.codeDaysAgo ?? opts.noticeDaysAgo ?? 3) * DAY)
  await db('provisional_codes').insert({
    person_id: row.id,
    code_hash: hashCode(CODE_KEY, code),
    channel: email ? 'email' : 'post',
    created_at: codeDate,
    expires_at: new Date(codeDate.getTime() + CODE_VALIDITY_DAYS * DAY),
  })
  return { id: row.id, nir, birthDate, firstNames, lastName, email, code: formatCode(code) }
}

export function dateFields(iso: string, prefix = 'birthDate'): Record<string, string> {
  const [y, m, d] = iso.split('-')
  return { [`${prefix}-day`]: String(Number(d)), [`${prefix}-month`]: String(Number(m)), [`${prefix}-year`]: y }
}

export const errorText = (html: string, field: string) =>
  cheerio
    .load(html)(`#${field}-error`)
    .text()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^Erreur : /, '')
export const h1 = (html: string) => cheerio.load(html)('h1').text().replace(/\s+/g, ' ').trim()

/** The whole activation journey through the pages; returns the last response (303 to /mon-espace when it worked). */
export async function activate(
  a: Agent,
  db: Knex,
  p: { code: string; nir: string; birthDate: string },
  chosen: { identifiant: string; password: string; email: string; mobile?: string },
) {
  let r = await submitForm(a, '/activer-mon-profil', { code: p.code })
  if (r.status !== 303) return r
  r = await submitForm(a, '/activer-mon-profil/identite', { nir: p.nir, ...dateFields(p.birthDate) })
  if (r.status !== 303) return r
  r = await submitForm(a, '/activer-mon-profil/identifiant', {
    identifiant: chosen.identifiant,
    password: chosen.password,
    confirmation: chosen.password,
  })
  if (r.status !== 303) return r
  r = await submitForm(a, '/activer-mon-profil/coordonnees', { email: chosen.email, mobile: chosen.mobile ?? '' })
  if (r.status !== 303) return r
  const code = otpIn((await lastMessage(db, chosen.email, 'email-verification')).body)
  r = await submitForm(a, '/activer-mon-profil/verification', { code })
  if (r.status !== 303) return r
  return submitForm(a, '/activer-mon-profil/conditions', { terms: 'accepted' })
}

/** The provisional code in the last e-mail sent to this address. */
export async function codeFromMail(db: Knex, email: string): Promise<string> {
  const m = await lastMessage(db, email, 'provisional-code')
  return m.body.match(/code provisoire : ([A-Z0-9 ]{14})/)![1]
}

/** An activated person with a patient account (password hashed with argon2id), for account tests. */
export async function createAccount(
  db: Knex,
  opts: { password?: string; birthDate?: string; firstNames?: string; lastName?: string } = {},
) {
  const p = await createPerson(db, { state: 'activated', birthDate: opts.birthDate, firstNames: opts.firstNames, lastName: opts.lastName })
  await db('provisional_codes').where({ person_id: p.id }).update({ used_at: new Date() })
  const password = opts.password ?? 'Pivoine ardoise girafe 88'
  const login = `compte.${p.lastName.toLowerCase()}`
  const [a] = await db('accounts')
    .insert({
      kind: 'patient',
      login,
      password_hash: await hashPassword(password),
      person_id: p.id,
      display_name: `${p.firstNames} ${p.lastName}`,
      email: p.email,
      email_verified_at: new Date(),
      password_changed_at: new Date(),
    })
    .returning('id')
  await db('spaces').where({ person_id: p.id }).update({ activated_at: new Date() })
  return { ...p, accountId: a.id as string, login, password, email: p.email! }
}
