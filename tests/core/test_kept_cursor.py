"""Kept statements run through `core.kept_statements.kept_cursor`: on PostgreSQL with a direct
connection it binds on the server, so psycopg prepares a statement from its second run and
PostgreSQL keeps its parse (and, once it settles on one, its plan); the rows are those of
Django's own cursor, instants included; query logs and counts show the statement with its
values in place. It takes Django's placeholders and runs the statement with PostgreSQL's own,
written once per statement, and reads instants through psycopg's own loader. One cursor serves
a connection's kept statements, made again for a new connection, session zone or query log; a
use inside another gets its own. With preparing off (DATABASE_POOLING=transaction) and on SQLite
it is the connection's own cursor."""

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


def _postgresql_preparing() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite: the kept cursor is the connection's own, made for each use")


def _raw() -> object:
    with kept_cursor("default") as cursor:
        return cursor.cursor


def test_one_cursor_serves_the_kept_statements_of_a_connection() -> None:
    _postgresql_preparing()
    assert _raw() is _raw()
    for _ in range(3):
        assert _run() == TYPED[2]


def test_a_use_inside_another_gets_a_cursor_of_its_own() -> None:
    _postgresql_preparing()
    with kept_cursor("default") as outer:
        outer.execute("SELECT %s::int", (1,))
        with kept_cursor("default") as inner:
            assert inner.cursor is not outer.cursor
            inner.execute("SELECT %s::int", (2,))
            assert inner.fetchall() == [(2,)]
        assert outer.fetchall() == [(1,)]
    assert _raw() is outer.cursor  # the kept one again, once free


def test_a_new_cursor_for_a_new_zone_and_the_query_log() -> None:
    _postgresql_preparing()
    first = _raw()
    with CaptureQueriesContext(connection):
        logged = _raw()
    assert logged is not first and _raw() is not logged
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Berlin'")
    try:
        # Django's cursors read instants as if the session's zone were the connection's (UTC);
        # a kept cursor made before the session's zone changed would read them in Berlin's.
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::timestamptz", (INSTANT,))
            (wanted,) = cursor.fetchone()
        with kept_cursor("default") as cursor:
            cursor.execute("SELECT %s::timestamptz", (INSTANT,))
            (read,) = cursor.fetchone()
        assert (read, read.tzinfo) == (wanted, wanted.tzinfo) and read.tzinfo is UTC
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")


@pytest.mark.django_db(transaction=True)
def test_a_new_cursor_for_a_new_connection() -> None:
    _postgresql_preparing()
    kept = _raw()
    connection.close()
    assert _raw() is not kept and _run() == TYPED[2]
