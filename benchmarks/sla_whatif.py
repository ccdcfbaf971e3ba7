"""SLA what-if benchmark on PostgreSQL (DESIGN.md §7: a what-if over a year at 1M incidents in
≤ 60 s in the background, memory bounded, with a progress bar).

Seeds --incidents demo incidents with their timelines and SLA clocks (`manage.py seed_demo`:
every status, holds, reopens, cancellations, priority changes, business-hours and 24x7
policies), then runs one what-if scenario over the incidents created in the last --days days
exactly as the Celery jobs run it: this process starts the run and replays part 0
(sla.whatif.run.scenario_run_job), --parts - 1 forked processes replay the other parts
(scenario_part_job), as that many Celery worker processes would. The draft tightens the P3
response target, moves P4 to 24x7 and adds an escalate threshold at 50 %.
Prints a Markdown section: tickets replayed, wall time, tickets/s, CPU of all the processes,
peak RSS of the largest, flips, and a
check that a scenario without overrides reproduces the stored outcomes (0 flips, equal totals)
on the first --check tickets.

Usage: .venv/bin/python benchmarks/sla_whatif.py --incidents 1000000 [--days 365]
       [--database sd_whatif_bench] [--reuse] [--seed-only] [--check 20000] [--limit N] [--profile]
       [--parts N (default: settings.SLA_WHATIF_PARTS, one per CPU)] [--like SCENARIO_ID]
"""

import argparse
import cProfile
import multiprocessing
import os
import pstats
import resource
import sys
import threading
import time
from datetime import timedelta

from _setup import progress, use_database, use_fresh_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--database", default="sd_whatif_bench")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop")
    parser.add_argument("--check", type=int, default=20_000, help="tickets for replay = stored")
    parser.add_argument("--profile", action="store_true", help="cProfile the run (slower)")
    parser.add_argument(
        "--limit", type=int, default=None, help="replay only the first N tickets of the period"
    )
    parser.add_argument("--parts", type=int, default=None, help="parts replayed side by side")
    parser.add_argument(
        "--like",
        type=int,
        default=None,
        help="replay the period and draft of this earlier scenario as of its instant, and "
        "compare the results (flips and totals) with its own",
    )
    args = parser.parse_args()

    if args.reuse:
        use_database(args.database)
    else:
        use_fresh_database(args.database)
        seed(args.incidents)
    if args.seed_only:
        return
    if args.parts is not None:
        from django.conf import settings

        settings.SLA_WHATIF_PARTS = args.parts
    print("\n".join(report(args)))


def seed(incidents: int) -> None:
    from django.core.management import call_command

    started = time.monotonic()
    call_command("seed_demo", incidents=incidents)
    sys.stderr.write(f"seeded {incidents:,} incidents in {time.monotonic() - started:.0f} s\n")


def scenario(name: str, days: int, draft: dict, until_limit: int | None = None):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from core.models import User
    from core.roles import is_manager
    from incidents.models import Incident
    from sla.whatif.services import ScenarioInput, scenario_create, scenario_run

    manager = next(u for u in User.objects.filter(is_active=True).order_by("pk") if is_manager(u))
    until = timezone.now() + timedelta(minutes=1)
    since = until - timedelta(days=days)
    if until_limit is not None:
        ids = Incident.objects.filter(created_at__gte=since).order_by("pk")
        last = ids.values_list("created_at", flat=True)[until_limit - 1 : until_limit]
        if last:
            until = last[0] + timedelta(microseconds=1)
    data = ScenarioInput(name=name, since=since, until=until, kinds=["incident"], draft=draft)
    return scenario_run(scenario=scenario_create(actor=manager, data=data))


def draft_of() -> dict:
    from sla.models import Calendar

    always = Calendar.objects.filter(is_24x7=True).values_list("pk", flat=True).first()
    return {
        "overrides": [
            {"kind": "incident", "priority": 3, "service": None, "response_minutes": 15},
            {"kind": "incident", "priority": 4, "service": None, "calendar": always},
            {
                "kind": "incident",
                "priority": 2,
                "service": None,
                "thresholds": [
                    {"percent": 50, "action": "escalate"},
                    {"percent": 75, "action": "notify_manager"},
                ],
            },
        ]
    }


def watch(scenario_id: int, stop: threading.Event) -> None:
    """The progress bar: the scenario row, as the page reads it, every second."""
    from django.db import connection

    from sla.models_whatif import WhatIfScenario

    try:
        while not stop.wait(1.0):
            row = WhatIfScenario.objects.filter(pk=scenario_id).values("done", "total").first()
            if row and row["total"]:
                progress("what-if", row["done"], row["total"])
    finally:
        connection.close()


def part_worker(scenario_id: int, token: str, index: int) -> None:
    """A worker process for one further part: it starts once the run has cut its parts (the
    outbox would publish the part then)."""
    from django.db import connection

    from sla.models_whatif import WhatIfPart
    from sla.whatif.run import scenario_part_job

    while not WhatIfPart.objects.filter(scenario_id=scenario_id, index=index).exists():
        time.sleep(0.05)
    outcome = scenario_part_job(scenario_id, token, index)
    connection.close()
    sys.exit(0 if outcome in ("finished", "done") else f"part {index}: {outcome}")


