"""Keyset ("Newer" / "Older") pagination for lists that sort by a moment, newest first, and may
mix several ticket kinds (the portal's "My tickets").

A list is one or more branches, each a queryset of one kind's rows. Rows are ordered by
(moment, id) descending and then by kind name, a total order even when two tickets share the
instant and the id. A page is one statement per branch: its next `per_page + 1` keys after
the cursor, read in order through an index on (scope, moment, id), merged here; its cost
depends on the page size, never on how many rows precede the cursor or follow the page. (One
statement per branch rather than one UNION: SQLite, the embedded database, allows no LIMIT
inside a compound statement.) Counts are capped (`capped_count`): the list says "10,000+"
rather than reading every row.

A cursor is the key of a row, written "<microseconds since the epoch>.<kind>.<id>": ?older=
names the last row of the page before, ?newer= the first row of the page after.
"""

import heapq
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Q, QuerySet

from core.kept_objects import fetch_objects, objects_statement
from core.kept_statements import fetch, kept_cursor, kept_rows_by, rows_statement
from core.process_memos import process_memo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COUNT_CAP = 10_000
_TOKEN = re.compile(r"(\d{1,17})\.([a-z][a-z_]{0,39})\.(\d{1,18})")


class CursorInvalidError(ValueError):
    """A ?newer= / ?older= value that is not a row key this list can hold."""


@dataclass(frozen=True)
class RowKey:
    """Where a row stands in its list: its moment, id and kind."""

    at: datetime
    pk: int
    kind: str

    @property
    def token(self) -> str:
        delta = self.at - EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{micros}.{self.kind}.{self.pk}"

    @classmethod
    def parse(cls, token: str, kinds: Sequence[str]) -> "RowKey":
        """The key `token` names; CursorInvalidError when it is malformed or names another kind."""
        match = _TOKEN.fullmatch(token)
        if match is None or match.group(2) not in kinds:
            raise CursorInvalidError(f"{token[:60]!r} is not a position in this list.")
        micros, kind, pk = match.groups()
        return cls(EPOCH + timedelta(microseconds=int(micros)), int(pk), kind)


@dataclass(frozen=True)
class KeysetPage:
    """One page of keys, newest first, and the cursors of the pages around it (None: none)."""

    keys: list[RowKey]
    newer: str | None
    older: str | None

    @property
    def has_other_pages(self) -> bool:
        return self.newer is not None or self.older is not None


def _after(kind: str, field: str, key: RowKey, *, older: bool) -> Q:
    """Rows of a branch of `kind` that come after `key` going older (or newer). The bound on
    `field` alone is redundant but lets the index scan start at the cursor."""
    op, bound = ("lt", "lte") if older else ("gt", "gte")
    following = Q(**{f"{field}__{op}": key.at}) | Q(**{field: key.at, f"id__{op}": key.pk})
    # Ties on (moment, id) across kinds: kinds follow in name order going older.
    if (kind > key.kind) if older else (kind < key.kind):
        following |= Q(**{field: key.at, "id": key.pk})
    return Q(**{f"{field}__{bound}": key.at}) & following


def branch_rows(
    rows_of_kind: QuerySet[Any],
    *,
    kind: str,
    field: str,
    limit: int,
    after: RowKey | None,
    older: bool,
    columns: Sequence[str] = (),
) -> QuerySet[Any]:
    """A branch's next `limit` rows after `after` in list order, as values: `field`, the id,
    then `columns` (for a caller that reads a page's rows with its keys, in one statement)."""
    wanted = rows_of_kind
    if after is not None:
        wanted = wanted.filter(_after(kind, field, after, older=older))
    sign = "-" if older else ""
    return wanted.values_list(field, "id", *columns).order_by(f"{sign}{field}", f"{sign}id")[:limit]


def merged_keys(runs: Sequence[Sequence[RowKey]], limit: int, *, older: bool) -> list[RowKey]:
    """The first `limit` keys of the branches' runs (each in list order) in list order: the
    kind name breaks (moment, id) ties, first name first going older."""
    rank = {
        kind: -position for position, kind in enumerate(sorted({k.kind for r in runs for k in r}))
    }
    merged = heapq.merge(*runs, key=lambda key: (key.at, key.pk, rank[key.kind]), reverse=older)
    return list(merged)[:limit]


def _keys(
    branches: Mapping[str, QuerySet[Any]],
    field: str,
    limit: int,
    after: RowKey | None,
    *,
    older: bool,
) -> list[RowKey]:
    runs = []
    for kind, rows_of_kind in branches.items():
        rows = branch_rows(
            rows_of_kind, kind=kind, field=field, limit=limit, after=after, older=older
        )
        runs.append([RowKey(at, pk, kind) for at, pk in rows])
    return merged_keys(runs, limit, older=older)


