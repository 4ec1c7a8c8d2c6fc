import fs from 'node:fs'
import pg from 'pg'
import { ADMIN_DATABASE_URL, CHECKOUT } from './env'
import { RUN_RESOURCES, type RunResources } from './globalSetup'

/** Closes the run's Chromium, removes its folder, drops the test databases left by files that stopped before their own cleanup. */
export default async function globalTeardown(): Promise<void> {
  const resources = (globalThis as Record<symbol, RunResources | undefined>)[RUN_RESOURCES]
  await resources?.broker?.close()
  if (resources?.dir) fs.rmSync(resources.dir, { recursive: true, force: true })
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
  await admin.connect()
  try {
    const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`mes_t_${CHECKOUT}_%`])
    for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`).catch(() => undefined)
  } finally {
    await admin.end()
  }
}
