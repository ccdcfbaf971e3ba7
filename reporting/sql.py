"""The few places where PostgreSQL and SQLite need different SQL, and the statistics built on it.

Reports compose SQL around querysets compiled by the ORM (so every filter stays in one place) and
run it with the cursor of `read_connection()` (the replica inside a replica scope,
core.read_replica; else the primary). Two dialect differences matter here:

- seconds between two timestamps: date_part('epoch', a - b) on PostgreSQL, julianday() on SQLite
  (SQLite stores Django datetimes as ISO text, which julianday parses), to the millisecond;
- percentiles: PostgreSQL has percentile_cont; SQLite does not, so the same number (linear
  interpolation between the two closest ranks, as percentile_cont defines it) is read with two
  ORDER BY ... LIMIT 2 OFFSET k queries. `duration_stats(..., portable=True)` forces that path on
  PostgreSQL too, which is how a test proves both give the same numbers.
"""

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet

from core.read_replica import read_alias, read_connection

PERCENTILES = (0.5, 0.9)
_MEMORY = re.compile(r"^[1-9][0-9]{0,6}(kB|MB|GB)$")

P = ParamSpec("P")
R = TypeVar("R")


def report_work_mem() -> str:
    """REPORTING_WORK_MEM: the sort and hash memory of report queries on PostgreSQL."""
    value = settings.REPORTING_WORK_MEM
    if not _MEMORY.match(value):
        raise ImproperlyConfigured(f"REPORTING_WORK_MEM must look like 64MB, not {value!r}.")
    return value


def tuned(function: Callable[P, R]) -> Callable[P, R]:
    """Run a report in a transaction whose queries may use REPORTING_WORK_MEM for sorts and
    hashes on PostgreSQL: with the server default (4MB) a year of a million tickets spills
    its percentile sorts and hash joins to disk, several times slower. SET LOCAL ends with
    the transaction; SQLite has no such knob and runs the function as it is."""

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if not is_postgres():
            return function(*args, **kwargs)
        with transaction.atomic(using=read_alias()):
            with read_connection().cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{report_work_mem()}'")
            return function(*args, **kwargs)

    return run


@dataclass(frozen=True)
class DurationStats:
    """Mean, median and 90th percentile of a duration in seconds over `count` tickets (None when
    there is none)."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None

    @classmethod
    def empty(cls) -> "DurationStats":
        return cls(count=0, mean=None, median=None, p90=None)


def is_postgres() -> bool:
    return read_connection().vendor == "postgresql"


def seconds_between(end: str, start: str) -> str:
    """SQL for the seconds from `start` to `end` (both SQL expressions of timestamps)."""
    if is_postgres():
        # date_part gives a double; EXTRACT gives numeric since PostgreSQL 14, slower to sum
        # and sort by the million.
        return f"date_part('epoch', {end} - {start})"
    # julianday() is a double: about 20 microseconds of noise at today's dates, so round to ms.
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"


def epoch(instant: str) -> str:
    """SQL for a timestamp column as Unix seconds, a double: arithmetic and comparisons on
    numbers are the same on both backends, where SQLite's timestamps are text in two spellings
    (as Django stores them, and ISO 8601 from JSON)."""
    if is_postgres():
        return f"date_part('epoch', {instant})"
    return f"((julianday({instant}) - 2440587.5) * 86400.0)"


def epoch_of_text(text: str) -> str:
    """SQL for ISO 8601 text with an offset (a timestamp kept in JSON) as Unix seconds."""
    if is_postgres():
        return epoch(f"CAST({text} AS timestamptz)")
    return epoch(text)


def iso_text(instant: str) -> str:
    """SQL for a timestamp as ISO 8601 text in UTC, to the second (2026-03-02T08:00:00Z).

    The SQLite form holds no `%`: the statement runs with parameters, and with DEBUG on Django
    logs it through `sql % params`, where a strftime pattern ('%Y') raised ValueError and cut
    the CSV export off after its header."""
    if is_postgres():
        return f"""to_char({instant} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
    return f"replace(datetime({instant}), ' ', 'T') || 'Z'"


def greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if is_postgres() else f"MAX({a}, {b})"


def least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if is_postgres() else f"MIN({a}, {b})"


def instant(value: datetime) -> Any:
    """A datetime as a raw-SQL parameter in the form the backend stores (on SQLite: naive UTC
    text, which compares correctly with the stored values; the sqlite3 default would not)."""
    return read_connection().ops.adapt_datetimefield_value(value)


def compiled(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """The queryset's SQL and parameters, to be used as a subquery."""
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with read_connection().cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...]:
    rows = fetch_all(sql, params)
    return rows[0]


def number(value: Any) -> float | None:
    """A database number (Decimal on PostgreSQL) as a float."""
    return None if value is None else float(value)


def duration_stats(
    source_sql: str,
    params: Sequence[Any],
    columns: Sequence[str],
    *,
    percentiles: bool = True,
    portable: bool = False,
) -> dict[str, DurationStats]:
    """Count, mean, median and p90 of each column of `source_sql` (seconds; NULLs ignored)."""
    if percentiles and is_postgres() and not portable:
        return _stats_postgres(source_sql, params, columns)
    aggregates = ", ".join(f"COUNT(t.{c}), AVG(t.{c})" for c in columns)
    row = fetch_one(f"SELECT {aggregates} FROM ({source_sql}) t", params)  # noqa: S608
    result: dict[str, DurationStats] = {}
    for index, column in enumerate(columns):
        count, mean = int(row[2 * index]), number(row[2 * index + 1])
        if not percentiles or count == 0:
            result[column] = DurationStats(count, mean, None, None)
            continue
        median, p90 = (
            _percentile_by_offset(source_sql, params, column, count, fraction)
            for fraction in PERCENTILES
        )
        result[column] = DurationStats(count, mean, median, p90)
    return result


def _stats_postgres(
    source_sql: str, params: Sequence[Any], columns: Sequence[str]
) -> dict[str, DurationStats]:
    # One percentile_cont over an array of fractions: one sort per column, not one per fraction.
    fractions = ", ".join(str(p) for p in PERCENTILES)
    parts = [
        f"COUNT(t.{c}), AVG(t.{c}), "
        f"percentile_cont(ARRAY[{fractions}]) WITHIN GROUP (ORDER BY t.{c})"
        for c in columns
    ]
    row = fetch_one(f"SELECT {', '.join(parts)} FROM ({source_sql}) t", params)  # noqa: S608
    result = {}
    for index, column in enumerate(columns):
        count, mean, percentiles = row[index * 3 : (index + 1) * 3]
        median, p90 = percentiles if percentiles else (None, None)
        result[column] = DurationStats(int(count), number(mean), number(median), number(p90))
    return result


def _percentile_by_offset(
    source_sql: str, params: Sequence[Any], column: str, count: int, fraction: float
) -> float:
    """percentile_cont(fraction) of a column with `count` non-null values, by offset."""
    rank = fraction * (count - 1)
    low = math.floor(rank)
    rows = fetch_all(
        f"SELECT t.{column} FROM ({source_sql}) t WHERE t.{column} IS NOT NULL "  # noqa: S608
        f"ORDER BY t.{column} LIMIT 2 OFFSET {int(low)}",
        params,
    )
    below = float(rows[0][0])
    above = float(rows[1][0]) if len(rows) > 1 else below
    return below + (rank - low) * (above - below)
