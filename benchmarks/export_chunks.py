"""The streamed CSV export before and after keyset chunks (issue 18, part 5), in one run on the
same data: BEFORE is reporting/export.py as of --before (one statement read through a
server-side cursor, the tier moves as a DISTINCT join), AFTER the current one (one query per
chunk of 2,000 tickets, `t.id > last ORDER BY t.id LIMIT n`, the tier move a scalar subquery per
ticket). They alternate --pairs times; each run streams the whole last-365-days export and
records the time to the first row, the total, rows per second and the peak Python memory
(tracemalloc).

Data: reporting_bench.py's data set (--incidents incidents over 365 days, clocks, tier moves).

Usage: cd benchmarks && ../.venv/bin/python export_chunks.py --incidents 300000
       [--database sd_export_bench] [--reuse] [--pairs 3] [--before 6de188a]
"""

import argparse
import functools
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
import types
from collections.abc import Callable, Iterator

from _setup import ROOT, use_database, use_fresh_database


def old_export(commit: str) -> types.ModuleType:
    """reporting/export.py as it was at `commit`, imported under another name."""
    source = subprocess.run(
        ["git", "show", f"{commit}:reporting/export.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("export_before")
    exec(compile(source, f"{commit}:reporting/export.py", "exec"), module.__dict__)
    return module


def stream(lines: Callable[[], Iterator[str]]) -> dict[str, float]:
    from django.db import connection, transaction

    tracemalloc.start()
    started = time.perf_counter()
    first = 0.0
    rows = -1  # the header
    with transaction.atomic():  # a named cursor needs one, as in a request (ATOMIC off: autocommit)
        for _line in lines():
            rows += 1
            if rows == 1:
                first = time.perf_counter() - started
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    connection.close()
    return {"first": first, "total": elapsed, "rows": rows, "peak": peak / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=300_000)
    parser.add_argument("--database", default="sd_export_bench")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--before", default="6de188a")
    args = parser.parse_args()
    if args.reuse:
        use_database(args.database)
    else:
        use_fresh_database(args.database)
        from reporting_bench import seed

        started = time.perf_counter()
        seed(args.incidents)
        sys.stderr.write(f"seeded in {time.perf_counter() - started:.0f} s\n")

    from reporting import export as after
    from reporting.filters import ReportFilter

    before = old_export(args.before)
    report = ReportFilter.last_days(365)
    runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    for pair in range(args.pairs):
        for name, module in (("before", before), ("after", after)):
            result = stream(functools.partial(module.csv_lines, report))
            runs[name].append(result)
            sys.stderr.write(f"pair {pair + 1} {name}: {result}\n")
    load = os.getloadavg()
    print(f"Export of the last 365 days, {args.incidents:,} incidents seeded; load {load}")
    print("| export | rows | first row (median) | total (median, min to max) | rows/s | peak MB |")
    print("|---|---|---|---|---|---|")
    for name, results in runs.items():
        totals = [r["total"] for r in results]
        median = statistics.median(totals)
        print(
            f"| {name} | {int(results[0]['rows']):,} "
            f"| {statistics.median(r['first'] for r in results) * 1000:,.0f} ms "
            f"| {median:.1f} s ({min(totals):.1f} to {max(totals):.1f}) "
            f"| {results[0]['rows'] / median:,.0f} "
            f"| {max(r['peak'] for r in results):.1f} |"
        )


if __name__ == "__main__":
    main()
