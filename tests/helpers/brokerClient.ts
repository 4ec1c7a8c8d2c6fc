import crypto from 'node:crypto'
import type pg from 'pg'
import { CHECKOUT, RUN_ENV, TEST_ROLES } from './env'

/** What a test file asks of the run's broker (runBroker.ts, in jest's main process), and how a template is copied. */

/** Asks the run's broker (TEST_RUN_BROKER); undefined when none runs (a script outside jest). */
export async function askBroker(what: string, method: 'GET' | 'POST' = 'GET'): Promise<string | undefined> {
  const broker = process.env[RUN_ENV.broker]
  if (!broker) return undefined
  const res = await fetch(new URL(what, broker), { method })
  const text = await res.text()
  if (!res.ok) throw new Error(text)
  return text
}

/** A test database's name: this checkout's prefix (globalTeardown drops what a killed run left) and a random part. */
export function testDatabaseName(): string {
  return `mes_t_${CHECKOUT}_${crypto.randomBytes(5).toString('hex')}`
}

/** A copy of the template, made by the superuser, owned by the test owner role. */
export async function copyTemplate(admin: pg.Client, template: string, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template} OWNER ${TEST_ROLES.owner}`)
      return
    } catch (err) {
      // Another run of this checkout copying the template at the same instant: try again shortly.
      if (attempt >= 20 || !/being accessed by other users/.test((err as Error).message)) throw err
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200))
    }
  }
}
