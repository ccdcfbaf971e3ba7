"""What the runtime database role may do on PostgreSQL (DESIGN.md §8, docs/deployment.md).

Web, worker and beat connect as a role that owns nothing; `manage.py migrate` connects as the
owner of the schema and, at the end of every run, grants the runtime role named by
DATABASE_RUNTIME_ROLE exactly this:

- every table: SELECT, INSERT, UPDATE, DELETE — never TRUNCATE, REFERENCES or TRIGGER;
- every sequence: USAGE, SELECT, UPDATE (`nextval` for ticket numbers, `setval` after bulk loads);
- the audit trail — timeline events and the replies and files they point at — SELECT and INSERT
  only: the application writes them once and never changes them, and a reply rewritten after the
  fact would rewrite the history its event records;
- `django_migrations`: SELECT only, so only the owner can record a migration.

Because the runtime role owns no table, PostgreSQL refuses it ALTER TABLE (DISABLE TRIGGER), DROP
TRIGGER, DROP TABLE and TRUNCATE whatever it was granted. Grants run after every migration, so a
table added by a later migration is covered the moment `migrate` finishes; default privileges
cover tables the owner creates outside migrations too (only with the ordinary table grants: the
append-only list is applied by name, here).
"""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql

APPEND_ONLY_TABLES = ("core_timelineevent", "core_comment", "core_attachment")
READ_ONLY_TABLES = ("django_migrations",)
TABLE_PRIVILEGES = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
NEVER_ON_TABLES = sql.SQL("TRUNCATE, REFERENCES, TRIGGER")
SEQUENCE_PRIVILEGES = sql.SQL("USAGE, SELECT, UPDATE")


class RuntimeRoleError(CommandError):
    """DATABASE_RUNTIME_ROLE names a role that cannot be the runtime role, or `migrate` does not
    run as the owner; `migrate` stops with this message (its own work is already committed)."""


def _role_problem(cursor: Any, role: str) -> str | None:
    cursor.execute(
        "SELECT rolsuper, pg_has_role(%s, current_user, 'MEMBER') FROM pg_roles WHERE rolname = %s",
        [role, role],
    )
    row = cursor.fetchone()
    if row is None:
        return (
            f"the role {role!r} does not exist: create it first "
            "(docker/postgres-init/10-servicedesk-runtime-role.sh)"
        )
    is_superuser, acts_as_owner = row
    if is_superuser:
        return f"the role {role!r} is a superuser: it could rewrite the timeline"
    if acts_as_owner:
        return f"the role {role!r} is a member of the owner role: it could rewrite the timeline"
    cursor.execute(
        "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
        "WHERE oid = to_regclass(%s)",
        [APPEND_ONLY_TABLES[0]],
    )
    owner_row = cursor.fetchone()
    if owner_row is not None and not owner_row[0]:
        return (
            "migrate does not run as the owner of the tables: run it with DATABASE_URL set to "
            "the owner's connection"
        )
    return None


def _existing(cursor: Any, tables: tuple[str, ...]) -> list[str]:
    cursor.execute(
        "SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(name) IS NOT NULL",
        [list(tables)],
    )
    return [name for (name,) in cursor.fetchall()]


def runtime_grant_statements(
    role: str, schema: str, append_only: list[str], read_only: list[str]
) -> list[sql.Composed]:
    """The GRANT/REVOKE statements for `role` on `schema`, in the order they must run: the broad
    grants first, then the narrower rules for the named tables."""
    who, where = sql.Identifier(role), sql.Identifier(schema)
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(where, who),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(TABLE_PRIVILEGES, where, who),
        sql.SQL("REVOKE {} ON ALL TABLES IN SCHEMA {} FROM {}").format(NEVER_ON_TABLES, where, who),
        sql.SQL("GRANT {} ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
            SEQUENCE_PRIVILEGES, where, who
        ),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON TABLES TO {}").format(
            where, TABLE_PRIVILEGES, who
        ),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON SEQUENCES TO {}").format(
            where, SEQUENCE_PRIVILEGES, who
        ),
    ]
    for table, allowed in [
        *((name, "SELECT, INSERT") for name in append_only),
        *((name, "SELECT") for name in read_only),
    ]:
        target = sql.Identifier(schema, table)
        statements += [
            sql.SQL("REVOKE ALL ON {} FROM {}").format(target, who),
            sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(allowed), target, who),
        ]
    return statements


def runtime_privileges_grant(connection: BaseDatabaseWrapper, role: str) -> None:
    """Give `role` the runtime privileges above on `connection`'s schema, in one transaction.

    Idempotent. Does nothing when `connection` already is `role` (nothing to grant to oneself);
    raises RuntimeRoleError, granting nothing, when the role is missing, could act as the owner,
    or the connection is not the owner's."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        current_user, schema = cursor.fetchone()
        if current_user == role:
            return
        problem = _role_problem(cursor, role)
        if problem is not None:
            raise RuntimeRoleError(f"DATABASE_RUNTIME_ROLE: {problem}.")
        raw = connection.connection
        for statement in runtime_grant_statements(
            role,
            schema,
            _existing(cursor, APPEND_ONLY_TABLES),
            _existing(cursor, READ_ONLY_TABLES),
        ):
            cursor.execute(statement.as_string(raw))


def runtime_privileges_grant_configured(using: str) -> None:
    """The end of every `migrate`: grant DATABASE_RUNTIME_ROLE its privileges, if one is set and
    the database is PostgreSQL (SQLite has no roles)."""
    role = settings.DATABASE_RUNTIME_ROLE
    connection = connections[using]
    if role and connection.vendor == "postgresql":
        runtime_privileges_grant(connection, role)
