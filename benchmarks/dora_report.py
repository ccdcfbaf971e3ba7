"""The DORA report on PostgreSQL (DESIGN.md §7: ≤ 2 s over 1,000,000 incidents and 100,000
changes, computed in the database), checked against the portable path (every change and
incident sorted per service by window functions, the per-change rows summed in Python), which
must give the same figures.

Data set, inserted set-wise by PostgreSQL: --services services owned by --teams teams;
--changes implemented changes over the last 365 days, 90 % of them deployments reported by CI/CD
(95 % to production with a commit time 20 min to 3 days before, 5 % to staging), 10 % normal
changes; --incidents incidents over the same year on the same services (5 % cancelled as
duplicates, 85 % restored 10 min to 12 h after they started), one in 500 of them recorded as
caused by the latest change of its service before it. The report runs over the last 365 days
and the last 30 days, all services, and for one team, each --repeat times (median; PostgreSQL's
buffers are warm after the first run, as on a live desk).

Usage: cd benchmarks && ../.venv/bin/python dora_report.py
       [--incidents 1000000] [--changes 100000] [--repeat 5] [--reuse] [--explain]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from typing import Any

from _setup import progress, use_database, use_fresh_database

CHUNK = 100_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="sd_dora_bench")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--explain", action="store_true", help="print the plan of the report")
    args = parser.parse_args()
    if args.reuse:
        use_database(args.database)
    else:
        use_fresh_database(args.database)
        started = time.perf_counter()
        seed(args)
        sys.stderr.write(f"seeded in {time.perf_counter() - started:.0f} s\n")
    print(measure(args))


# --- Seeding ----------------------------------------------------------------------------------


def seed(args: argparse.Namespace) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from core.choices import Role
    from core.models import Service, SupportGroup, User
    from core.numbering import advance_counter
    from core.roles import ROLE_GROUP_NAMES

    ci = User.objects.create(username="ci", email="ci@example.com")
    ci.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[Role.AGENT]))
    teams = [SupportGroup.objects.create(name=f"Team {t:02d}").pk for t in range(args.teams)]
    services = [
        Service.objects.create(name=f"Service {s:03d}", owner_group_id=teams[s % len(teams)]).pk
        for s in range(args.services)
    ]
    params = {"ci": ci.pk, "services": services}
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.17)")
    for first in range(1, args.changes + 1, CHUNK):
        last = min(first + CHUNK, args.changes + 1) - 1
        with transaction.atomic(), connection.cursor() as cursor:
            span = {"first": first, "last": last, "total": args.changes}
            cursor.execute(INSERT_CHANGES, {**params, **span})
            cursor.execute(INSERT_DEPLOYMENTS, span)
        progress("changes and deployments", last, args.changes)
    for first in range(1, args.incidents + 1, CHUNK):
        last = min(first + CHUNK, args.incidents + 1) - 1
        with transaction.atomic(), connection.cursor() as cursor:
            span = {"first": first, "last": last, "total": args.incidents}
            cursor.execute(INSERT_INCIDENTS, {**params, **span})
        progress("incidents", last, args.incidents)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT_CAUSES, {"ci": ci.pk})
    advance_counter("CHG", args.changes)
    advance_counter("INC", args.incidents)
    with connection.cursor() as cursor:
        for table in (
            "changes_change",
            "changes_deployment",
            "changes_changeincident",
            "incidents_incident",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


# Changes spread evenly over the last 365 days; every tenth a normal change, the rest deployments.
INSERT_CHANGES = """
WITH s AS (
  SELECT i, random() r1, random() r2,
    now() - ((%(total)s - i) / %(total)s::float8 * 365 + random() / 24) * interval '1 day' AS at
  FROM generate_series(%(first)s, %(last)s) AS i
)
INSERT INTO changes_change (number, title, description, requester_id, support_group_id, tier,
  priority, service_id, source, created_at, updated_at, version, status, change_type, risk,
  impact, implementation_plan, test_plan, backout_plan, approvals_required, rejection_reason,
  outcome_notes, review_notes, cancel_reason, planned_start, planned_end, scheduled_at,
  implementing_at, implemented_at)
