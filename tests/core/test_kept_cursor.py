"""Kept statements run through `core.kept_statements.kept_cursor`: on PostgreSQL with a direct
connection it binds on the server, so psycopg prepares a statement from its second run and
PostgreSQL keeps its parse (and, once it settles on one, its plan); the rows are those of
Django's own cursor, instants included; query logs and counts show the statement with its
values in place. It takes Django's placeholders and runs the statement with PostgreSQL's own,
written once per statement, and reads instants through psycopg's own loader. With preparing
off (DATABASE_POOLING=transaction) and on SQLite it is the connection's own cursor."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.kept_statements import kept_cursor, native_placeholders

pytestmark = pytest.mark.django_db

PORTABLE = ("SELECT %s + 1, %s", (41, "it's"), (42, "it's"))
INSTANT = datetime(2026, 12, 5, 18, 30, tzinfo=UTC)
# On PostgreSQL with an instant: psycopg reads it as Django's own cursor does, in UTC.
TYPED = (
    "SELECT %s::int + 1, %s::timestamptz, %s::text",
    (41, INSTANT, "it's"),
    (42, INSTANT, "it's"),
)


def _statement() -> tuple[str, tuple, tuple]:
    return TYPED if connection.vendor == "postgresql" else PORTABLE


def _run() -> tuple:
    sql, params, _ = _statement()
    with kept_cursor("default") as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_rows_are_the_connections_rows() -> None:
    sql, params, wanted = _statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchone() == wanted
    for _ in range(3):
        assert _run() == wanted


def test_the_log_shows_the_statement_with_its_values() -> None:
    with CaptureQueriesContext(connection) as captured:
        _run()
    (query,) = captured.captured_queries
    assert "41" in query["sql"] and "'it''s'" in query["sql"] and "%s" not in query["sql"]
    assert "$1" not in query["sql"]


def test_postgresql_prepares_a_kept_statement_on_its_second_run() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite prepares nothing: the kept cursor is the connection's own")
    for _ in range(3):
        _run()
    assert any("$1::int + 1" in statement for statement in _prepared())


def test_nothing_is_prepared_when_preparing_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite prepares nothing: the kept cursor is the connection's own")
    # As config/settings.py sets it for DATABASE_POOLING=transaction (PgBouncer).
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    for _ in range(3):
        assert _run() == TYPED[2]
    assert not any("$1::int + 1" in statement for statement in _prepared())


def test_placeholders_are_written_as_postgresqls_own() -> None:
    sql = "SELECT a FROM t WHERE b = %s AND c LIKE '%%x' AND d IN (%s, %s)"
    assert (
        native_placeholders(sql) == "SELECT a FROM t WHERE b = $1 AND c LIKE '%x' AND d IN ($2, $3)"
    )
    assert native_placeholders(sql) is native_placeholders(sql)  # written once, then kept
    with pytest.raises(ValueError, match="only %s placeholders"):
        native_placeholders("SELECT %(name)s")


def test_a_percent_sign_and_many_parameters_read_as_on_djangos_cursor() -> None:
    # Past 50 parameters psycopg would rewrite the statement on every run.
    ids = list(range(60))
    sql = f"SELECT %s || '%%', {' + '.join(['%s'] * len(ids))}"
    with connection.cursor() as cursor:
        cursor.execute(sql, ("x", *ids))
        wanted = cursor.fetchone()
    with kept_cursor("default") as cursor:
        cursor.execute(sql, ("x", *ids))
        assert cursor.fetchone() == wanted == ("x%", sum(ids))


def test_instants_are_read_by_psycopgs_own_loader_in_the_connections_zone() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's instants are text turned into datetimes by Django's converters")
    from psycopg.postgres import types
    from psycopg.pq import Format

    with kept_cursor("default") as cursor:
        cursor.execute("SELECT %s::timestamptz", (INSTANT,))
        (read,) = cursor.fetchone()
        loader = cursor.cursor.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
    assert read == INSTANT and read.tzinfo is UTC
    # psycopg's own (its C build here), not Django's Python subclass that attaches the zone again.
    assert loader.__module__.split(".")[0] in ("psycopg", "psycopg_binary", "psycopg_c")
