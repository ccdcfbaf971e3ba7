"""Human ticket numbers (INC-000123) that are unique under concurrency.

PostgreSQL: one sequence per prefix (`nextval` never waits for another transaction).
SQLite: an upsert on the counter row; SQLite serialises writers, so this is safe there too.
A rolled-back transaction may leave a gap; numbers are never reused.
"""

from django.db import connection
from django.db.migrations.operations.special import RunPython

from core.models import TicketCounter


def sequence_name(prefix: str) -> str:
    return f"core_ticket_number_{prefix.lower()}"


def allocate_number(prefix: str, width: int = 6) -> str:
    """Return the next number for `prefix`, formatted `PREFIX-000042`."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(%s)", [sequence_name(prefix)])
        else:
            cursor.execute(
                "INSERT INTO core_ticketcounter (prefix, last_value) VALUES (%s, 1) "
                "ON CONFLICT (prefix) DO UPDATE SET last_value = core_ticketcounter.last_value + 1 "
                "RETURNING last_value",
                [prefix],
            )
        row = cursor.fetchone()
    return f"{prefix}-{int(row[0]):0{width}d}"


def advance_counter(prefix: str, at_least: int) -> None:
    """Make sure the next number is above `at_least` (used after bulk inserts with own numbers)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            name = sequence_name(prefix)
            cursor.execute(
                "SELECT setval(%s, GREATEST(%s, "
                "COALESCE(pg_sequence_last_value(%s::regclass), 0)))",
                [name, at_least, name],
            )
        else:
            cursor.execute(
                "INSERT INTO core_ticketcounter (prefix, last_value) VALUES (%s, %s) "
                "ON CONFLICT (prefix) DO UPDATE SET last_value = "
                "MAX(core_ticketcounter.last_value, excluded.last_value)",
                [prefix, at_least],
            )


def create_number_sequence(prefix: str) -> RunPython:
    """A migration operation creating the PostgreSQL sequence for `prefix` (no-op elsewhere)."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence_name(prefix)}")

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP SEQUENCE IF EXISTS {sequence_name(prefix)}")

    return RunPython(forwards, backwards)


def reserve_numbers(prefix: str, count: int) -> list[int]:
    """Take `count` numbers for `prefix` at once, as allocate_number would one by one.

    PostgreSQL: `count` nextval calls in one statement (concurrent callers interleave safely).
    SQLite: one upsert moves the counter by `count`; SQLite serialises writers.
    """
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)", [sequence_name(prefix), count]
            )
            return sorted(int(row[0]) for row in cursor.fetchall())
        table = connection.ops.quote_name(TicketCounter._meta.db_table)
        cursor.execute(
            f"INSERT INTO {table} (prefix, last_value) VALUES (%s, %s) "  # noqa: S608 — model's table
            f"ON CONFLICT (prefix) DO UPDATE SET last_value = {table}.last_value + "
            "excluded.last_value RETURNING last_value",
            [prefix, count],
        )
        row = cursor.fetchone()
    last = int(row[0])
    return list(range(last - count + 1, last + 1))
