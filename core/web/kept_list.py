"""A ticket list's statements — its capped count and its page's rows as values — compiled once
per shape and kept (issue 18), as the triage queue keeps its own (incidents.queue_statements).

Building and compiling the two statements cost more CPU than running them, yet for the same
inputs they are the same SQL with the same parameters. `filters_key` names those inputs of a
list's FilterSet: the cleaned values of the filters whose SQL depends on nothing but their value
(the list names them); a request with any other filter, an invalid form or a value of an
unknown type gets None, and its statements are compiled for it alone. The caller's key adds
the rest: the database, the viewer's scope, the page size and the count cap.
"""

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.paginator import Page
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from core.capped_counts import CappedCount, capped_counts_of, capped_window_statement
from core.kept_statements import kept_rows
from core.process_memos import process_memo
from core.web.access import CountedPaginator

_EMPTY: tuple[Any, ...] = (None, "", [], ())
STATEMENTS_KEPT = 512
_COUNTS: dict[Hashable, tuple[str, tuple[str, tuple[Any, ...]]]] = process_memo({})


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


def filters_key(filterset: Any, pure: Iterable[str]) -> Hashable | None:
    """The filters' part of a list's statement key: each `pure` filter's cleaned value (a filter
    whose SQL is a function of that value alone); None when the form is invalid, a filter not
    named `pure` has a value, or a value has no key."""
    if not filterset.form.is_valid():
        return None
    named = frozenset(pure)
    try:
        filters = tuple(
            (name, _value_key(value))
            for name, value in sorted(filterset.form.cleaned_data.items())
            if value not in _EMPTY or name in named
        )
    except _UnnamedValueError:
        return None
    if any(name not in named for name, _ in filters):
        return None
    return filters


def kept_list_count(key: Hashable | None, rows: Callable[[], QuerySet[Any]]) -> CappedCount:
    """How many rows `rows()` holds, up to LIST_COUNT_CAP (core.capped_counts), its statement
    kept under `key` (None: compiled for this request only)."""
    kept_key = (key, settings.LIST_COUNT_CAP)
    kept = _COUNTS.get(kept_key) if key is not None else None
    if kept is None:
        queryset = rows()
        kept = (queryset.db, capped_window_statement(queryset, {"all": None}))
        if key is not None:
            if len(_COUNTS) >= STATEMENTS_KEPT:
                _COUNTS.clear()
            _COUNTS[kept_key] = kept
    alias, statement = kept
    return capped_counts_of(alias, statement, ["all"])["all"]


def kept_values(key: Hashable | None, rows: Callable[[], QuerySet[Any]]) -> list[tuple[Any, ...]]:
    """The rows of values query `rows()`, its statement kept under `key` (None: compiled for
    this request only; core.kept_statements.kept_rows)."""
    if key is None:
        return list(rows())
    return kept_rows(key, rows)


def kept_page(
    request: HttpRequest,
    key: Hashable | None,
    rows: Callable[[], QuerySet[Any]],
    *,
    model: type[Model],
    per_page: int,
    columns: Sequence[str],
) -> tuple[Page[Any], list[tuple[Any, ...]]]:
    """core.web.access.paginate_capped's page of `rows()` (the request's ?page=) and its rows
    as the values of `columns`: two statements, each kept under `key` (None: compiled for this
    request only). `rows()` is only called to compile."""
    count = kept_list_count(key, rows)
    # The page is worked out from the count alone; its rows are read below, as values.
    paginator = CountedPaginator(model._default_manager.none(), per_page, count=count)
    page = paginator.get_page(request.GET.get("page"))
    bottom = (page.number - 1) * per_page
    top = min(bottom + per_page, int(count))  # as Paginator.page slices (no orphans)
    values = kept_values(
        None if key is None else (key, "page", bottom, top, tuple(columns)),
        lambda: rows()[bottom:top].values_list(*columns),
    )
    return page, values