SELECT 'CHG-' || lpad(i::text, 7, '0'), 'Benchmark change ' || i, '', %(ci)s, NULL, 1, 4,
  (%(services)s::bigint[])[1 + floor(r1 * cardinality(%(services)s::bigint[]))::int],
  'api', at, at, 4, 'implemented', CASE WHEN i %% 10 = 0 THEN 'normal' ELSE 'standard' END,
  '', '', '', '', '', 1, '', '', '', '', at, at + interval '1 minute', at, at, at
FROM s
"""

INSERT_DEPLOYMENTS = """
INSERT INTO changes_deployment (change_id, idempotency_key, service_id, version, environment,
  deployed_at, committed_at, commit_sha, url)
SELECT c.id, 'bench-' || c.number, c.service_id, '1.' || c.id, CASE WHEN random() < 0.05
  THEN 'staging' ELSE 'production' END, c.implemented_at,
  c.implemented_at - (interval '20 minutes' + random() * random() * interval '3 days'),
  md5(c.number), ''
FROM changes_change c
WHERE c.number BETWEEN 'CHG-' || lpad(%(first)s::text, 7, '0')
                   AND 'CHG-' || lpad(%(last)s::text, 7, '0')
  AND c.change_type = 'standard'
"""

INSERT_INCIDENTS = """
WITH s AS (
  SELECT i, random() r1, random() r2, random() r3,
    now() - ((%(total)s - i) / %(total)s::float8 * 365 + random() / 24) * interval '1 day'
      AS ident
  FROM generate_series(%(first)s, %(last)s) AS i
), t AS (
  SELECT s.*, CASE WHEN r2 < 0.05 THEN 'cancelled' WHEN r2 < 0.90 THEN 'resolved'
                   ELSE 'identified' END AS st
  FROM s
)
INSERT INTO incidents_incident (number, title, description, requester_id, support_group_id,
  tier, priority, service_id, configuration_item_id, source, status, category, impact, urgency,
  is_major, on_hold_reason, status_before_hold, containment_notes, diagnosis_notes,
  resolution_code, resolution_notes, cancel_reason, reopen_count, satisfaction_comment,
  identified_at, created_at, updated_at, version, logged_at, resolved_at, service_restored_at,
  cancelled_at)
SELECT 'INC-' || lpad(i::text, 7, '0'), 'Benchmark incident ' || i, '', %(ci)s, NULL, 1, 3,
  (%(services)s::bigint[])[1 + floor(r1 * cardinality(%(services)s::bigint[]))::int], NULL,
  'web', st, 'software', 'medium', 'medium', false, '', '', '', '',
  CASE WHEN st = 'resolved' THEN 'fixed' ELSE '' END, '',
  CASE WHEN st = 'cancelled' THEN 'duplicate' ELSE '' END, 0, '',
  ident, ident, ident, 1,
  CASE WHEN st = 'resolved' THEN LEAST(ident + interval '5 minutes', now()) END,
  CASE WHEN st = 'resolved' THEN
    LEAST(ident + interval '10 minutes' + r3 * interval '12 hours' + interval '1 hour', now())
  END,
  CASE WHEN st = 'resolved' THEN
    LEAST(ident + interval '10 minutes' + r3 * interval '12 hours', now()) END,
  CASE WHEN st = 'cancelled' THEN ident + interval '1 hour' END
FROM t
"""

# One in 500 incidents recorded as caused by the latest change of its service before it.
INSERT_CAUSES = """
INSERT INTO changes_changeincident (change_id, incident_id, linked_by_id, linked_at)
SELECT c.id, i.id, %(ci)s, i.identified_at
FROM incidents_incident i
CROSS JOIN LATERAL (
  SELECT id FROM changes_change c
  WHERE c.service_id = i.service_id AND c.implemented_at < i.identified_at
  ORDER BY c.implemented_at DESC LIMIT 1
) c
WHERE i.id %% 500 = 0 AND i.status <> 'cancelled'
"""


# --- Measuring --------------------------------------------------------------------------------


def _backend_cpu() -> float | None:
    """CPU seconds (user + system) spent so far by this connection's PostgreSQL backend, from
    /proc when the server runs on this machine, else None. Unlike the wall time it hardly
    moves with the load other processes put on the machine."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(run: Any, repeat: int) -> tuple[float, float | None, Any]:
    """The median wall time and backend CPU time of `repeat` runs, and the last result."""
    times: list[float] = []
    cpus: list[float] = []
    result = None
    for _ in range(repeat):
        cpu = _backend_cpu()
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
        after = _backend_cpu()
        if cpu is not None and after is not None:
            cpus.append(after - cpu)
    return statistics.median(times), statistics.median(cpus) if cpus else None, result


