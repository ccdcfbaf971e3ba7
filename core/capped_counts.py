"""Counts for the lists that stay constant in the size of the data: each count stops at
LIST_COUNT_CAP + 1 rows, so a tab bar over a million open tickets reads at most that many rows
instead of counting them all; the page shows "10,000+" past the cap.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from core.kept_statements import kept_cursor


class CappedCount(int):
    """A count that is exact unless `capped`; when capped, the true count is at least it (and
    a list total more than it)."""

    capped: bool

    def __new__(cls, value: int, capped: bool = False) -> "CappedCount":
        count = super().__new__(cls, value)
        count.capped = capped
        return count

    @property
    def label(self) -> str:
        return f"{int(self):,}+" if self.capped else str(int(self))


def capped_window_statement(
    queryset: QuerySet[Any], conditions: dict[str, Q | None]
) -> tuple[str, tuple[Any, ...]]:
    """The statement of `capped_window_counts` (SQL and parameters), for a caller that keeps
    it: it depends only on `queryset`, `conditions` and the cap."""
    cap = settings.LIST_COUNT_CAP
    flags = {
        f"window_flag_{number}": ExpressionWrapper(condition, output_field=BooleanField())
        for number, condition in enumerate(conditions.values())
        if condition is not None
    }
    window = queryset.order_by().annotate(**flags).values("pk", *flags)[: cap + 1]
    sql, params = window.query.get_compiler(using=queryset.db).as_sql()
    columns: list[str] = []
    names = iter(flags)
    for condition in conditions.values():
        columns.append(
            "count(*)" if condition is None else f'count(*) FILTER (WHERE "{next(names)}")'
        )
    # The window is SQL compiled by the ORM, with its parameters passed separately.
    statement = f"SELECT {', '.join([*columns, 'count(*)'])} FROM ({sql}) AS capped_window"  # noqa: S608
    return statement, tuple(params)


def capped_counts_of(
    alias: str, statement: tuple[str, tuple[Any, ...]], keys: Iterable[str]
) -> dict[str, CappedCount]:
    """Run a `capped_window_statement` on database `alias`: the count of each key, in order."""
    keys = list(keys)
    sql, params = statement
    with kept_cursor(alias) as cursor:
        cursor.execute(sql, params)
        *counts, seen = cursor.fetchone() or (0,) * (len(keys) + 1)
    cap = settings.LIST_COUNT_CAP
    capped = int(seen) > cap
    return {key: CappedCount(min(int(n), cap), capped) for key, n in zip(keys, counts, strict=True)}


def capped_window_counts(
    queryset: QuerySet[Any], conditions: dict[str, Q | None]
) -> dict[str, CappedCount]:
    """For each key, how many of the first LIST_COUNT_CAP + 1 rows of `queryset` meet its
    condition (None: every row), in one pass and one statement. When there are more rows than
    the cap, every count is capped: it is at least what it says."""
    return capped_counts_of(queryset.db, capped_window_statement(queryset, conditions), conditions)
