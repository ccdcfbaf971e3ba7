"""Reporting benchmarks on PostgreSQL (DESIGN.md §7: each report ≤ 2 s uncached over 1,000,000
incidents, dashboard tiles ≤ 300 ms), against the same numbers computed the naive way (tickets
loaded into Python), which also checks that both agree.

Data set, inserted set-wise by PostgreSQL in the order they were identified: --incidents
incidents over the last 365 days (10 % open, all within the last 60 days; 5 % cancelled; the
rest resolved or closed), 20 services with 5 CIs each, 2,000 requesters, tiers 70/20/10 % with
their escalation events, response and resolution SLA clocks (met, breached, running, paused)
with their business and paused seconds, and ~3 timeline events per incident. Reports run for
the last 30 days and the last 365 days, each --repeat times (median; nothing is cached by the
application, PostgreSQL's buffers are warm after the first run, as on a live desk).

Usage: cd benchmarks && ../.venv/bin/python reporting_bench.py --incidents 1000000
       [--repeat 5] [--naive-repeat 3] [--database bench_reporting] [--seed-only | --reuse]
       [--explain]
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from _setup import progress, use_fresh_database

SERVICES, CIS_PER_SERVICE, REQUESTERS = 20, 5, 2000
CHUNK = 100_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-repeat", type=int, default=3)
    parser.add_argument("--database", default="bench_reporting")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop")
    parser.add_argument(
        "--csv-rows", type=int, default=200_000, help="rows of the CSV export to stream (0: skip)"
    )
    parser.add_argument("--explain", action="store_true", help="print the slowest query plans")
    args = parser.parse_args()

    if args.reuse:
        from _setup import ROOT  # noqa: F401 — puts the project on sys.path

        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
    else:
        use_fresh_database(args.database)
        started = time.perf_counter()
        seed(args.incidents)
        sys.stderr.write(f"seeded in {time.perf_counter() - started:.0f} s\n")
        if args.seed_only:
            return
    print(report_table(args))


# --- Seeding ----------------------------------------------------------------------------------


def seed(count: int) -> None:
    import json
    from datetime import time as clock_time
    from datetime import timedelta

    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from core.choices import Role, Tier
    from core.models import ConfigurationItem, Service, SupportGroup, User
    from core.numbering import advance_counter
    from core.roles import ROLE_GROUP_NAMES
    from incidents.models import Incident
    from sla.models import Calendar, SlaPolicy, WorkingHours
    from sla.snapshot import snapshot_of

    manager = User.objects.create(username="manager", email="manager@example.com")
    manager.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[Role.MANAGER]))
    User.objects.bulk_create(
        User(username=f"user{i}", email=f"user{i}@example.com") for i in range(REQUESTERS)
    )
    users = list(User.objects.exclude(pk=manager.pk).values_list("pk", flat=True))
    groups = [
        SupportGroup.objects.create(name=f"Tier {tier}", tier=tier, manager=manager).pk
        for tier in (Tier.L1, Tier.L2, Tier.L3)
    ]
    services, cis = [], []
    for s in range(SERVICES):
        service = Service.objects.create(name=f"Service {s:02d}", owner_group_id=groups[0])
        services.append(service.pk)
        for c in range(CIS_PER_SERVICE):
            cis.append(ConfigurationItem.objects.create(service=service, name=f"ci-{c}").pk)
    office = Calendar.objects.create(name="Office", timezone="Europe/Berlin")
    for day in range(5):
        WorkingHours.objects.create(
            calendar=office, weekday=day, start=clock_time(8), end=clock_time(18)
        )
    policies = [
        SlaPolicy.objects.create(
            name=f"P{p}",
            ticket_kind="incident",
            priority=p,
            calendar=office,
            response_target=timedelta(minutes=90),
            resolution_target=timedelta(hours=24),
        )
        for p in range(1, 6)
    ]
    snapshot = json.dumps(snapshot_of(policies[0], "resolution"))
    ct = ContentType.objects.get_for_model(Incident).pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
    for first in range(1, count + 1, CHUNK):
        last = min(first + CHUNK, count + 1) - 1
        with transaction.atomic(), connection.cursor() as cursor:
            params = {"users": users, "groups": groups, "services": services, "cis": cis}
            cursor.execute(
                INSERT_INCIDENTS, {**params, "first": first, "last": last, "total": count}
            )
            numbers = {"lo": f"INC-{first:07d}", "hi": f"INC-{last:07d}"}
            cursor.execute(
                INSERT_CLOCKS, {**numbers, "ct": ct, "policy": policies[0].pk, "snap": snapshot}
            )
            cursor.execute(INSERT_EVENTS, {**numbers, "ct": ct})
        progress("incidents, clocks, timeline", last, count)
    advance_counter("INC", count)
    with connection.cursor() as cursor:
        for table in ("incidents_incident", "sla_slaclock", "core_timelineevent"):
            cursor.execute(f"VACUUM ANALYZE {table}")


# r1..r9 are uniform randoms per incident. Incidents are inserted in the order they were
# identified, as a live desk writes them (a period's rows sit together on disk), spread evenly
# over the last 365 days; those of the last 60 days are open 60 % of the time (10 % overall).
INSERT_INCIDENTS = """
WITH s AS (
  SELECT i, random() r1, random() r2, random() r3, random() r4, random() r5, random() r6,
         random() r7, random() r8, random() r9
  FROM generate_series(%(first)s, %(last)s) AS i
), a AS (
  SELECT s.*, now() - ((%(total)s - i) / %(total)s::float8 * 365 + r1 / 24) * interval '1 day'
    AS ident
  FROM s
), t AS (
  SELECT a.*,
    CASE WHEN ident > now() - interval '60 days' AND r2 < 0.60 THEN
           (ARRAY['identified','logged','classified','diagnosed','on_hold'])[1 + floor(r3 * 5)::int]
         WHEN r2 >= 0.60 AND r2 < 0.65 THEN 'cancelled'
         WHEN r2 < 0.80 THEN 'resolved' ELSE 'closed' END st,
    CASE WHEN r6 < 0.7 THEN 1 WHEN r6 < 0.9 THEN 2 ELSE 3 END tr,
    (i %% 20) svc
  FROM a
)
INSERT INTO incidents_incident (number, title, description, requester_id, support_group_id,
  tier, priority, service_id, configuration_item_id, source, status, category, impact, urgency,
  is_major, on_hold_reason, status_before_hold, containment_notes, diagnosis_notes,
  resolution_code, resolution_notes, cancel_reason, reopen_count, satisfaction_comment,
  satisfaction_score, satisfaction_at, identified_at, created_at, updated_at, version,
  logged_at, resolved_at, closed_at, cancelled_at)
