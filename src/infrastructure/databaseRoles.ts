import type { Knex } from 'knex'
import type pg from 'pg'
import PgBoss from 'pg-boss'
import { poolOf } from './database'
import { errorCode, errorMessage } from '../errors'

/**
 * Two database roles (issue 15 §5): the OWNER owns the schema and runs the migrations; the
 * application connects as another role (DATABASE_URL) that may read and write the data but may
 * never UPDATE, DELETE or TRUNCATE the activity log nor its checkpoints: whoever takes the
 * application over cannot rewrite the history. Neither is a superuser.
 *
 * Rights of the application's role, granted by `grantAppRole` after every migration run:
 * - SELECT, INSERT, UPDATE, DELETE on the tables of `public` (the closed-spaces deletion job deletes a
 *   person's rows from every table that refers to them; sessions, limits and codes are updated);
 *   never TRUNCATE, never DDL (its own temporary tables excepted: the CSV imports' staging table);
 * - SELECT and INSERT only on the append-only tables below, SELECT only on knex's migration tables;
 * - USAGE on the sequences;
 * - the job queue's schema (`pgboss`) belongs to it: pg-boss creates a table per queue and migrates
 *   its own schema at start. The owner installs it in the application role's name (SET ROLE, which
 *   needs `GRANT <app> TO <owner>`) with CREATE on the database granted for that transaction only.
 */
export const APPEND_ONLY_TABLES = ['activity_log', 'audit_checkpoints', 'audit_checkpoint_heads', 'audit_verifications']
const MIGRATION_TABLES = ['knex_migrations', 'knex_migrations_lock']
export const JOBS_SCHEMA = 'pgboss'

/** The role a connection URL signs in as. */
export function roleOfUrl(url: string): string {
  return decodeURIComponent(new URL(url).username || 'postgres')
}

/** A quoted SQL identifier. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** Grants the application's role its rights (idempotent; run as the owner after the migrations). */
export async function grantAppRole(owner: Knex, appRole: string): Promise<void> {
  const app = ident(appRole)
  const existing = new Set(
    await owner<{ schemaname: string; tablename: string }>('pg_tables').where({ schemaname: 'public' }).pluck('tablename'),
  )
  const appendOnly = APPEND_ONLY_TABLES.filter((t) => existing.has(t)).map(ident)
  const migrations = MIGRATION_TABLES.filter((t) => existing.has(t)).map(ident)
  await owner.transaction(async (trx) => {
    await trx.raw(`GRANT USAGE ON SCHEMA public TO ${app}`)
    await trx.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app}`)
    await trx.raw(`REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM ${app}`)
    await trx.raw(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}`)
    if (appendOnly.length) await trx.raw(`REVOKE UPDATE, DELETE, TRUNCATE ON ${appendOnly.join(', ')} FROM ${app}`)
    if (migrations.length) await trx.raw(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${migrations.join(', ')} FROM ${app}`)
  })
  await installJobsSchema(owner, appRole)
}

/** Installs pg-boss's schema owned by the application's role, unless it is there. */
async function installJobsSchema(owner: Knex, appRole: string): Promise<void> {
  const { rows } = await owner.raw<{ rows: { owner: string; installed: boolean }[] }>(
    'SELECT n.nspname, pg_get_userbyid(n.nspowner) AS owner, to_regclass(?) IS NOT NULL AS installed FROM pg_namespace n WHERE n.nspname = ?',
    [`${JOBS_SCHEMA}.version`, JOBS_SCHEMA],
  )
  const schema = rows.at(0)
  if (schema?.installed) {
    if (schema.owner !== appRole)
      throw new Error(
        `le schéma ${JOBS_SCHEMA} (file de tâches) appartient à ${schema.owner}, pas au rôle de l'application ${appRole} : ALTER SCHEMA ${JOBS_SCHEMA} OWNER TO ${appRole} et ses objets (voir « Rôles de la base » dans docs/deployment.md)`,
      )
    return
  }
  const client = poolOf(owner)
  const conn = await client.acquireConnection()
  const database = ident((await conn.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d)
  try {
    try {
      await conn.query(`BEGIN; GRANT CREATE ON DATABASE ${database} TO ${ident(appRole)}; SET LOCAL ROLE ${ident(appRole)}`)
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined)
      throw new Error(
        `le rôle propriétaire ne peut pas installer la file de tâches au nom de ${appRole} (${errorMessage(err)}) : GRANT ${appRole} TO <propriétaire> (voir « Rôles de la base » dans docs/deployment.md)`,
      )
    }
    // pg-boss's own construction statements (its BEGIN is a no-op inside ours; its COMMIT ends both).
    await conn.query(PgBoss.getConstructionPlans(JOBS_SCHEMA)).catch(async (err) => {
      await conn.query('ROLLBACK').catch(() => undefined)
      throw err
    })
  } finally {
    // CREATE on the database was for the installation only.
    await conn.query(`REVOKE CREATE ON DATABASE ${database} FROM ${ident(appRole)}`).catch(() => undefined)
    await client.releaseConnection(conn)
  }
}