def _figures(report: Any) -> list[tuple[Any, ...]]:
    def row(name: str, f: Any) -> tuple[Any, ...]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return (
            name,
            f.changes,
            f.deployments,
            f.failed,
            f.lead_time_count,
            rounded(f.lead_time_median),
            f.restore_count,
            rounded(f.restore_median),
        )

    return [
        row("all", report.overall),
        *(row(f"team {t.group_id}", t.figures) for t in report.teams),
        *(row(f"service {s.service_id}", s.figures) for s in report.services),
    ]


def measure(args: argparse.Namespace) -> str:
    from django.db import connection
    from django.utils import timezone

    from changes.dora import dora_report
    from changes.models import Change, ChangeIncident, Deployment
    from core.models import SupportGroup
    from incidents.models import Incident

    end = timezone.now()
    team = SupportGroup.objects.order_by("pk").values_list("pk", flat=True).first()
    cases = [
        ("365 days, all services", {"start": end - timedelta(days=365), "end": end}),
        ("30 days, all services", {"start": end - timedelta(days=30), "end": end}),
        ("365 days, one team", {"start": end - timedelta(days=365), "end": end, "group_id": team}),
    ]
    from reporting.filters import ReportFilter
    from reporting.metrics.durations import mttr

    # The baseline, measured in the same run: MTTR over the same year of incidents, a report
    # measured at 1.67 s on this machine quiet (BENCHMARKS.md, "Reporting").
    load_at_start = os.getloadavg()[0]
    baseline, baseline_cpu, _ = _timed(
        lambda: mttr(ReportFilter.last_days(365, now=end)), args.repeat
    )
    lines = [
        f"PostgreSQL {connection.pg_version}; {Incident.objects.count():,} incidents, "
        f"{Change.objects.count():,} changes ({Deployment.objects.count():,} deployments), "
        f"{ChangeIncident.objects.count():,} recorded causes",
        f"baseline: MTTR over the same 365 days {baseline:.3f} s (median), "
        f"backend CPU {_seconds(baseline_cpu)} s",
        "",
        "| report | median (s) | backend CPU (s) | ÷ MTTR baseline | portable path (s) "
        "| same figures |",
        "|---|---|---|---|---|---|",
    ]
    for label, kwargs in cases:
        native, cpu, report = _timed(lambda kw=kwargs: dora_report(**kw), args.repeat)
        portable, _cpu, slow = _timed(lambda kw=kwargs: dora_report(**kw, portable=True), 1)
        same = _figures(report) == _figures(slow)
        lines.append(
            f"| {label} | {native:.3f} | {_seconds(cpu)} | {native / baseline:.2f} "
            f"| {portable:.3f} | {'yes' if same else 'NO'} |"
        )
        if label.startswith("365 days, all"):
            overall = report.overall
            lines.append(
                f"|   ↳ {overall.changes:,} changes, {overall.deployments:,} deployments, "
                f"{overall.failed:,} failed, lead median {overall.lead_time_median or 0:.0f} s, "
                f"restore median {overall.restore_median or 0:.0f} s over "
                f"{overall.restore_count:,} | | | | | |"
            )
    lines.append(
        f"load average (1 min): {load_at_start:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    )
    if args.explain:
        lines.append(_explain(cases[0][1]))
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _explain(kwargs: dict[str, Any]) -> str:
    from django.conf import settings
    from django.db import connection, transaction

    from changes.dora import dora_environments
    from changes.dora_sql import DoraQuery, dora_statement
    from reporting.sql import fetch_all, report_work_mem

    query = DoraQuery(
        window=timedelta(hours=settings.DORA_FAILURE_WINDOW_HOURS),
        environments=dora_environments(),
        **kwargs,
    )
    sql, params = dora_statement(query)
    with transaction.atomic():
        # As the report runs (reporting.sql.tuned, changes.dora_sql.dora_rows).
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{report_work_mem()}'")
            cursor.execute("SET LOCAL jit = off")
        plan = fetch_all(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
    return "\n".join(str(row[0]) for row in plan)


if __name__ == "__main__":
    main()
