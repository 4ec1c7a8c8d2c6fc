import pg from 'pg'
import { ADMIN_DATABASE_URL, CHECKOUT } from './env'

/** Drops the test databases left by files that stopped before their own cleanup. */
export default async function globalTeardown(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
  await admin.connect()
  try {
    const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`mes_t_${CHECKOUT}_%`])
    for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`).catch(() => undefined)
  } finally {
    await admin.end()
  }
}