# Reads the next `limit` keys of a list after a key (None: from the top), going older or newer.
KeyReader = Callable[[RowKey | None, int, bool], list[RowKey]]


def keyset_page(
    branches: Mapping[str, QuerySet[Any]],
    *,
    field: str,
    per_page: int,
    older: str | None = None,
    newer: str | None = None,
) -> KeysetPage:
    """The page after cursor `older` (or before cursor `newer`; neither: the first page) of the
    union of `branches` (kind name -> that kind's rows), ordered by `field` and id, newest
    first. Raises CursorInvalidError for a cursor that is not a key of this list. One statement per
    branch, or twice that when a "Newer" link leads back to the top (that page is then the
    first page)."""
    if not branches:
        raise ValueError("a keyset list needs at least one branch")

    def read(after: RowKey | None, limit: int, going_older: bool) -> list[RowKey]:
        return _keys(branches, field, limit, after, older=going_older)

    return keyset_page_read(list(branches), read, per_page=per_page, older=older, newer=newer)


def keyset_page_read(
    kinds: Sequence[str],
    read: KeyReader,
    *,
    per_page: int,
    older: str | None = None,
    newer: str | None = None,
) -> KeysetPage:
    """`keyset_page` for a list of `kinds` whose keys `read` reads (for a caller that keeps its
    statements, or reads the page's rows with its keys)."""
    if newer:
        key = RowKey.parse(newer, kinds)
        keys = read(key, per_page + 1, False)
        if len(keys) > per_page:
            page = keys[:per_page][::-1]
            return KeysetPage(page, page[0].token, page[-1].token)
        older = None
    after = RowKey.parse(older, kinds) if older else None
    keys = read(after, per_page + 1, True)
    page = keys[:per_page]
    return KeysetPage(
        page,
        (page[0].token if page else after.token) if after is not None else None,
        page[-1].token if len(keys) > per_page else None,
    )


@dataclass(frozen=True)
class CappedCount:
    """How many rows a list holds, counted up to a cap: `label` is "1,234" or "10,000+"."""

    value: int
    capped: bool

    @property
    def label(self) -> str:
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"


def capped_count(querysets: Sequence[QuerySet[Any]], cap: int | None = None) -> CappedCount:
    """The rows of `querysets` together, counted up to `cap` (COUNT_CAP): one statement per
    queryset, each reading at most `cap + 1` rows."""
    cap = COUNT_CAP if cap is None else cap
    value = sum(queryset.values("pk").order_by()[: cap + 1].count() for queryset in querysets)
    return CappedCount(min(value, cap), value > cap)


def capped_count_statement(
    queryset: QuerySet[Any], cap: int | None = None
) -> tuple[str, str, tuple[Any, ...]] | None:
    """The statement `capped_count([queryset], cap)` runs (database alias, SQL, parameters),
    for a caller that keeps it; None when the queryset can have no rows."""
    cap = COUNT_CAP if cap is None else cap
    window = queryset.values("pk").order_by()[: cap + 1]
    try:
        sql, params = window.query.get_compiler(using=window.db).as_sql()
    except EmptyResultSet:
        return None
    # The window is SQL compiled by the ORM, with its parameters passed separately.
    return window.db, f"SELECT count(*) FROM ({sql}) AS capped_window", tuple(params)  # noqa: S608


def run_capped_count(
    statement: tuple[str, str, tuple[Any, ...]] | None, cap: int | None = None
) -> CappedCount:
    """The count a `capped_count_statement` (made with the same cap) reads."""
    cap = COUNT_CAP if cap is None else cap
    if statement is None:
        return CappedCount(0, False)
    alias, sql, params = statement
    with kept_cursor(alias) as cursor:
        cursor.execute(sql, params)
        (value,) = cursor.fetchone() or (0,)
    return CappedCount(min(int(value), cap), int(value) > cap)


COUNTS_KEPT = 512
_COUNTS: dict[Hashable, tuple[str, str, tuple[Any, ...]] | None] = process_memo({})


def kept_capped_count(
    key: Hashable, querysets: Callable[[], Sequence[QuerySet[Any]]], cap: int | None = None
) -> CappedCount:
    """How many rows `querysets()` hold together, each counted up to `cap` (COUNT_CAP), in one
    statement compiled once per `key` (which names every input of their SQL) and cap, and kept
    (COUNTS_KEPT per process)."""
    cap = COUNT_CAP if cap is None else cap  # read now: tests lower it
    kept_key = (key, cap)
    if kept_key not in _COUNTS:
        parts = [capped_count_statement(queryset, cap) for queryset in querysets()]
        found = [part for part in parts if part is not None]
        statement = None
        if found:
            alias = found[0][0]
            assert all(part[0] == alias for part in found)
            # Each part is a count the ORM compiled, its parameters passed separately.
            sql = "SELECT " + " + ".join(f"({part[1]})" for part in found)
            statement = (alias, sql, tuple(param for part in found for param in part[2]))
        if len(_COUNTS) >= COUNTS_KEPT:
            _COUNTS.clear()
        _COUNTS[kept_key] = statement
    # Each part reads at most cap + 1 rows: more than the cap in all means "cap+".
    return run_capped_count(_COUNTS[kept_key], cap)