SELECT 'INC-' || lpad(i::text, 7, '0'), 'Benchmark incident ' || i, '',
  (%(users)s::bigint[])[1 + i %% cardinality(%(users)s::bigint[])],
  (%(groups)s::bigint[])[tr], tr, 1 + floor(r5 * 5)::int,
  (%(services)s::bigint[])[1 + svc], (%(cis)s::bigint[])[1 + svc * 5 + (i / 20) %% 5],
  'web', st, 'software',
  CASE WHEN r4 < 0.1 THEN 'high' WHEN r4 < 0.4 THEN 'medium' ELSE 'low' END, 'medium',
  false, CASE WHEN st = 'on_hold' THEN 'awaiting_user' ELSE '' END,
  CASE WHEN st = 'on_hold' THEN 'classified' ELSE '' END, '', '',
  CASE WHEN st IN ('resolved','closed') THEN 'fixed' ELSE '' END, '',
  CASE WHEN st = 'cancelled' THEN 'duplicate' ELSE '' END,
  CASE WHEN r8 < 0.03 AND st IN ('resolved','closed') THEN 1 ELSE 0 END, '',
  CASE WHEN st = 'closed' AND r8 > 0.7 THEN 1 + floor(r9 * 5)::int END,
  CASE WHEN st = 'closed' AND r8 > 0.7 THEN
    LEAST(ident + r7 * r7 * interval '72 hours' + interval '1 day', now()) END,
  ident, ident, ident, 1,
  CASE WHEN st NOT IN ('identified','cancelled') THEN
    LEAST(ident + r3 * interval '120 minutes', now()) END,
  CASE WHEN st IN ('resolved','closed') THEN
    LEAST(ident + interval '121 minutes' + r7 * r7 * interval '72 hours', now()) END,
  CASE WHEN st = 'closed' THEN LEAST(ident + interval '10 days', now()) END,
  CASE WHEN st = 'cancelled' THEN ident + interval '1 hour' END
