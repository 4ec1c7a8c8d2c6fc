#!/bin/sh
# Run once by the postgres image on an empty data folder (/docker-entrypoint-initdb.d): the two roles of
# docs/deployment.md §4. The owner owns the database and runs the migrations; the site and the worker
# connect as the application's role, which may not rewrite the activity log. Neither is a superuser.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$MES_OWNER_PASSWORD" -v app_password="$MES_APP_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE mes_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE mes_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
-- The owner installs the job queue's schema in the application role's name (SET ROLE).
GRANT mes_app TO mes_owner;
ALTER DATABASE :"db" OWNER TO mes_owner;
SQL
