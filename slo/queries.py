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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Field

from reporting.filters import ReportFilter
from reporting.kinds import KindSpec, reported_kinds
from reporting.metrics.mtbf import (
    _outage_tickets,
    _reopens,
    merged_outages_sql,
    outage_impacts,
)
from reporting.sql import epoch, fetch_all, greatest, instant, is_postgres, least, number
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


@dataclass(frozen=True)
class _Decided:
    """The objectives as a WITH clause (`o`) and the SELECT of their decided incidents, each
    with its parameters (a statement puts the WITH first, so its parameters come first)."""

    with_sql: str
    with_params: list[Any]
    select_sql: str
    select_params: list[Any]


def _decided_sql(
    objectives: Sequence[Objective], spec: KindSpec, now: datetime, days: int
) -> _Decided:
    """SQL of the incidents of these response objectives decided in the last `days` days (at
    least each objective's window): rows (oid, own, d, bad) — the objective, the Unix second
    its own window starts, the Unix second the incident's threshold ran out, and 1 when it was
    not acknowledged by then.

    One scan of the kind's table for all the objectives: the objectives are a VALUES list (a
    row per objective and priority) joined on service and priority, so the cost does not grow
    with the number of objectives."""
    model = spec.model
    table = connection.ops.quote_name(model._meta.db_table)

    def column(name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, Field) and field.column  # a concrete column of the kind's table
        return "i." + connection.ops.quote_name(field.column)

    started, acknowledged = column(spec.started), column(spec.acknowledged)
    rows: list[str] = []
    params: list[Any] = []
    longest = timedelta()
    end = now.timestamp()
    for objective in objectives:
        threshold = timedelta(minutes=objective.threshold_minutes or 0)
        longest = max(longest, timedelta(days=max(days, objective.window_days)) + threshold)
        own = end - objective.window_days * DAY
        for priority in objective.priorities:
            rows.append("(%s, %s, %s, %s, %s)")
            params += [
                objective.pk,
                objective.service_id,
                int(priority),
                threshold.total_seconds(),
                own,
            ]
    decided = f"({epoch(started)} + o.thr)"
    unresolved = ""
    if spec.ended_unresolved:
        unresolved = f"AND i.status NOT IN ({', '.join(['%s'] * len(spec.ended_unresolved))})"
    with_sql = f"WITH o(oid, service_id, priority, thr, own) AS (VALUES {', '.join(rows)})"
    select_sql = f"""
        SELECT o.oid, o.own, {decided} AS d,
          CASE WHEN {acknowledged} IS NULL
            OR {epoch(acknowledged)} > {decided} + {TOLERANCE_SECONDS:f} THEN 1 ELSE 0 END AS bad
        FROM {table} i JOIN o ON i.service_id = o.service_id AND i.priority = o.priority
        WHERE {started} >= %s AND {started} < %s {unresolved}
          AND {decided} >= %s AND {decided} < %s
    """  # noqa: S608 — only column names and placeholders are interpolated
    select_params = [
        instant(now - longest),
        instant(now),
        *spec.ended_unresolved,
        end - days * DAY,
        end,
    ]
    return _Decided(with_sql, params, select_sql, select_params)


def response_counts(
    objectives: Sequence[Objective], windows: Sequence[timedelta], now: datetime
) -> dict[int, list[tuple[int, int]]]:
    """{objective id: [(events, bad events) decided within each window ending now, and last
    over the objective's own window]}: one query for all the response objectives."""
    spec = measured_spec()
    objectives = [o for o in objectives if o.priorities]
    if spec is None or not objectives:
        return {}
    longest = max([*(o.window_days for o in objectives), *(w.days + 1 for w in windows)])
    decided = _decided_sql(objectives, spec, now, longest)
    end = now.timestamp()
    columns: list[str] = []
    params: list[Any] = []
    for window in windows:
        columns.append(
            "SUM(CASE WHEN x.d >= %s THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN x.d >= %s THEN x.bad ELSE 0 END)"
        )
        params += [end - window.total_seconds()] * 2
    columns.append(
        "SUM(CASE WHEN x.d >= x.own THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN x.d >= x.own THEN x.bad ELSE 0 END)"
    )
    sql = (
        f"{decided.with_sql} SELECT x.oid, {', '.join(columns)} "  # noqa: S608
        f"FROM ({decided.select_sql}) x GROUP BY x.oid"
    )
    ordered = [*decided.with_params, *params, *decided.select_params]
    counts: dict[int, list[tuple[int, int]]] = {
        o.pk: [(0, 0)] * (len(windows) + 1) for o in objectives
    }
    for row in fetch_all(sql, ordered):
        values = [int(number(v) or 0) for v in row[1:]]
        counts[int(row[0])] = list(zip(values[0::2], values[1::2], strict=True))
    return counts


def response_daily(objective: Objective, now: datetime) -> dict[int, tuple[int, int]]:
    """{day index: (events, bad)} of the objective's incidents decided over the last two
    windows, day 0 starting 2 x window_days days before now (for the budget chart)."""
    spec = measured_spec()
    if spec is None or not objective.priorities:
        return {}
    origin = (now - timedelta(days=2 * objective.window_days)).timestamp()
    decided = _decided_sql([objective], spec, now, 2 * objective.window_days)
    offset = f"(x.d - {origin:f}) / {DAY:f}"
    day = f"FLOOR({offset})" if is_postgres() else f"CAST({offset} AS INTEGER)"
    sql = (
        f"{decided.with_sql} SELECT {day} AS k, COUNT(*), SUM(x.bad) "  # noqa: S608
        f"FROM ({decided.select_sql}) x GROUP BY k"
    )
    params = [*decided.with_params, *decided.select_params]
    daily: dict[int, tuple[int, int]] = {}
    for k, events, bad in fetch_all(sql, params):
        daily[int(k)] = (int(events), int(number(bad) or 0))
    return daily