/** Creates the two roles if they do not exist (run as a superuser: the embedded default, the tests). */
export async function ensureRoles(
  admin: pg.Client,
  roles: { owner: string; app: string; ownerPassword?: string; appPassword?: string },
): Promise<void> {
  for (const [role, password] of [
    [roles.owner, roles.ownerPassword],
    [roles.app, roles.appPassword],
  ] as const) {
    const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])
    const options = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE${password ? ` PASSWORD '${password.replace(/'/g, "''")}'` : ''}`
    if (!exists.rowCount) {
      try {
        await admin.query(`CREATE ROLE ${ident(role)} ${options}`)
      } catch (err) {
        // Created meanwhile by another process (roles are shared by the whole cluster).
        const code = errorCode(err)
        if (code !== '42710' && code !== '23505') throw err
      }
    } else if (password) await admin.query(`ALTER ROLE ${ident(role)} ${options}`)
  }
  // The owner installs the job queue in the application role's name (SET ROLE).
  const member = await admin.query<{ ok: boolean }>('SELECT pg_has_role($1, $2, $3) AS ok', [roles.owner, roles.app, 'MEMBER'])
  if (!member.rows[0].ok)
    await admin.query(`GRANT ${ident(roles.app)} TO ${ident(roles.owner)}`).catch((err) => {
      if (errorCode(err) !== '23505') throw err
    })
}

/**
 * Gives `role` the objects of `schema` that another role owns (a database created before the roles
 * existed: everything then belonged to the superuser). Objects of extensions stay theirs. Superuser only.
 */
export async function adoptObjects(admin: pg.Client, schema: string, role: string): Promise<number> {
  const r = await admin.query<{ kind: string; name: string }>(
    `SELECT kind, name FROM (
       SELECT 1 AS ord, CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind,
              c.oid::regclass::text AS name, c.relowner AS owner, c.oid AS oid, 'pg_class'::regclass AS cls
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
       UNION ALL
       SELECT 2, 'FUNCTION', p.oid::regprocedure::text, p.proowner, p.oid, 'pg_proc'::regclass
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.prokind IN ('f', 'p')
       UNION ALL
       SELECT 3, 'TYPE', t.oid::regtype::text, t.typowner, t.oid, 'pg_type'::regclass
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = $1 AND t.typtype IN ('e', 'd', 'r')
     ) o
     WHERE pg_get_userbyid(o.owner) <> $2
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = o.cls AND d.objid = o.oid AND d.objsubid = 0
                         AND (d.deptype = 'e' OR (o.kind = 'FUNCTION' AND d.deptype = 'i')))
     ORDER BY ord, name`,
    [schema, role],
  )
  for (const o of r.rows) await admin.query(`ALTER ${o.kind} ${o.name} OWNER TO ${ident(role)}`)
  // Sequences not owned by a column (those follow their table), and partitions (they follow nothing).
  const rest = await admin.query<{ kind: string; name: string }>(
    `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind, c.oid::regclass::text AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND (c.relkind = 'S' OR c.relispartition) AND pg_get_userbyid(c.relowner) <> $2
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.objsubid = 0
                          AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))`,
    [schema, role],
  )
  for (const o of rest.rows) await admin.query(`ALTER ${o.kind} ${o.name} OWNER TO ${ident(role)}`)
  const owner = await admin.query<{ owner: string }>('SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1', [
    schema,
  ])
  if (schema !== 'public' && owner.rowCount && owner.rows[0].owner !== role)
    await admin.query(`ALTER SCHEMA ${ident(schema)} OWNER TO ${ident(role)}`)
  return r.rows.length + rest.rows.length
}

/** What the application's connection may do that it should not (checked at boot: refused in production). */
export async function appRoleProblems(db: Knex): Promise<string[]> {
  const { rows } = await db.raw<{ rows: { role: string; superuser: boolean; rewrites_log: boolean }[] }>(
    `SELECT current_user AS role, r.rolsuper AS superuser,
            to_regclass('activity_log') IS NOT NULL
              AND (has_table_privilege('activity_log', 'UPDATE') OR has_table_privilege('activity_log', 'DELETE')
                   OR has_table_privilege('activity_log', 'TRUNCATE')) AS rewrites_log
       FROM pg_roles r WHERE r.rolname = current_user`,
  )
  const r = rows[0]
  const problems: string[] = []
  if (r.superuser) problems.push(`le rôle ${r.role} de DATABASE_URL est superutilisateur`)
  else if (r.rewrites_log) problems.push(`le rôle ${r.role} de DATABASE_URL peut modifier ou supprimer le journal d'activité`)
  return problems
}
