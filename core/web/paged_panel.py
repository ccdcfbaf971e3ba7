"""A panel of a page that shows one slice of a long list (a ticket's timeline, a problem's
linked incidents) and links to the next slice by keyset cursor (core.keyset.row_slice), so the
page's cost does not grow with the list. The cursor rides in the page's own query string under
the panel's parameter, next to any other panel's; a cursor that is not a position in the list
shows the first slice with an error and makes the page answer 400, changing nothing."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from core.keyset import CursorInvalidError, KeptRows, KeptRowsBy, row_slice

CURSOR_ERROR = "That page link is not valid: here is the start of the list."


@dataclass(frozen=True)
class PagedPanel:
    """The slice shown (`rows`, in display order), the URL of the next slice ("" at the end),
    the URL of the first slice ("" when this is it) and the error for a bad cursor."""

    rows: list[Any]
    next_url: str
    first_url: str
    error: str = ""

    @property
    def status(self) -> int:
        return 400 if self.error else 200


def _url(request: HttpRequest, param: str, value: str | None, anchor: str) -> str:
    query = request.GET.copy()
    query.pop(param, None)
    if value is not None:
        query[param] = value
    encoded = query.urlencode()
    return f"{request.path}{'?' + encoded if encoded else ''}#{anchor}"


def paged_panel(
    request: HttpRequest,
    queryset: QuerySet[Any] | KeptRows | KeptRowsBy,
    *,
    param: str,
    anchor: str,
    field: str,
    per_page: int,
    newest_first: bool,
    chronological: bool = True,
) -> PagedPanel:
    """The slice of `queryset` that the request's `param` cursor names (ordered by `field` and
    id, newest or oldest first; one statement). `chronological` shows a newest-first slice
    oldest first, as a timeline reads. `queryset` may be KeptRows or KeptRowsBy: its
    statements are kept (core.keyset.row_slice)."""
    kind = param.replace("-", "_")
    cursor = request.GET.get(param) or None
    error = ""
    options: dict[str, Any] = {"field": field, "kind": kind, "per_page": per_page}
    try:
        found = row_slice(queryset, after=cursor, newest_first=newest_first, **options)
    except CursorInvalidError:
        error, cursor = CURSOR_ERROR, None
        found = row_slice(queryset, newest_first=newest_first, **options)
    rows = found.rows[::-1] if newest_first and chronological else found.rows
    return PagedPanel(
        rows,
        _url(request, param, found.following, anchor) if found.following else "",
        _url(request, param, None, anchor) if cursor else "",
        error,
    )
