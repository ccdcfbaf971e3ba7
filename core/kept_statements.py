"""Statements compiled once and run many times, for the lists whose queries are the same SQL
for the same inputs (incidents.queue_statements, sla.row_clocks): compiling a list's queries
was about half of an unchanged refresh's CPU (issue 18). A kept statement is run from the
cursor, its rows put through the converters the ORM would have applied.

On PostgreSQL a kept statement also runs through a cursor that binds its parameters on the
server (`kept_cursor`), so psycopg prepares it once it has run `prepare_threshold` times on a
connection (config/settings.py sets it for direct connections): PostgreSQL then skips parsing
and, once it settles on a generic plan, planning, which took more of the database's time than
executing on most pages. Django's own cursors bind on the client, where nothing is prepared.
That cursor takes the statement with PostgreSQL's own placeholders ($1, $2, …), written once
per statement (`native_placeholders`): psycopg keeps its own rewriting of `%s` only for
statements of at most 50 parameters and 4 KB, and rewrote a queue page's clocks and rows on
every request (a regular expression over the whole text).
Behind PgBouncer in transaction mode (DATABASE_POOLING=transaction) nothing is prepared, and a
kept statement runs through the connection's own cursor.
"""

import re
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import QuerySet

from core.process_memos import process_memo

T = TypeVar("T")


@dataclass(frozen=True)
class Statement:
    """A compiled statement; for a values query, the width of its rows (the ORM leaves out
    any extra column it selects) and the converters of its columns by position."""

    sql: str
    params: tuple[Any, ...]
    width: int | None = None
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...] = ()


