"""Reading a long result in keyset chunks: one short query per chunk, each starting after the last
key of the one before (`key > last ORDER BY key LIMIT n`).

Streamed CSV exports read this way rather than through a server-side cursor. A cursor lives on
one server connection for the whole download, which PgBouncer in transaction pooling does not
give (DATABASE_POOLING=transaction, docs/deployment.md), and with server-side cursors disabled
Django would fetch the whole result into memory at once. Chunks keep memory bounded either way,
and each one is a quick index range scan on the key. Each chunk is its own snapshot: a row
changed during a long download shows as it was when its chunk was read.
"""

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from django.db.models import QuerySet

Row = TypeVar("Row")


def keyset_chunks(
    fetch: Callable[[Any, int], Sequence[Row]],
    key_of: Callable[[Row], Any],
    *,
    chunk_size: int,
) -> Iterator[Sequence[Row]]:
    """Chunks from `fetch(after, limit)`, which returns at most `limit` rows whose key is greater
    than `after` (None: from the first) in key order; `key_of(row)` reads a row's key. Stops at
    the first chunk shorter than `chunk_size`."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    after = None
    while True:
        rows = fetch(after, chunk_size)
        if rows:
            yield rows
        if len(rows) < chunk_size:
            return
        after = key_of(rows[-1])


def queryset_chunks(
    queryset: QuerySet[Any], *, key: str, key_of: Callable[[Any], Any], chunk_size: int
) -> Iterator[Sequence[Any]]:
    """The queryset's rows ordered by the unique field `key`, in keyset chunks."""

    def fetch(after: Any, limit: int) -> list[Any]:
        page = queryset if after is None else queryset.filter(**{f"{key}__gt": after})
        return list(page.order_by(key)[:limit])

    return keyset_chunks(fetch, key_of, chunk_size=chunk_size)
