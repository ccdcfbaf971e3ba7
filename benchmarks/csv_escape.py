"""Cost of the formula escaping in CSV exports (core.web.csv_download.csv_stream), on rows shaped
like the ticket export's (reporting.export: 21 cells, names, ISO instants, seconds).

Three ways, alternating in one process, 100,000 rows each, median of 7:
- `per-column`: before 2026-12-05, each export escaped its name and instant columns itself
  with a function call per cell (11 of 21), then wrote the row plainly;
- `function`: a function call for every cell;
- `csv_stream`: today's writer, which escapes every text cell inline.

    cd benchmarks && ../.venv/bin/python csv_escape.py
"""

import csv
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import _setup  # noqa: F401 — Django settings, so the project's modules import

from core.web.csv_download import FORMULA_STARTS, csv_stream

ROWS = 100_000
ROUNDS = 7
ROW = (
    "INC-000123", "incident", "resolved", "P2", "L1", "Network team", "Mail", "mx-01", "high",
    "2026-01-01T10:00:00+00:00", "2026-01-01T10:05:00+00:00", "2026-01-01T12:00:00+00:00",
    300, 7200, 300, 7200, 0, "met", "met", None, "no",
)  # fmt: skip
ESCAPED_BY_COLUMN = {5, 6, 7, *range(9, 19)}  # group, service, CI, instants, seconds, SLAs


class _Echo:
    def write(self, value: str) -> str:
        return value


def _escaped(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _rows() -> Iterator[Sequence[Any]]:
    return (list(ROW) for _ in range(ROWS))


def per_column() -> None:
    writer = csv.writer(_Echo())
    for row in _rows():
        writer.writerow([_escaped(v) if i in ESCAPED_BY_COLUMN else v for i, v in enumerate(row)])


def function() -> None:
    writer = csv.writer(_Echo())
    for row in _rows():
        writer.writerow([_escaped(value) for value in row])


def stream() -> None:
    for _line in csv_stream(["c"] * len(ROW), _rows()):
        pass


def main() -> None:
    ways: dict[str, Callable[[], None]] = {
        "per-column": per_column,
        "function": function,
        "csv_stream": stream,
    }
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    load = os.getloadavg()
    for _ in range(ROUNDS):
        for name, way in ways.items():
            start = time.perf_counter()
            way()
            seconds[name].append(time.perf_counter() - start)
    print(f"load average {load[0]:.1f} -> {os.getloadavg()[0]:.1f}, {ROWS:,} rows, {ROUNDS} rounds")
    for name, runs in seconds.items():
        print(f"{name:>12}: median {statistics.median(runs):.2f} s")


if __name__ == "__main__":
    main()