def rows_statement(rows: QuerySet[Any]) -> Statement | None:
    """A values_list query's statement; None when the query can have no rows (an empty page:
    the ORM answers it without a statement)."""
    compiler = rows.query.get_compiler(using=rows.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    width = compiler.col_count
    converters = compiler.get_converters([column for column, _, _ in compiler.select[:width]])
    return Statement(
        sql,
        tuple(params),
        width,
        tuple((position, tuple(convs), column) for position, (convs, column) in converters.items()),
    )


def _prepares(alias: str) -> bool:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return False
    options = connection.settings_dict.get("OPTIONS", {})
    # Already binding on the server, or not preparing (Django's default: prepare_threshold None).
    if options.get("server_side_binding") is True:
        return False
    return options.get("prepare_threshold") is not None


# The statements kept so far in PostgreSQL's placeholders, by their text with Django's (`%s`,
# and `%%` for a percent sign). Most texts are a kept statement's own string, whose hash Python
# computes once; a text formatted anew for each call is hashed at each lookup.
NATIVE_KEPT = 1024
_NATIVE: dict[str, str] = process_memo({})
_PLACEHOLDER = re.compile(r"%(.)", re.DOTALL)


def native_placeholders(sql: str) -> str:
    """`sql` with PostgreSQL's placeholders ($1, $2, …) for Django's `%s`, and `%` for `%%`."""
    native = _NATIVE.get(sql)
    if native is None:
        count = 0

        def placeholder(match: re.Match[str]) -> str:
            nonlocal count
            if match.group(1) == "%":
                return "%"
            if match.group(1) != "s":
                raise ValueError(f"only %s placeholders can be kept: {match.group(0)!r}")
            count += 1
            return f"${count}"

        native = _PLACEHOLDER.sub(placeholder, sql)
        if len(_NATIVE) >= NATIVE_KEPT:
            _NATIVE.clear()
        _NATIVE[sql] = native
    return native


@cache
def _native_cursor_class() -> type:
    from psycopg import RawCursor

    class NativeCursor(RawCursor[Any]):
        """A cursor binding on the server that takes Django's placeholders and runs the
        statement with PostgreSQL's own (`native_placeholders`)."""

        def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
            if isinstance(query, str) and params is not None:
                query = native_placeholders(query)
            return super().execute(query, params, **options)

    return NativeCursor


class _KeptDebugCursor(CursorDebugWrapper):
    """Logs a kept statement with its parameters in place, as Django logs its own cursors'
    statements (the server's own text of it has $1 placeholders)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)


@contextmanager
def kept_cursor(alias: str) -> Iterator[CursorWrapper]:
    """A cursor of database `alias` for a statement run many times with the same SQL: on
    PostgreSQL one binding its parameters on the server, so that psycopg prepares the statement
    (see the module's docstring); elsewhere the connection's own cursor. Checked, wrapped and
    logged as Django's own cursors are (query counts and CaptureQueriesContext see it).

    On PostgreSQL the cursor is kept with the connection and used again by the next kept
    statement (`_KeptCursor`): making one, with its adapters and its loader of instants, cost
    about 20 µs, and a ticket page runs five to ten kept statements. A use inside another (a
    caller that ran a kept statement while reading another's rows) gets a cursor of its own."""
    connection = connections[alias]
    if not _prepares(alias):
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        kept = _KeptCursor.of(connection)
    if kept is None:
        with connection.wrap_database_errors:
            raw = _raw_cursor(connection)
        with _wrapper(connection)(raw, connection) as cursor:
            yield cursor
        return
    kept.busy = True
    try:
        yield kept.cursor
    finally:
        kept.busy = False


def _raw_cursor(connection: Any) -> Any:
    """A new cursor of the connection's that reads instants as the backend's cursors do."""
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.types.datetime import TimestamptzLoader

    raw = _native_cursor_class()(connection.connection)
    # The backend's cursors read instants in the connection's zone through Django's Python
    # subclass of psycopg's loader, about 4 µs a value (the 400 instants of a queue page took a
    # millisecond, issue 18), which only attaches the connection's zone again to what psycopg's
    # own loader, in C, gives in the session's zone; Django sets the session's zone to the
    # connection's.
    if connection.connection.info.timezone == connection.timezone:
        raw.adapters.register_loader("timestamptz", TimestamptzLoader)
    else:
        register_tzloader(connection.timezone, raw)
    return raw


def _wrapper(connection: Any) -> type[CursorWrapper]:
    return _KeptDebugCursor if connection.queries_logged else CursorWrapper


class _KeptCursor:
    """The cursor kept statements share on one connection of a thread (Django's connection
    objects are per thread), wrapped as Django wraps its own. It is made again when what it was
    made for changes: the database connection (closed and opened again), the zones instants are
    read in (a test changing TIME_ZONE sets the session's again on the same connection), or
    whether statements are logged (CaptureQueriesContext)."""

    __slots__ = ("busy", "cursor", "made_for")

    def __init__(self, made_for: tuple[Any, ...], cursor: CursorWrapper) -> None:
        self.made_for = made_for
        self.cursor = cursor
        self.busy = False

    @classmethod
    def of(cls, connection: Any) -> "_KeptCursor | None":
        """The connection's kept cursor, made if need be; None while it is in use."""
        kept: _KeptCursor | None = connection.__dict__.get(_KEPT_CURSOR)
        if kept is not None and kept.busy:
            return None
        database = connection.connection
        made_for = (
            database,
            connection.timezone_name,
            database.pgconn.parameter_status(b"TimeZone"),
            connection.queries_logged,
        )
        if kept is None or kept.made_for != made_for or kept.cursor.cursor.closed:
            kept = cls(made_for, _wrapper(connection)(_raw_cursor(connection), connection))
            connection.__dict__[_KEPT_CURSOR] = kept
        return kept


_KEPT_CURSOR = "_servicedesk_kept_cursor"


def fetch(alias: str, statement: Statement) -> list[tuple[Any, ...]]:
    """The rows of a kept values statement, as the ORM's values_list gives them."""
    connection = connections[alias]
    with kept_cursor(alias) as cursor:
        cursor.execute(statement.sql, statement.params)
        rows = cursor.fetchall()
    if not statement.converters and statement.width is None:
        return rows
    converted = []
    for row in rows:
        values = list(row[: statement.width])
        for position, convs, column in statement.converters:
            value = values[position]
            for converter in convs:
                value = converter(value, column, connection)
            values[position] = value
        converted.append(tuple(values))
    return converted


ROWS_KEPT = 512
_ROWS: dict[Hashable, tuple[str, Statement | None]] = process_memo({})


def kept_rows(key: Hashable, build: Callable[[], QuerySet[Any]]) -> list[tuple[Any, ...]]:
    """The rows of values query `build()`, its statement compiled once for `key` (which must
    name every input of its SQL, the database included) and kept, ROWS_KEPT per process."""
    if key not in _ROWS:
        if len(_ROWS) >= ROWS_KEPT:
            _ROWS.clear()
        rows = build()
        _ROWS[key] = (rows.db, rows_statement(rows))
    alias, statement = _ROWS[key]
    return [] if statement is None else fetch(alias, statement)


# Stand-ins for the one value a kept statement is compiled without (`kept_by`): values no row
# holds (no id is negative; no ticket number holds a control character), of the type of the value
# they stand for, so the ORM prepares them as it prepares that value.
STAND_INS: dict[type, Any] = {int: -918_273_645, str: "\x1fkept statement\x1f"}
BY_KEPT = 512
_BY: dict[Hashable, tuple[Any, tuple[tuple[int, type], ...]] | None] = process_memo({})


def kept_by(
    key: Hashable,
    compile_for: Callable[[Any], T | None],
    statement_of: Callable[[T], Statement],
    value: Any,
) -> tuple[T, Statement] | None:
    """For a query that differs from one call to the next only in `value` (a ticket's id or
    number): what `compile_for` makes of it, compiled once for `key` (which must name every
    other input of its SQL, the database included) with a stand-in for the value (STAND_INS),
    and its statement (`statement_of`) with `value` filled in where the stand-in was. None when
    it cannot be kept so (a value of another type, a query that can have no rows, or a stand-in
    the ORM did not pass as a parameter): the caller compiles for the value itself. BY_KEPT
    per process."""
    stand_in = STAND_INS.get(type(value))
    if stand_in is None:
        return None
    if key not in _BY:
        if len(_BY) >= BY_KEPT:
            _BY.clear()
        compiled = compile_for(stand_in)
        params = () if compiled is None else statement_of(compiled).params
        # The ORM may pass the value as a subtype of its own (psycopg's Int8 for a big integer
        # column on PostgreSQL): the value is filled in as that type.
        positions = tuple(
            (i, type(p))
            for i, p in enumerate(params)
            if isinstance(p, type(value)) and p == stand_in
        )
        _BY[key] = (compiled, positions) if positions else None
    kept = _BY[key]
    if kept is None:
        return None
    compiled, positions = kept
    statement = statement_of(compiled)
    filled = list(statement.params)
    for position, kind in positions:
        filled[position] = value if kind is type(value) else kind(value)
    return compiled, replace(statement, params=tuple(filled))


def kept_rows_by(key: Hashable, build: Callable[[Any], QuerySet[Any]], value: Any) -> list[Any]:
    """The rows of values query `build(value)`, its statement kept as `kept_by` keeps it (else
    read as the queryset reads them)."""

    def compile_for(stand_in: Any) -> tuple[str, Statement] | None:
        rows = build(stand_in)
        statement = rows_statement(rows)
        return None if statement is None else (rows.db, statement)

    kept = kept_by(("rows", key), compile_for, lambda compiled: compiled[1], value)
    if kept is None:
        return list(build(value))
    (alias, _), statement = kept
    return fetch(alias, statement)
