"""SQL that makes the timeline append-only in the database itself (DESIGN.md §8).

Triggers refuse UPDATE and DELETE row by row (migration 0002) and, on PostgreSQL, TRUNCATE of the
whole table (migration 0009): row triggers never see a TRUNCATE, and an owner's slip of the hand
must not empty the audit trail. The runtime role cannot even try (core/db_roles.py): it owns
nothing, so it can neither truncate nor disable or drop these triggers.
"""

TABLE = "core_timelineevent"

SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'timeline events are append-only'); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'timeline events are append-only'); END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
]

POSTGRES_CREATE = [
    "CREATE OR REPLACE FUNCTION core_timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'timeline events are append-only'; END $$",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION core_timeline_append_only()",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS core_timeline_append_only()",
]

# SQLite has no TRUNCATE: its `DELETE FROM` without WHERE goes through the row trigger above.
TRUNCATE_TRIGGER = f"{TABLE}_no_truncate"
POSTGRES_TRUNCATE_CREATE = [
    f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {TABLE}",
    f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_append_only()",
]
POSTGRES_TRUNCATE_DROP = [f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {TABLE}"]


def statements(vendor: str, *, create: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    if vendor == "postgresql":
        return POSTGRES_CREATE if create else POSTGRES_DROP
    return []


def truncate_guard_statements(vendor: str, *, create: bool) -> list[str]:
    """The statement-level TRUNCATE trigger; it reuses the row triggers' function of 0002."""
    if vendor == "postgresql":
        return POSTGRES_TRUNCATE_CREATE if create else POSTGRES_TRUNCATE_DROP
    return []
