"""A single-kind HTML list paged by keyset (core.keyset): ?older= / ?newer= cursors, rows read
by primary key, and a capped count. A cursor that is not a position in the list shows the first
page with an error and a 400, changing nothing."""

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from core.keyset import CappedCount, CursorInvalidError, KeysetPage, capped_count, keyset_page

M = TypeVar("M", bound=Model)

CURSOR_ERROR = "That page link is not valid: here are the newest ones."


@dataclass(frozen=True)
class KeysetList(Generic[M]):
    """One page of a list: its rows in order, the page's cursors, the capped count (None when
    the page is empty), an error for a bad cursor and the HTTP status to answer with."""

    page: KeysetPage
    rows: list[M]
    count: CappedCount | None
    error: str = ""

    @property
    def status(self) -> int:
        return 400 if self.error else 200


def keyset_list(
    request: HttpRequest, queryset: QuerySet[M], *, kind: str, field: str, per_page: int
) -> KeysetList[M]:
    """The page of `queryset` (newest `field` first, then id) that the request's cursor names:
    three statements (keys, rows, count) whatever the list's length."""
    error = ""
    branches = {kind: queryset}
    try:
        page = keyset_page(
            branches,
            field=field,
            per_page=per_page,
            older=request.GET.get("older"),
            newer=request.GET.get("newer"),
        )
    except CursorInvalidError:
        error = CURSOR_ERROR
        page = keyset_page(branches, field=field, per_page=per_page)
    found = queryset.in_bulk([key.pk for key in page.keys])
    rows = [found[key.pk] for key in page.keys if key.pk in found]
    return KeysetList(page, rows, capped_count([queryset]) if rows else None, error)
