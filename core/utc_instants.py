"""Instants read from PostgreSQL through psycopg's C loader, for the lists that read hundreds.

Django reads every timestamptz through a Python subclass of psycopg's loader (it attaches the
connection's time zone), about 4 µs a value: the 300 instants of a queue page's SLA clocks
took over a millisecond of its CPU (issue 18). Selected as UTC wall time (timestamp without
time zone), a value is read by psycopg's C loader, and `aware` gives back the datetime Django
would have given (the connection's time zone is UTC: settings.DATABASES sets no TIME_ZONE).
Other databases read the column as it is.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from django.db.models import DateTimeField, F, Func


class UtcWallTime(Func):
    """PostgreSQL: an instant as UTC wall time, a timestamp without time zone."""

    template = "(%(expressions)s AT TIME ZONE 'UTC')"
    output_field = DateTimeField()


def reads_wall_time(alias: str) -> bool:
    """Whether instant columns are read as UTC wall time on this database."""
    return connections[alias].vendor == "postgresql"


def instant_column(column: Any, alias: str) -> Any:
    """What to select for an instant (a field name or an expression) on database `alias`."""
    if not reads_wall_time(alias):
        return column
    return UtcWallTime(F(column) if isinstance(column, str) else column)


def aware(
    rows: Iterable[tuple[Any, ...]], positions: Sequence[int], alias: str
) -> list[tuple[Any, ...]]:
    """`rows` with the instants at `positions` (read with `instant_column`) aware again."""
    if not reads_wall_time(alias):
        return list(rows)
    fixed = []
    for row in rows:
        values = list(row)
        for position in positions:
            value: datetime | None = values[position]
            if value is not None:
                values[position] = value.replace(tzinfo=UTC)
        fixed.append(tuple(values))
    return fixed