FROM t
"""

INSERT_CLOCKS = """
INSERT INTO sla_slaclock (ticket_type_id, ticket_id, metric, policy_id, snapshot, state,
  started_at, target, due_at, warn_at, next_deadline_at, stage, pauses, paused_at, breached_at,
  stopped_at, generation, updated_at, elapsed_business_seconds, paused_seconds)
SELECT %(ct)s, i.id, m.metric, %(policy)s, %(snap)s::jsonb,
  CASE WHEN i.status = 'cancelled' THEN 'cancelled'
       WHEN m.stop IS NULL THEN CASE WHEN i.status = 'on_hold' THEN 'paused' ELSE 'running' END
       WHEN m.stop > m.due THEN 'breached' ELSE 'met' END,
  i.identified_at, m.target, m.due, NULL, NULL, 1, '[]'::jsonb,
  CASE WHEN i.status = 'on_hold' AND m.stop IS NULL THEN i.updated_at END,
  CASE WHEN i.status <> 'cancelled' AND m.due < COALESCE(m.stop, now()) THEN m.due END,
  m.stop, 1, now(),
  CASE WHEN m.stop IS NOT NULL THEN
    floor(EXTRACT(EPOCH FROM m.stop - i.identified_at) * 0.35)::bigint END,
  CASE WHEN m.stop IS NOT NULL THEN
    CASE WHEN i.id %% 10 = 0 THEN floor(EXTRACT(EPOCH FROM m.stop - i.identified_at) * 0.1)
         ELSE 0 END END
FROM incidents_incident i
CROSS JOIN LATERAL (VALUES
  ('response', interval '90 minutes', i.identified_at + interval '90 minutes', i.logged_at),
  ('resolution', interval '24 hours', i.identified_at + interval '24 hours', i.resolved_at)
) AS m(metric, target, due, stop)
WHERE i.number BETWEEN %(lo)s AND %(hi)s
"""

INSERT_EVENTS = """
INSERT INTO core_timelineevent (ticket_type_id, ticket_id, source, kind, from_status, to_status,
  changes, message, is_public, created_at)