@dataclass(frozen=True)
class RowSlice:
    """Rows of one queryset after a cursor, in the slice's order, and the cursor of the slice
    that follows (None: this is the last)."""

    rows: list[Any]
    following: str | None


def _slice_query(
    queryset: QuerySet[Any],
    *,
    field: str,
    kind: str,
    per_page: int,
    after: str | None,
    newest_first: bool,
) -> QuerySet[Any]:
    """The statement of a slice: its `per_page + 1` rows after cursor `after`."""
    wanted = queryset
    if after:
        wanted = wanted.filter(_after(kind, field, RowKey.parse(after, [kind]), older=newest_first))
    sign = "-" if newest_first else ""
    return wanted.order_by(f"{sign}{field}", f"{sign}id")[: per_page + 1]


def _slice_of(rows: list[Any], *, field: str, kind: str, per_page: int) -> RowSlice:
    page = rows[:per_page]
    following = None
    if len(rows) > per_page:
        last = page[-1]
        following = RowKey(getattr(last, field), last.pk, kind).token
    return RowSlice(page, following)


@dataclass(frozen=True)
class KeptRows:
    """A query whose slices' statements are kept (`row_slice`): `key` names every input
    of `build()`'s SQL, the database included (for a scoped list: the viewer's scope, not only
    their id). A values_list query names `row`, which makes a row of the values (a named tuple
    with `pk` and the slice's field); without it the rows are model instances
    (core.kept_objects)."""

    key: Hashable
    build: Callable[[], QuerySet[Any]]
    row: Callable[[Sequence[Any]], Any] | None = None

    def compile(self, wanted: QuerySet[Any]) -> Callable[[], list[Any]]:
        """What runs `wanted`'s statement, compiled now."""
        if self.row is None:
            objects = objects_statement(wanted)
            return (lambda: fetch_objects(objects)) if objects is not None else list
        row, alias, values = self.row, wanted.db, rows_statement(wanted)
        if values is None:
            return list
        return lambda: [row(found) for found in fetch(alias, values)]


@dataclass(frozen=True)
class KeptRowsBy:
    """A values query whose slices' statements are kept for every `value` (a ticket's id) at
    once (core.kept_statements.kept_by): `build(value)` differs from one value to the next only
    in that value, and `key` names every other input of its SQL, the database included. `row`
    makes a row of a slice's values (a named tuple with `pk` and the slice's field)."""

    key: Hashable
    build: Callable[[Any], QuerySet[Any]]
    row: Callable[[Sequence[Any]], Any]
    value: Any


SLICES_KEPT = 512
_SLICES: dict[Hashable, Callable[[], list[Any]]] = process_memo({})


def row_slice(
    rows: "QuerySet[Any] | KeptRows | KeptRowsBy",
    *,
    field: str,
    kind: str,
    per_page: int,
    after: str | None = None,
    newest_first: bool,
) -> RowSlice:
    """The `per_page` rows that follow cursor `after` (None: the first ones), ordered by
    `field` and id, newest or oldest first: one statement reading `per_page + 1` rows, whatever
    the list's length. Raises CursorInvalidError for a cursor that is not a key of `kind`.

    For KeptRows the statement is compiled once per key, cursor and size and kept (SLICES_KEPT
    per process): building and compiling a scoped slice (joins, the visibility condition)
    cost more CPU than running it (issue 18). It still runs on every call; a bad cursor keeps
    nothing. For KeptRowsBy one statement per key, cursor and size serves every value, the
    value filled in (core.kept_statements.kept_rows_by)."""
    options: dict[str, Any] = {"field": field, "kind": kind, "per_page": per_page}
    if isinstance(rows, KeptRowsBy):
        kept = rows
        found = kept_rows_by(
            ("row_slice", kept.key, after, newest_first, field, kind, per_page),
            lambda value: _slice_query(
                kept.build(value), after=after, newest_first=newest_first, **options
            ),
            kept.value,
        )
        return _slice_of([kept.row(values) for values in found], **options)
    if not isinstance(rows, KeptRows):
        wanted = _slice_query(rows, after=after, newest_first=newest_first, **options)
        return _slice_of(list(wanted), **options)
    key = (rows.key, after, newest_first, field, kind, per_page)
    run = _SLICES.get(key)
    if run is None:
        wanted = _slice_query(rows.build(), after=after, newest_first=newest_first, **options)
        if len(_SLICES) >= SLICES_KEPT:
            _SLICES.clear()
        run = _SLICES[key] = rows.compile(wanted)
    return _slice_of(run(), **options)
