"""SLO report benchmark on PostgreSQL (DESIGN.md §7: the SLO report over 1,000,000 incidents
≤ 2 s, computed in the database).

Data set: reporting_bench.py's (--incidents incidents over the last 365 days on 20 services, 10 %
of high impact, i.e. outages, 10 % open within the last 60 days; ~3 timeline events each),
plus two objectives per service: 99.9 % available over 28 days, and 95 % of P1/P2 incidents
acknowledged within 30 minutes over 28 days (40 objectives). Measured, each --repeat times
(median; PostgreSQL's buffers warm after the first run, nothing cached by the application):

- every objective's budget, burn rates (7 windows) and alerts: what /slo/, the API list and
  the evaluation task compute (slo.selectors.objective_statuses, two queries);
- the budget over time of one objective of each kind (a service page's chart);
- the evaluation task (slo.alerts.slo_evaluate; the first run, which fires the episodes, is
  reported apart) and exhausted_service_ids (what the change calendar asks);
- GET /slo/ and GET /api/v1/slos/ as a manager, through Django's test client.

Usage: cd benchmarks && ../.venv/bin/python slo_report.py --incidents 1000000
       [--repeat 5] [--database sd_slo_bench] [--reuse]
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from _setup import use_fresh_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="sd_slo_bench")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    args = parser.parse_args()
    if args.reuse:
        from _setup import ROOT  # noqa: F401 — puts the project on sys.path

        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
    else:
        from reporting_bench import seed

        use_fresh_database(args.database)
        started = time.perf_counter()
        seed(args.incidents)
        sys.stderr.write(f"seeded in {time.perf_counter() - started:.0f} s\n")
    print(measure(args.repeat))


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    durations, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), result


def objectives() -> list[Any]:
    from decimal import Decimal

    from django.utils import timezone

    from core.models import Service, User
    from slo.models import Objective

    if not Objective.objects.exists():
        author = User.objects.get(username="manager")
        now = timezone.now()
        common = {"window_days": 28, "created_by": author, "created_at": now, "updated_at": now}
        for service in Service.objects.order_by("pk"):
            Objective.objects.create(
                service=service, kind="availability", target=Decimal("99.9"), **common
            )
            Objective.objects.create(
                service=service,
                kind="response",
                target=Decimal("95"),
                priorities=[1, 2],
                threshold_minutes=30,
                **common,
            )
    return list(Objective.objects.select_related("service").order_by("pk"))


def measure(repeat: int) -> str:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from core.models import User
    from incidents.models import Incident
    from slo.alerts import slo_evaluate
    from slo.selectors import budget_history, exhausted_service_ids, objective_statuses

    every = objectives()
    availability = next(o for o in every if o.kind == "availability")
    response = next(o for o in every if o.kind == "response")
    client = Client()
    client.force_login(User.objects.get(username="manager"))

    def get(url: str) -> Callable[[], int]:
        def run() -> int:
            status = client.get(url).status_code
            assert status == 200, (url, status)
            return status

        return run

    first_started = time.perf_counter()
    first = slo_evaluate()
    first_run = time.perf_counter() - first_started
    rows: list[tuple[str, float, str]] = []
    cases: list[tuple[str, Callable[[], Any]]] = [
        (
            f"all {len(every)} objectives: budget, burn rates, alerts",
            lambda: objective_statuses(every),
        ),
        ("budget over time, availability (28 days)", lambda: budget_history(availability)),
        ("budget over time, response (28 days)", lambda: budget_history(response)),
        ("evaluation task, steady state", slo_evaluate),
        (
            "exhausted_service_ids (20 services)",
            lambda: exhausted_service_ids(o.service_id for o in every),
        ),
        ("GET /slo/", get("/slo/")),
        ("GET /api/v1/slos/", get("/api/v1/slos/?page_size=50")),
        (f"GET /slo/{availability.service_id}/", get(f"/slo/{availability.service_id}/")),
    ]
    for name, fn in cases:
        with CaptureQueriesContext(connection) as queries:
            fn()
        seconds, _ = timed(fn, repeat)
        # The test client closes the connection after each request, and its query log with it.
        counted = "—" if name.startswith("GET") else str(len(queries))
        rows.append((name, seconds, counted))
    lines = [
        f"Incidents: {Incident.objects.count():,}; objectives: {len(every)}; "
        f"first evaluation {first_run:.2f} s ({len(first.fired)} episodes fired)",
        "",
        "| what | median | SQL queries |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {seconds * 1000:.0f} ms | {count} |" for name, seconds, count in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
