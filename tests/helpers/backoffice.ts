import * as cheerio from 'cheerio'
import { nirKey } from '../../src/domain/nir'
import { csrfOf, type Agent } from './http'

/** A valid NIR for a sex, birth date and order number (department 75, commune 101). */
export function nirFor(sex: 'F' | 'M', birthDate: string, order: number, commune = 101): string {
  const first = `${sex === 'M' ? 1 : 2}${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}75${String(commune).padStart(3, '0')}${String(order).padStart(3, '0')}`
  return first + String(nirKey(first)).padStart(2, '0')
}

export const CSV_HEADER =
  'nir;nom;prenoms;sexe;date_naissance;lieu_naissance;adresse_ligne1;adresse_ligne2;code_postal;ville;courriel;mobile'

/** Uploads a CSV through the import form (CSRF token read from the page, sent first). */
export async function uploadCsv(a: Agent, csv: string | Buffer, filename = 'assures.csv') {
  const page = await a.get('/back-office/import')
  return a
    .post('/back-office/import')
    .field('_csrf', csrfOf(page.text))
    .attach('file', Buffer.isBuffer(csv) ? csv : Buffer.from(csv, 'utf8'), { filename, contentType: 'text/csv' })
}

export const mainText = (html: string) => cheerio.load(html)('main').text().replace(/\s+/g, ' ')
