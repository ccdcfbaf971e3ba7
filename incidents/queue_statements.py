"""The triage queue's statements, compiled once per shape on PostgreSQL (issue 18).

Building and compiling the queue's statements (the tab counts, the page's rows, the refresh's
row states) was about half of an unchanged refresh's CPU, yet for the same inputs they are
the same SQL with the same parameters. Those inputs are named here, not guessed
(`statement_key`): the database, the viewer's id and scope (incidents.selectors), the tab, the
paging hooks and the incident content type (the "Paged" subquery), the page size and count cap,
and the filters' cleaned values, only for filters whose SQL depends on nothing but their value
(PURE_FILTERS). A request with any other filter (the SLA state filter reads the clock), an
invalid filter form or a value of an unknown type is compiled as before. Each statement still
runs on every request; only its text, parameters and column converters are kept (the rows go
through the converters as the ORM would put them), STATEMENTS_KEPT per process.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet

from core.tickets.paging_hooks import paging_hooks
from incidents.models import Incident

# Filters whose SQL is a function of their cleaned value alone (core.filtering.TicketFilterSet,
# incidents.filtersets.IncidentFilterSet). A filter added there is compiled every time until
# it is named here.
PURE_FILTERS = frozenset(
    {
        "q",
        "open",
        "status",
        "priority",
        "tier",
        "service",
        "impact",
        "urgency",
        "requester",
        "configuration_item",
        "created_after",
        "created_before",
        "resolved_after",
        "resolved_before",
        "support_group",
        "assignee",
        "ordering",
    }
)
STATEMENTS_KEPT = 512


@dataclass(frozen=True)
class Statement:
    """A compiled statement; for a values query, the width of its rows (the ORM leaves out
    any extra column it selects) and the converters of its columns by position."""

    sql: str
    params: tuple[Any, ...]
    width: int | None = None
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...] = ()


StatementKey = tuple[Hashable, ...]
_STATEMENTS: dict[StatementKey, Statement] = {}
_EMPTY: tuple[Any, ...] = (None, "", [], ())


class _UnnamedValueError(Exception):
    """A value the key cannot name."""


def _value_key(value: Any) -> Hashable:
    if isinstance(value, Model):
        return (value._meta.label, value.pk)
    if isinstance(value, list | tuple):
        return tuple(_value_key(item) for item in value)
    if isinstance(value, datetime | date):
        return (type(value).__name__, value.isoformat())
    if value is None or isinstance(value, bool | int | str):
        return (type(value).__name__, value)
    raise _UnnamedValueError


def statement_key(filterset: Any, *, alias: str, scope: Hashable, tab: str) -> StatementKey | None:
    """What the queue's statements for this request are made from; None: compile them."""
    if not filterset.form.is_valid():
        return None
    cleaned = filterset.form.cleaned_data
    try:
        filters = tuple(
            (name, _value_key(value))
            for name, value in sorted(cleaned.items())
            if value not in _EMPTY or name in PURE_FILTERS
        )
    except _UnnamedValueError:
        return None
    if any(name not in PURE_FILTERS for name, _ in filters):
        return None
    return (
        alias,
        scope,
        tab,
        paging_hooks(),
        ContentType.objects.get_for_model(Incident).pk,
        settings.QUEUE_PAGE_SIZE,
        settings.LIST_COUNT_CAP,
        filters,
    )


def kept_statement(
    key: StatementKey | None, compile_statement: Callable[[], Statement | None]
) -> Statement | None:
    """The statement kept under `key`, else compiled now (and kept when `key` is not None);
    None when it cannot be run from the cursor."""
    if key is not None:
        kept = _STATEMENTS.get(key)
        if kept is not None:
            return kept
    statement = compile_statement()
    if key is not None and statement is not None:
        if len(_STATEMENTS) >= STATEMENTS_KEPT:
            _STATEMENTS.clear()
        _STATEMENTS[key] = statement
    return statement


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


def fetch(alias: str, statement: Statement) -> list[tuple[Any, ...]]:
    """The rows of a kept values statement, as the ORM's values_list gives them."""
    connection = connections[alias]
    with connection.cursor() as cursor:
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
