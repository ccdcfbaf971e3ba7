"""A single-kind HTML list paged by keyset (core.keyset): ?older= / ?newer= cursors, a page's
rows read as the values the list shows, and a capped count. A cursor that is not a position in
the list shows the first page with an error and a 400, changing nothing.

The page's rows are read with their keys in one statement, and the count in one; both are
compiled once per list key (which names every input of the list's SQL: the database, the
viewer's scope), cursor, direction and size, and kept (core.kept_statements): building,
compiling and reading the rows as model instances was most of the portal lists' CPU (issue 18).
"""

from collections import namedtuple
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from core.kept_statements import kept_rows
from core.keyset import (
    CappedCount,
    CursorInvalidError,
    KeysetPage,
    RowKey,
    branch_rows,
    kept_capped_count,
    keyset_page_read,
)

CURSOR_ERROR = "That page link is not valid: here are the newest ones."


@dataclass(frozen=True)
class KeysetList:
    """One page of a list: its rows in order (named tuples: the moment the list sorts by, `pk`
    and the list's columns), the page's cursors, the capped count (None when the page is
    empty), an error for a bad cursor and the HTTP status to answer with."""

    page: KeysetPage
    rows: list[Any]
    count: CappedCount | None
    error: str = ""

    @property
    def status(self) -> int:
        return 400 if self.error else 200


@cache
def _line_type(kind: str, field: str, columns: tuple[str, ...]) -> Any:
    # A type made at run time, per list.
    return namedtuple(f"{kind.title()}ListRow", (field, "pk", *columns))


def keyset_list(
    request: HttpRequest,
    key: Hashable,
    rows_of_kind: Callable[[], QuerySet[Any]],
    *,
    kind: str,
    field: str,
    columns: Sequence[str],
    per_page: int,
) -> KeysetList:
    """The page of `rows_of_kind()` (newest `field` first, then id) that the request's cursor
    names, each row the values of `columns`: two statements (the rows with their keys, the
    count) whatever the list's length. `key` names every input of `rows_of_kind()`'s SQL."""
    line = _line_type(kind, field, tuple(columns))
    found: dict[int, Any] = {}

    def read(after: RowKey | None, limit: int, older: bool) -> list[RowKey]:
        rows = kept_rows(
            ("keyset list", key, after, older, limit),
            lambda: branch_rows(
                rows_of_kind(),
                kind=kind,
                field=field,
                limit=limit,
                after=after,
                older=older,
                columns=columns,
            ),
        )
        lines = [line(*row) for row in rows]
        found.update((row.pk, row) for row in lines)
        return [RowKey(row[0], row.pk, kind) for row in lines]

    error = ""
    try:
        page = keyset_page_read(
            [kind],
            read,
            per_page=per_page,
            older=request.GET.get("older"),
            newer=request.GET.get("newer"),
        )
    except CursorInvalidError:
        error = CURSOR_ERROR
        page = keyset_page_read([kind], read, per_page=per_page)
    rows = [found[row_key.pk] for row_key in page.keys]
    count = kept_capped_count(("keyset list", key), lambda: [rows_of_kind()]) if rows else None
    return KeysetList(page, rows, count, error)
