"""Counts for the lists that stay constant in the size of the data: each count stops at
LIST_COUNT_CAP + 1 rows, so a tab bar over a million open tickets reads at most that many index
entries per tab instead of counting them all; the page shows "10,000+" past the cap.
"""

from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet


class CappedCount(int):
    """A count that is exact unless `capped`; when capped, the true count is more than it."""

    capped: bool

    def __new__(cls, value: int, capped: bool = False) -> "CappedCount":
        count = super().__new__(cls, value)
        count.capped = capped
        return count

    @property
    def label(self) -> str:
        return f"{int(self):,}+" if self.capped else str(int(self))


def capped_counts(querysets: dict[str, QuerySet[Any]]) -> dict[str, CappedCount]:
    """Each queryset's row count up to the cap, all in one statement (they must share a
    database). Ordering, select_related and annotations not used by filters are dropped."""
    cap = settings.LIST_COUNT_CAP
    parts: list[str] = []
    params: list[Any] = []
    alias = ""
    for queryset in querysets.values():
        alias = queryset.db
        sql, args = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
        parts.append(f"(SELECT count(*) FROM ({sql}) AS capped_{len(parts)})")  # noqa: S608
        params.extend(args)
    if not parts:
        return {}
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return {
        key: CappedCount(min(int(n), cap), int(n) > cap)
        for key, n in zip(querysets, row, strict=True)
    }
