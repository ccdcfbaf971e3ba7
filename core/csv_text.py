"""CSV written line by line, for streamed downloads: each row comes back as its text, so a
generator can hand lines to a StreamingHttpResponse without a buffer."""

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_text(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Each row as one CSV line (quoted as the csv module's default dialect does)."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)