def run(queued, *, profile: bool) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    from django.conf import settings
    from django.db import connections

    from sla.models_whatif import WhatIfPart, WhatIfScenario, WhatIfStatus
    from sla.whatif.run import scenario_run_job

    token = str(queued.run_token)
    connections.close_all()  # forked workers open their own connections
    fork = multiprocessing.get_context("fork")
    workers = [
        fork.Process(target=part_worker, args=(queued.pk, token, index))
        for index in range(1, settings.SLA_WHATIF_PARTS)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(queued.pk, stop), daemon=True)
    watcher.start()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    outcome = scenario_run_job(queued.pk, token)
    if profiler:
        profiler.disable()
    cut = WhatIfPart.objects.filter(scenario_id=queued.pk).count()
    for index, worker in enumerate(workers, start=1):
        if index >= cut:
            worker.terminate()  # a small run cuts fewer parts: this one never comes
        worker.join()
    elapsed = time.monotonic() - started
    stop.set()
    watcher.join()
    sys.stderr.write("\n")
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(25)
    done = WhatIfScenario.objects.get(pk=queued.pk)
    assert done.status == WhatIfStatus.DONE, (outcome, done.status, done.error)
    return elapsed, done


def run_like(earlier_id: int, *, profile: bool) -> tuple[float, object]:
    """Run a copy of an earlier scenario (its period and draft) as of the earlier run's instant:
    the job reads "now" once, when the run starts, so the copy sees the same clocks."""
    from types import SimpleNamespace
    from unittest import mock

    from core.models import User
    from sla.models_whatif import WhatIfScenario
    from sla.whatif import run as job
    from sla.whatif.services import ScenarioInput, scenario_create, scenario_run

    earlier = WhatIfScenario.objects.get(pk=earlier_id)
    data = ScenarioInput(
        name=f"Copy of {earlier.name}",
        since=earlier.since,
        until=earlier.until,
        kinds=earlier.kinds,
        draft=earlier.draft,
    )
    queued = scenario_run(
        scenario=scenario_create(actor=User.objects.get(pk=earlier.created_by_id), data=data)
    )
    as_of = earlier.as_of
    with mock.patch.object(job, "timezone", SimpleNamespace(now=lambda: as_of)):
        return run(queued, profile=profile)


def same_results(earlier_id: int, later_id: int) -> str:
    from sla.models_whatif import WhatIfAggregate, WhatIfFlip

    def results(scenario_id: int) -> tuple[list, list]:  # type: ignore[type-arg]
        flips = WhatIfFlip.objects.filter(scenario_id=scenario_id).order_by(
            "kind", "ticket_id", "metric"
        )
        totals = WhatIfAggregate.objects.filter(scenario_id=scenario_id).order_by(
            "kind", "metric", "dimension", "key"
        )
        return (
            list(flips.values_list("ticket_id", "metric", "direction", "due_before", "due_after")),
            list(
                totals.values_list(
                    "kind",
                    "metric",
                    "dimension",
                    "key",
                    "before_met",
                    "before_breached",
                    "before_escalations",
                    "after_met",
                    "after_breached",
                    "after_escalations",
                )
            ),
        )

    earlier, later = results(earlier_id), results(later_id)
    verdict = "identical" if earlier == later else "DIFFERENT"
    return (
        f"Results against scenario {earlier_id} (same period, draft and instant): {verdict} "
        f"({len(later[0]):,} flips, {len(later[1])} total rows)."
    )


def report(args: argparse.Namespace) -> list[str]:
    from django.conf import settings
    from django.db import connection
    from django.db.models import Sum

    from incidents.models import Incident
    from sla.models_whatif import WhatIfAggregate, WhatIfFlip

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    lines = ["## SLA what-if (benchmarks/sla_whatif.py)", ""]
    lines.append(
        f"PostgreSQL {version}, {os.cpu_count()} cores; database `{args.database}` with "
        f"{Incident.objects.count():,} demo incidents; scenario over the last {args.days} days "
        f"in up to {settings.SLA_WHATIF_PARTS} parts side by side."
    )
    lines.append("")

    started_cpu = time.process_time()
    if args.like is None:
        queued = scenario("Benchmark draft", args.days, draft_of(), until_limit=args.limit)
        elapsed, done = run(queued, profile=args.profile)
    else:
        elapsed, done = run_like(args.like, profile=args.profile)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - started_cpu + children.ru_utime + children.ru_stime
    peak_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children.ru_maxrss) / 1024
    flips = WhatIfFlip.objects.filter(scenario=done).count()
    totals = WhatIfAggregate.objects.filter(scenario=done, dimension="priority").aggregate(
        before=Sum("before_breached"), after=Sum("after_breached")
    )
    lines += [
        "| tickets replayed | wall time | tickets/s | CPU | tickets per CPU-second | peak RSS "
        "| flips | breaches before → after |",
        "|---|---|---|---|---|---|---|---|",
        f"| {done.total:,} | **{elapsed:.1f} s** | {done.total / elapsed:,.0f} | {cpu:.1f} s | "
        f"{done.total / cpu:,.0f} | {peak_mb:.0f} MB | {flips:,} | "
        f"{totals['before']:,} → {totals['after']:,} |",
        "",
    ]
    if args.like is not None:
        lines.append(same_results(args.like, done.pk))
    if args.check:
        _, same = run(
            scenario("No overrides", args.days, {"overrides": []}, until_limit=args.check),
            profile=False,
        )
        rows = WhatIfAggregate.objects.filter(scenario=same)
        equal = all(
            (r.before_met, r.before_breached, r.before_escalations)
            == (r.after_met, r.after_breached, r.after_escalations)
            for r in rows
        )
        same_flips = WhatIfFlip.objects.filter(scenario=same).count()
        lines.append(
            f"Replay = stored on the first {same.total:,} tickets of the period, no overrides: "
            f"{same_flips} flips, totals {'identical' if equal else 'DIFFERENT'}."
        )
    return lines


if __name__ == "__main__":
    main()
