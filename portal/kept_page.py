"""The statements of "My tickets", compiled once and kept (core.kept_statements), with a page's
rows read as values.

Before, a page cost ten statements: per kind its keys, then its tickets (as model instances)
and then their SLA clocks, and a count per kind; building and compiling those querysets and
making the instances was most of the page's CPU (issue 18). Now a kind's part of a page is one
statement that reads the keys with the line's values (number, title, the fields its kind's
`PortalSpec.line_fields` names) and, joined on the page's rows only, their clocks' metric, state
and due time; the counts of every kind are one statement. Each is compiled once per key and
only run afterwards; the key names every input of its SQL: the database, the requester's id (the
list is their own tickets), the kind and its portal declaration (the filters' conditions), the
?show= filter, the cursor and the number of rows.
"""

from collections import namedtuple
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models import Field, QuerySet

from core.kept_statements import Statement, fetch, rows_statement
from core.keyset import RowKey, branch_rows
from core.models import TicketBase
from core.process_memos import process_memo
from sla.models import SlaClock
from sla.selectors import METRIC_ORDER

# What every line shows of its ticket, after the list's moment and id.
LINE_COLUMNS = ("number", "title")
# What a line reads of a clock (portal.expectations): joined to each of the page's rows.
CLOCK_COLUMNS = ("metric", "state", "due_at")


@dataclass(frozen=True, slots=True)
class LineClock:
    """An SLA clock as a line of "My tickets" reads it (portal.expectations)."""

    metric: str
    state: str
    due_at: datetime | None


@dataclass(frozen=True)
class _KindPage:
    """A kind's kept page statement: its rows are the branch's columns (`width` of them), then
    the CLOCK_COLUMNS of one of the row's clocks (NULL when it has none)."""

    alias: str
    statement: Statement
    width: int
    line: Any  # the named tuple of the kind's line values


def _line_type(model: type[TicketBase], field: str, fields: Sequence[str]) -> Any:
    # A type made at run time, per kind.
    return namedtuple(f"{model.__name__}Line", (field, "pk", *LINE_COLUMNS, *fields))


def _compile(branch: QuerySet[Any], width: int, line: Any) -> _KindPage | None:
    alias = branch.db
    rows = rows_statement(branch)
    if rows is None:
        return None
    clocks = rows_statement(SlaClock.objects.using(alias).values_list(*CLOCK_COLUMNS))
    assert clocks is not None and rows.width == width
    quote = connections[alias].ops.quote_name

    def column(name: str) -> str:
        field = SlaClock._meta.get_field(name)
        assert isinstance(field, Field) and field.column
        return str(quote(field.column))

    table = quote(SlaClock._meta.db_table)
    columns = [f"c.{column(name)}" for name in CLOCK_COLUMNS]
    type_column, id_column = column("ticket_type"), column("ticket_id")
    # Only table and column names from the models are written in; values are parameters. The
    # join reads the clocks of the page's rows only (the branch is limited inside).
    sql = (
        f"SELECT page.*, {', '.join(columns)} FROM ({rows.sql}) AS page "  # noqa: S608
        f"LEFT JOIN {table} AS c ON c.{type_column} = %s AND c.{id_column} = page.{quote('id')}"
    )
    content_type = ContentType.objects.db_manager(alias).get_for_model(branch.model).pk
    converters = rows.converters + tuple(
        (width + position, convs, col) for position, convs, col in clocks.converters
    )
    return _KindPage(
        alias, Statement(sql, (*rows.params, content_type), None, converters), width, line
    )


PAGES_KEPT = 512
_PAGES: dict[Hashable, _KindPage | None] = process_memo({})


def kind_page_rows(
    key: Hashable,
    branch: Callable[[], QuerySet[Any]],
    *,
    kind: str,
    model: type[TicketBase],
    fields: Sequence[str],
    field: str,
    limit: int,
    after: RowKey | None,
    older: bool,
) -> list[tuple[RowKey, Any, list[LineClock]]]:
    """A kind's next `limit` lines after `after`, in list order: each its key, its line values
    (a named tuple: `field`, pk, LINE_COLUMNS, `fields`) and its clocks, response first. `key`
    names every input of `branch()`'s SQL but the cursor, the direction and the size; one
    statement, compiled once per key, cursor, direction and size (PAGES_KEPT per process)."""
    kept_key = (key, after, older, limit)
    if kept_key not in _PAGES:
        columns = (*LINE_COLUMNS, *fields)
        rows = branch_rows(
            branch(), kind=kind, field=field, limit=limit, after=after, older=older, columns=columns
        )
        if len(_PAGES) >= PAGES_KEPT:
            _PAGES.clear()
        _PAGES[kept_key] = _compile(rows, 2 + len(columns), _line_type(model, field, fields))
    kept = _PAGES[kept_key]
    if kept is None:
        return []
    found: dict[int, tuple[RowKey, Any, list[LineClock]]] = {}
    for row in fetch(kept.alias, kept.statement):
        pk = row[1]
        entry = found.get(pk)
        if entry is None:
            values = kept.line(*row[: kept.width])
            entry = found[pk] = (RowKey(row[0], pk, kind), values, [])
        metric, state, due_at = row[kept.width :]
        if metric is not None:
            entry[2].append(LineClock(metric, state, due_at))
    lines = sorted(found.values(), key=lambda entry: (entry[0].at, entry[0].pk), reverse=older)
    for _, _, clocks in lines:
        clocks.sort(key=lambda clock: METRIC_ORDER.get(clock.metric, 9))
    return lines
