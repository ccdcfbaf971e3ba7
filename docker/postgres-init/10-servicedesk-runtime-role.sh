#!/usr/bin/env bash
# Creates the runtime role of a two-role deployment (docs/deployment.md): web, worker and beat
# connect as it; it owns nothing, so it cannot alter, truncate or disable the triggers of the
# timeline. The owner is the image's POSTGRES_USER, which owns the database and runs `migrate`;
# `migrate` grants this role its table privileges (core/db_roles.py).
#
# The postgres image runs this once, from /docker-entrypoint-initdb.d/, when it initialises an
# empty data directory. It is safe to run again, e.g. to add the role to an existing volume:
#   docker compose exec postgres bash /docker-entrypoint-initdb.d/10-servicedesk-runtime-role.sh
#
# Reads: SERVICEDESK_RUNTIME_PASSWORD (required), SERVICEDESK_RUNTIME_ROLE (servicedesk_app),
# POSTGRES_USER and POSTGRES_DB as the image does; psql's own PG* variables choose the server.
set -eo pipefail

if [ -z "${SERVICEDESK_RUNTIME_PASSWORD:-}" ]; then
    echo "SERVICEDESK_RUNTIME_PASSWORD is not set: the runtime role needs a password." >&2
    exit 1
fi
owner="${POSTGRES_USER:-postgres}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$owner" --dbname "${POSTGRES_DB:-$owner}" \
    --set=runtime_role="${SERVICEDESK_RUNTIME_ROLE:-servicedesk_app}" \
    --set=runtime_password="$SERVICEDESK_RUNTIME_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I', :'runtime_role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'runtime_role')
\gexec
ALTER ROLE :"runtime_role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
    NOBYPASSRLS PASSWORD :'runtime_password';
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'runtime_role')
\gexec
-- Tables only the owner creates (PostgreSQL 15 and later revoke this by default already).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"runtime_role";
SQL
