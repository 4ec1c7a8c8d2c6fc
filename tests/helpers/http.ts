import request from 'supertest'
import * as cheerio from 'cheerio'
import type { Express } from 'express'
import type { Knex } from 'knex'
import type { AccountKind } from '../../src/domain/actor'
import { SIGN_IN_URL } from '../../src/middleware/auth'

export type Agent = ReturnType<typeof request.agent>

export function agent(app: Express): Agent {
  return request.agent(app)
}

/** The CSRF token of the page's first form that carries one (read from the page, as a browser would). */
export function csrfOf(html: string): string {
  const token = cheerio.load(html)('input[name="_csrf"]').first().attr('value')
  if (!token) throw new Error('Aucun jeton CSRF dans la page')
  return token
}

/**
 * Opens a page, then posts one of its forms (the first POST form whose action is `action`, or the
 * first POST form) with the page's own CSRF token plus `fields`. Returns the POST's response.
 */
export async function submitForm(a: Agent, pageUrl: string, fields: Record<string, string | string[]>, action?: string) {
  const page = await a.get(pageUrl)
  if (page.status !== 200) throw new Error(`${pageUrl} a répondu ${page.status}`)
  const $ = cheerio.load(page.text)
  const forms = $('form[method="post"]').toArray()
  // Without an action: the first form of the page's content (not the header's «Se déconnecter»).
  const form = action ? forms.find((f) => $(f).attr('action') === action) : ($('main form[method="post"]').toArray()[0] ?? forms[0])
  if (!form) throw new Error(`Aucun formulaire ${action ?? ''} dans ${pageUrl}`)
  const token = $(form).find('input[name="_csrf"]').attr('value')
  const target = $(form).attr('action') || pageUrl
  return a
    .post(target)
    .type('form')
    .send({ _csrf: token ?? '', ...fields })
}

/** The last message sent to a recipient (the development outbox, as a newcomer reads it). */
export async function lastMessage(
  db: Knex,
  recipient: string,
  kind?: string,
): Promise<{ subject: string | null; body: string; kind: string }> {
  const q = db('outbox').where({ recipient }).orderBy('id', 'desc')
  if (kind) q.where({ kind })
  const row = await q.first()
  if (!row) throw new Error(`Aucun message pour ${recipient}`)
  return row
}

export function otpIn(text: string): string {
  const m = text.match(/\b(\d{6})\b/)
  if (!m) throw new Error('Aucun code à 6 chiffres dans le message')
  return m[1]
}

/** Signs in through the real pages: login + password, then the code read from the outbox. */
export async function signIn(a: Agent, db: Knex, kind: AccountKind, login: string, password: string): Promise<void> {
  const base = SIGN_IN_URL[kind]
  const first = await submitForm(a, base, { login, password })
  if (first.status !== 303) throw new Error(`Connexion refusée (${first.status})`)
  const account = await db('accounts').where({ kind, login: login.toLowerCase() }).first()
  const msg = await lastMessage(db, account.mobile ?? account.email, 'otp')
  const second = await submitForm(a, `${base}/code`, { code: otpIn(msg.body) })
  if (second.status !== 303) throw new Error(`Code refusé (${second.status})`)
}
