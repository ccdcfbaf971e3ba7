"""CSV downloads, streamed: the lines are written one row at a time as the client reads them,
so a million rows never sit in memory together (every export: reporting, what-if...)."""

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse


class _Echo:
    """A file whose write returns the line: csv.writer writes into it and the generator yields
    what it wrote."""

    def write(self, value: str) -> str:
        return value


def csv_stream(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The header line, then one line per row, as the reader asks for them (csv writes None as
    an empty cell). `rows` is read lazily: pass a generator or a queryset iterator."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def csv_download(lines: Iterable[str], filename: str) -> StreamingHttpResponse:
    """A download of `lines` (csv_stream) named `filename`."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