SELECT %(ct)s, i.id, 'web', e.kind, e.f, e.t, e.changes::jsonb, '', e.pub, e.at
FROM incidents_incident i
CROSS JOIN LATERAL (VALUES
  ('created', '', 'identified', '{}', true, i.identified_at),
  ('status_changed', 'identified', 'logged', '{}', true, i.logged_at),
  ('escalated', '', '', '{"from_tier": 1, "to_tier": 2}', false,
    CASE WHEN i.tier >= 2 THEN i.identified_at + interval '3 hours' END),
  ('escalated', '', '', '{"from_tier": 2, "to_tier": 3}', false,
    CASE WHEN i.tier = 3 THEN i.identified_at + interval '4 hours' END),
  ('status_changed', 'diagnosed', 'resolved', '{}', true, i.resolved_at)
) AS e(kind, f, t, changes, pub, at)
WHERE i.number BETWEEN %(lo)s AND %(hi)s AND e.at IS NOT NULL
"""


# --- Measuring --------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    durations, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), result


def engine_reports() -> dict[str, Callable[[Any], Any]]:
    from reporting.metrics import compliance, durations, flow, mtbf, satisfaction, tiers

    return {
        "MTTR (mean, median, p90; wall + business)": durations.mttr,
        "MTTA (mean, median, p90; wall + business)": durations.mtta,
        "MTBF per service and CI": mtbf.mtbf,
        "SLA compliance by priority": lambda f: compliance.compliance(f, by="priority"),
        "Backlog by age (open now)": flow.backlog,
        "Created vs resolved per day": flow.volume,
        "Reopen rate": flow.reopen_rate,
        "First-contact resolution": tiers.first_contact,
        "Escalation rate per tier": tiers.escalation_rate,
        "Satisfaction": satisfaction.satisfaction,
    }


def report_table(args: argparse.Namespace) -> str:
    from django.db import connection

    from incidents.models import Incident
    from reporting.filters import ReportFilter
    from reporting.metrics.summary import cached_summary, summary
    from reporting.prometheus import render_metrics

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    total = Incident.objects.count()
    open_count = (
        Incident.objects.filter(resolved_at__isnull=True).exclude(status="cancelled").count()
    )
    lines = [
        "## Reporting (benchmarks/reporting_bench.py)",
        "",
        f"PostgreSQL {version}, {os.cpu_count()} cores; {total:,} incidents ({open_count:,} "
        f"open); median of {args.repeat} runs (naive: {args.naive_repeat}).",
        "",
        "| report | period | engine | naive (Python) | ratio | same result |",
        "|---|---|---:|---:|---:|---|",
    ]
    naive = naive_reports()
    for days in (30, 365):
        report = ReportFilter.last_days(days)
        for name, fn in engine_reports().items():
            engine_s, engine_result = timed(lambda fn=fn, f=report: fn(f), args.repeat)
            naive_s, naive_result = timed(lambda n=name, f=report: naive[n](f), args.naive_repeat)
            same = agree(HEADLINES[name](engine_result), naive_result)
            lines.append(
                f"| {name} | {days} d | {engine_s * 1000:,.0f} ms | {naive_s * 1000:,.0f} ms | "
                f"{naive_s / engine_s:,.1f} x | {'yes' if same else 'NO'} |"
            )
            sys.stderr.write(f"{name} {days} d: {engine_s:.3f} s vs {naive_s:.3f} s\n")
    tiles_s, _ = timed(lambda: summary(ReportFilter.last_days(30)), args.repeat)
    cached_summary(ReportFilter.last_days(30))
    cached_s, _ = timed(lambda: cached_summary(ReportFilter.last_days(30)), args.repeat)
    metrics_s, _ = timed(render_metrics, args.repeat)
    lines += [
        "",
        f"- Dashboard tiles (`summary`, last 30 days): {tiles_s * 1000:,.0f} ms computed, "
        f"{cached_s * 1000:,.1f} ms from the one-minute cache of `/api/v1/reports/summary/` "
        "(budget 300 ms).",
        f"- `/metrics` exposition (open by status/priority, overdue, 7-day SLA, MTTR/MTTA): "
        f"{metrics_s * 1000:,.0f} ms.",
    ]
    if args.csv_rows:
        lines.append(csv_stream(ReportFilter.last_days(365), args.csv_rows))
    if args.explain:
        lines += ["", *explain_slowest(ReportFilter.last_days(365))]
    return "\n".join(lines)


def csv_stream(report: Any, limit: int) -> str:
    """Stream the CSV export like the view does; time to the first row, rows per second and
    the peak Python memory while streaming (tracemalloc)."""
    import tracemalloc

    from django.db import transaction

    from reporting.export import csv_lines

    tracemalloc.start()
    started = time.perf_counter()
    first = None
    rows = 0
    with transaction.atomic():  # a named cursor lives in a transaction, as in a request
        for _line in csv_lines(report):
            rows += 1
            if rows == 2:
                first = time.perf_counter() - started
            if rows > limit:
                break
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (
        f"- CSV export (last 365 days), streamed: first row after {(first or 0) * 1000:,.0f} ms, "
        f"{rows - 1:,} rows in {elapsed:.1f} s ({(rows - 1) / elapsed:,.0f} rows/s), "
        f"peak Python memory {peak / 1e6:.1f} MB."
    )


class QueryLog:
    def __init__(self) -> None:
        self.captured: list[tuple[float, str, Any]] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.captured.append((time.perf_counter() - started, sql, params))


def explain_slowest(report: Any) -> list[str]:
    """EXPLAIN ANALYZE of the slowest SQL statement of each report (to see the plans)."""
    from django.db import connection

    out = []
    for name, fn in engine_reports().items():
        log = QueryLog()
        with connection.execute_wrapper(log):
            fn(report)
        seconds, sql, params = max(log.captured, key=lambda c: c[0])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join("    " + row[0] for row in cursor.fetchall())
        out += [f"{name}: slowest statement {seconds * 1000:.0f} ms", "", plan, ""]
    return out


# --- The naive way: rows into Python, computed in loops (what the engine replaces) -------------


def _pct(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def _durations(rows: list[tuple[int, Any, Any]], metric: str) -> dict[str, float | None]:
    """Mean, median and p90 of the wall-clock and business durations, as the engine gives."""
    from django.contrib.contenttypes.models import ContentType

    from incidents.models import Incident
    from sla.models import SlaClock

    clocks = {
        ticket: (paused, business)
        for ticket, paused, business in SlaClock.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Incident), metric=metric
        ).values_list("ticket_id", "paused_seconds", "elapsed_business_seconds")
    }
    wall, business = [], []
    for pk, start, end in rows:
        paused, worked = clocks.get(pk, (None, None))
        wall.append((end - start).total_seconds() - (paused or 0))
        if worked is not None:
            business.append(float(worked))
    return {
        "mean": statistics.mean(wall) if wall else None,
        "median": _pct(wall, 0.5),
        "p90": _pct(wall, 0.9),
        "business_mean": statistics.mean(business) if business else None,
        "business_median": _pct(business, 0.5),
        "business_p90": _pct(business, 0.9),
    }


def naive_reports() -> dict[str, Callable[[Any], Any]]:
    from collections import defaultdict
    from datetime import timedelta

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from core.models import TimelineEvent
    from incidents.models import Incident
    from reporting.metrics.flow import AGE_BUCKETS
    from reporting.scope import resolved_in_period, tickets_in_scope
    from sla.models import SlaClock

    def mttr(f: Any) -> Any:
        rows = list(resolved_in_period(f).values_list("id", "identified_at", "resolved_at"))
        return _durations(rows, "resolution")["mean"]

    def mtta(f: Any) -> Any:
        rows = list(
            tickets_in_scope(f)
            .filter(logged_at__gte=f.start, logged_at__lt=f.end)
            .exclude(status="cancelled", cancel_reason__in=["duplicate", "not_an_incident"])
            .values_list("id", "identified_at", "logged_at")
        )
        return _durations(rows, "response")["mean"]

    def mtbf(f: Any) -> Any:
        """Failures that started in the period: merged outages (down until the service was
        restored, else resolved), counted where they start. The seeded incidents are never
        reopened, so each is one piece."""
        end = min(f.end, timezone.now())
        per_service: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
        for service, start, restored, resolved in (
            tickets_in_scope(f)
            .filter(impact="high", identified_at__lt=end)
            .exclude(status="cancelled")
            .values_list("service_id", "identified_at", "service_restored_at", "resolved_at")
        ):
            stop = restored or resolved
            if stop is None or stop >= f.start:
                per_service[service].append((start, stop or end))
        failures = 0
        for spans in per_service.values():
            spans.sort()
            reach = None
            for start, stop in spans:
                if (reach is None or start > reach) and start >= f.start:
                    failures += 1
                reach = stop if reach is None else max(reach, stop)
        return failures

    def compliance(f: Any) -> Any:
        """Breached: still running at the due time (running now past it, paused after it, or
        stopped after it), counted at the due time; met: stopped by then, at the stop."""
        now = timezone.now()
        priority = dict(tickets_in_scope(f).values_list("id", "priority"))
        met = breached = 0
        for pk, state, due, paused_at, stopped_at in SlaClock.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Incident), metric="resolution"
        ).values_list("ticket_id", "state", "due_at", "paused_at", "stopped_at"):
            if pk not in priority or state == "cancelled":
                continue
            ran_past = due is not None and (
                (state == "running" and due < now)
                or (state == "paused" and paused_at is not None and paused_at > due)
                or (stopped_at is not None and stopped_at > due)
            )
            if ran_past and f.start <= due < f.end:
                breached += 1
            elif not ran_past and stopped_at is not None and f.start <= stopped_at < f.end:
                met += 1
        return met / (met + breached) if met + breached else None

    def backlog(f: Any) -> Any:
        now = timezone.now()
        counts = dict.fromkeys((key for key, *_ in AGE_BUCKETS), 0)
        for created in (
            tickets_in_scope(f)
            .filter(
                status__in=[
                    "identified",
                    "logged",
                    "classified",
                    "contained",
                    "diagnosed",
                    "on_hold",
                ]
            )
            .values_list("created_at", flat=True)
        ):
            age = now - created
            for key, _label, low, high in AGE_BUCKETS:
                if age >= timedelta(days=low) and (high is None or age < timedelta(days=high)):
                    counts[key] += 1
        return sum(counts.values())

    def volume(f: Any) -> Any:
        created: dict[Any, int] = defaultdict(int)
        for at in (
            tickets_in_scope(f)
            .filter(created_at__gte=f.start, created_at__lt=f.end)
            .values_list("created_at", flat=True)
        ):
            created[timezone.localtime(at).date()] += 1
        for at in resolved_in_period(f).values_list("resolved_at", flat=True):
            created[("resolved", timezone.localtime(at).date())] += 1
        return sum(v for k, v in created.items() if not isinstance(k, tuple))

    def reopen(f: Any) -> Any:
        counts = list(resolved_in_period(f).values_list("reopen_count", flat=True))
        return sum(1 for c in counts if c) / len(counts) if counts else None

    def moved_ids() -> set[int]:
        return set(
            TimelineEvent.objects.filter(
                ticket_type=ContentType.objects.get_for_model(Incident),
                kind__in=["escalated", "deescalated"],
            ).values_list("ticket_id", flat=True)
        )

    def first_contact(f: Any) -> Any:
        moved = moved_ids()
        ids = list(resolved_in_period(f).values_list("id", flat=True))
        return sum(1 for pk in ids if pk not in moved) / len(ids) if ids else None

    def escalation(f: Any) -> Any:
        scope = dict(
            tickets_in_scope(f)
            .filter(created_at__gte=f.start, created_at__lt=f.end)
            .values_list("id", "tier")
        )
        escalated_from_1 = {
            pk
            for pk, kind, changes in TimelineEvent.objects.filter(
                ticket_type=ContentType.objects.get_for_model(Incident), kind="escalated"
            ).values_list("ticket_id", "kind", "changes")
            if pk in scope and changes.get("from_tier") == 1
        }
        return len(escalated_from_1)

    def satisfaction(f: Any) -> Any:
        scores = list(
            tickets_in_scope(f)
            .filter(satisfaction_at__gte=f.start, satisfaction_at__lt=f.end)
            .exclude(satisfaction_score=None)
            .values_list("satisfaction_score", flat=True)
        )
        return statistics.mean(scores) if scores else None

    return dict(
        zip(
            engine_reports(),
            [
                mttr,
                mtta,
                mtbf,
                compliance,
                backlog,
                volume,
                reopen,
                first_contact,
                escalation,
                satisfaction,
            ],
            strict=True,
        )
    )


HEADLINES: dict[str, Callable[[Any], Any]] = dict(
    zip(
        [
            "MTTR (mean, median, p90; wall + business)",
            "MTTA (mean, median, p90; wall + business)",
            "MTBF per service and CI",
            "SLA compliance by priority",
            "Backlog by age (open now)",
            "Created vs resolved per day",
            "Reopen rate",
            "First-contact resolution",
            "Escalation rate per tier",
            "Satisfaction",
        ],
        [
            lambda r: r.wall.mean,
            lambda r: r.wall.mean,
            lambda r: sum(row.failures for row in r.services),
            lambda r: r.total.resolution.rate,
            lambda r: r.total.total,
            lambda r: r.created,
            lambda r: r.rate,
            lambda r: r.total.rate,
            lambda r: r[0].escalated,
            lambda r: r.average,
        ],
        strict=True,
    )
)


def agree(engine: Any, naive: Any) -> bool:
    if engine is None or naive is None:
        return engine is naive
    return abs(float(engine) - float(naive)) <= 1e-6 * max(1.0, abs(float(naive))) + 1e-3


if __name__ == "__main__":
    main()
