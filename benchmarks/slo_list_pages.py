"""The /slo/ list with many objectives: a page at a time (after) against every objective on one
page (before), through Django's test client as a manager.

Data set: reporting_bench.py's (--incidents incidents over the last 365 days on 20 services,
10 % of high impact), plus --per-service objectives of each kind on every service (40 times
--per-service objectives; the targets and windows vary so no two are the same). Measured, each
--repeat times (median; nothing cached by the application): GET /slo/, its second page, one
service's objectives (?service=), and the SQL queries of each.

Before/after: run it from this checkout, then from a copy of the code before the change against
the same database with --reuse (the script only reads then).

Usage: cd benchmarks && ../.venv/bin/python slo_list_pages.py [--incidents 50000]
       [--per-service 25] [--repeat 5] [--database sd_slo_list_bench] [--reuse]
"""

import argparse
import statistics
import sys
import time
from typing import Any

from _setup import use_database, use_fresh_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--per-service", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="sd_slo_list_bench")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    args = parser.parse_args()
    if args.reuse:
        use_database(args.database)
    else:
        from reporting_bench import seed

        use_fresh_database(args.database)
        started = time.perf_counter()
        seed(args.incidents)
        add_objectives(args.per_service)
        sys.stderr.write(f"seeded in {time.perf_counter() - started:.0f} s\n")
    measure(args.repeat)


def add_objectives(per_service: int) -> None:
    from decimal import Decimal

    from django.utils import timezone

    from core.models import Service, User
    from slo.models import Objective

    author = User.objects.get(username="manager")
    now = timezone.now()
    rows = []
    for service in Service.objects.order_by("pk"):
        for n in range(per_service):
            common = {
                "service": service,
                "window_days": 7 + n % 22,
                "created_by": author,
                "created_at": now,
                "updated_at": now,
            }
            rows.append(
                Objective(kind="availability", target=Decimal("99.9") - Decimal(n) / 100, **common)
            )
            rows.append(
                Objective(
                    kind="response",
                    target=Decimal(95 - n % 20),
                    priorities=[1, 2],
                    threshold_minutes=5 + n,
                    **common,
                )
            )
    Objective.objects.bulk_create(rows)


def get_counting(client: Any, url: str) -> tuple[Any, int]:
    """The response and its SQL queries, counted through an execute wrapper (the request's
    start resets Django's own query log)."""
    from django.db import connection

    executed: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    return response, len(executed)


def measure(repeat: int) -> None:
    from django.test import Client

    from core.models import Service, User
    from slo.models import Objective

    client = Client()
    client.force_login(User.objects.get(username="manager"))
    service = Service.objects.order_by("pk").first()
    assert service is not None
    cases = [
        "/slo/",
        "/slo/?page=2",
        f"/slo/?service={service.pk}",
    ]
    print(f"{Objective.objects.count()} objectives; median of {repeat}")
    client.get(cases[0])  # warms what a process keeps (content types, the session's user)
    for url in cases:
        response, queries = get_counting(client, url)
        rows = response.content.count(b'<td data-label="Objective">')
        durations = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url)
            durations.append(time.perf_counter() - started)
        median = statistics.median(durations) * 1000
        print(
            f"GET {url}: {median:,.0f} ms, {rows} rows, {queries} queries, "
            f"{len(response.content) // 1024} KiB"
        )


if __name__ == "__main__":
    main()
