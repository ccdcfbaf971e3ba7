"""The numbers budgets are made of, computed in the database in a constant number of queries
whatever the number of objectives:

- availability: the outage incidents of the services, merged per service into islands exactly
  as MTBF merges them (reporting.metrics.mtbf: impact among REPORTING_OUTAGE_IMPACTS, from the
  start to the restoration, reopens as new pieces), and the downtime within each window;
- response: per objective, its incidents (service, priorities) decided in each window, and
  how many of them were bad. An incident is decided when its threshold runs out (started +
  threshold): good if acknowledged by then (the kind's reporting milestone `acknowledged`,
  e.g. logged), bad otherwise. Cancelled incidents (duplicates, not incidents) do not count.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F

from reporting.filters import ReportFilter
from reporting.kinds import KindSpec, reported_kinds
from reporting.metrics.mtbf import (
    _outage_tickets,
    _reopens,
    merged_outages_sql,
    outage_impacts,
)
from reporting.sql import compiled, epoch, fetch_all, greatest, is_postgres, least, number
from slo.models import Objective

DAY = 86400.0
# An acknowledgement this close past the threshold is within it (SQLite's date arithmetic
# carries sub-millisecond noise).
TOLERANCE_SECONDS = 0.001


def measured_spec() -> KindSpec | None:
    """The ticket kind SLOs measure: the first registered kind with an impact (incidents),
    found through the kernel's registry."""
    return next((spec for spec in reported_kinds() if spec.measures_outages), None)


def _islands_sql(
    service_ids: Iterable[int], start: datetime, now: datetime
) -> tuple[str, tuple[Any, ...]] | None:
    spec = measured_spec()
    if spec is None:
        return None
    report = ReportFilter(start=start, end=now, kind=spec.name)
    outages = _outage_tickets(report, spec, outage_impacts(), now).filter(
        service_id__in=sorted(set(service_ids))
    )
    return merged_outages_sql(outages, _reopens(spec, outages), "service_id", start, now)


def downtime_by_service(
    service_ids: Iterable[int], windows: Sequence[timedelta], now: datetime
) -> dict[int, list[float]]:
    """{service id: [seconds of outage within each window ending now]}, one query; services
    without outage are left out."""
    ids = list(service_ids)
    if not ids or not windows:
        return {}
    longest = max(windows)
    islands = _islands_sql(ids, now - longest, now)
    if islands is None:
        return {}
    islands_sql, islands_params = islands
    clipped = f"{least('m.e', '%s')} - {greatest('m.s', '%s')}"
    columns = ", ".join(f"SUM({greatest('0.0', clipped)})" for _ in windows)
    sql = f"SELECT m.d, {columns} FROM ({islands_sql}) m GROUP BY m.d"  # noqa: S608
    params: list[Any] = []
    end = now.timestamp()
    for window in windows:
        params += [end, end - window.total_seconds()]
    return {
        int(row[0]): [round(number(value) or 0.0, 3) for value in row[1:]]
        for row in fetch_all(sql, (*params, *islands_params))
    }


def service_islands(service_id: int, start: datetime, now: datetime) -> list[tuple[float, float]]:
    """The service's merged outages touching [start, now) as (start, end) Unix seconds, in
    order (an outage still going on ends now)."""
    islands = _islands_sql([service_id], start, now)
    if islands is None:
        return []
    islands_sql, params = islands
    rows = fetch_all(f"SELECT m.s, m.e FROM ({islands_sql}) m ORDER BY m.s", params)  # noqa: S608
    return [(number(s) or 0.0, number(e) or 0.0) for s, e in rows]


def _decided_sql(
    objective: Objective, spec: KindSpec, now: datetime, days: int
) -> tuple[str, list[Any]]:
    """SQL of the objective's incidents decided in the last `days` days: (d, bad), `d` the
    Unix second its threshold ran out, `bad` 1 when it was not acknowledged by then."""
    threshold = timedelta(minutes=objective.threshold_minutes or 0)
    earliest = now - timedelta(days=days)
    manager: Any = spec.model._default_manager
    tickets = (
        manager.filter(
            service_id=objective.service_id,
            priority__in=list(objective.priorities),
            **{
                f"{spec.started}__gte": earliest - threshold,
                f"{spec.started}__lt": now - threshold,
            },
        )
        .exclude(status__in=spec.ended_unresolved)
        .annotate(s_at=F(spec.started), a_at=F(spec.acknowledged))
        .order_by()
        .values("s_at", "a_at")
    )
    tickets_sql, params = compiled(tickets)
    seconds = threshold.total_seconds()
    decided = f"({epoch('q.s_at')} + {seconds:f})"
    sql = (
        f"SELECT {decided} AS d, CASE WHEN q.a_at IS NULL OR "  # noqa: S608
        f"{epoch('q.a_at')} > {decided} + {TOLERANCE_SECONDS:f} THEN 1 ELSE 0 END AS bad "
        f"FROM ({tickets_sql}) q"
    )
    return sql, list(params)


def response_counts(
    objectives: Sequence[Objective], windows: Sequence[timedelta], now: datetime
) -> dict[int, list[tuple[int, int]]]:
    """{objective id: [(events, bad events) decided within each window ending now, and last
    over the objective's own window]}: one query for all the response objectives."""
    spec = measured_spec()
    if spec is None or not objectives:
        return {}
    parts: list[str] = []
    params: list[Any] = []
    end = now.timestamp()
    for objective in objectives:
        spans = [*windows, timedelta(days=objective.window_days)]
        columns = ", ".join(
            "SUM(CASE WHEN x.d >= %s THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN x.d >= %s THEN x.bad ELSE 0 END)"
            for _ in spans
        )
        days = max(objective.window_days, 3)
        decided_sql, decided_params = _decided_sql(objective, spec, now, days)
        parts.append(f"SELECT %s, {columns} FROM ({decided_sql}) x")  # noqa: S608
        params.append(objective.pk)
        for span in spans:
            params += [end - span.total_seconds()] * 2
        params += decided_params
    counts: dict[int, list[tuple[int, int]]] = {}
    for row in fetch_all(" UNION ALL ".join(parts), params):
        values = [int(number(v) or 0) for v in row[1:]]
        counts[int(row[0])] = list(zip(values[0::2], values[1::2], strict=True))
    return counts


def response_daily(objective: Objective, now: datetime) -> dict[int, tuple[int, int]]:
    """{day index: (events, bad)} of the objective's incidents decided over the last two
    windows, day 0 starting 2 x window_days days before now (for the budget chart)."""
    spec = measured_spec()
    if spec is None:
        return {}
    origin = (now - timedelta(days=2 * objective.window_days)).timestamp()
    decided_sql, params = _decided_sql(objective, spec, now, 2 * objective.window_days)
    offset = f"(x.d - {origin:f}) / {DAY:f}"
    day = f"FLOOR({offset})" if is_postgres() else f"CAST({offset} AS INTEGER)"
    sql = (
        f"SELECT {day} AS k, COUNT(*), SUM(x.bad) FROM ({decided_sql}) x "  # noqa: S608
        f"WHERE x.d >= {origin:f} GROUP BY k"
    )
    daily: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for k, events, bad in fetch_all(sql, params):
        daily[int(k)] = (int(events), int(number(bad) or 0))
    return dict(daily)
