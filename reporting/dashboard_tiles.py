"""The dashboard's tiles: what each one computes and the context its template draws, and the
CSV of each chart's numbers (the same rows as the table under the chart).

Every tile is a pure read built from reporting.metrics and reporting.dashboard_queries, with a
fixed number of queries whatever the number of tickets (tests/dashboard/test_queries.py).
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from core.exceptions import ValidationFailed
from core.models import User
from reporting.dashboard_charts import (
    BarSeries,
    LineSeries,
    RowInput,
    bar_rows,
    time_chart,
)
from reporting.dashboard_queries import (
    AGENT_LIMIT,
    Load,
    TrendPoint,
    compliance_trend,
    queue_url,
    right_now,
    trend_buckets,
    workload_agents,
    workload_tiers,
)
from reporting.filters import ReportFilter
from reporting.format import percent
from reporting.kinds import outage_refusal, reopen_refusal
from reporting.metrics.compliance import Outcome
from reporting.metrics.durations import mtta, mttr
from reporting.metrics.flow import (
    AGE_BUCKETS,
    SourceCount,
    backlog,
    created_by_source,
    reopen_rate,
    volume,
)
from reporting.metrics.mtbf import MtbfRow, mtbf, outage_impacts
from reporting.metrics.oncall import oncall_review
from reporting.metrics.satisfaction import satisfaction
from reporting.metrics.tiers import first_contact
from reporting.scope import spec_for
from slo.selectors import objective_list, objective_statuses

# Above this many days the volume chart shows weeks instead of days.
DAILY_VOLUME_DAYS = 92
MTBF_ROWS = 10
EN_DASH = " \u2013 "


@dataclass(frozen=True)
class TileContext:
    report: ReportFilter
    user: User
    now: datetime


def _day(value: date) -> str:
    return f"{value.day} {value:%b}"


def _span(start: datetime, end: datetime) -> str:
    first = timezone.localtime(start).date()
    last = timezone.localtime(end - timedelta(microseconds=1)).date()
    return _day(first) if first == last else f"{_day(first)}{EN_DASH}{_day(last)}"


def _percent_value(outcome: Outcome) -> float | None:
    return None if outcome.rate is None else outcome.rate * 100


def _say_percent(value: float) -> str:
    return f"{value:.1f} %"


# --- Compliance -----------------------------------------------------------------------------


def _trend(ctx: TileContext) -> list[TrendPoint]:
    return compliance_trend(ctx.report, trend_buckets(ctx.report), now=ctx.now)


def tile_compliance(ctx: TileContext) -> dict[str, Any]:
    points = _trend(ctx)
    response = Outcome(
        sum(p.response.met for p in points), sum(p.response.breached for p in points)
    )
    resolution = Outcome(
        sum(p.resolution.met for p in points), sum(p.resolution.breached for p in points)
    )
    labels = [_day(timezone.localtime(p.start).date()) for p in points]
    chart = time_chart(
        labels,
        lines=[
            LineSeries(
                "response",
                "Response",
                [_percent_value(p.response) for p in points],
                shape="circle",
                say=_say_percent,
            ),
            LineSeries(
                "resolution",
                "Resolution",
                [_percent_value(p.resolution) for p in points],
                shape="square",
                say=_say_percent,
            ),
        ],
        y_max=100,
        y_label=lambda value: f"{value:.0f} %",
    )
    rows = [{"label": _span(p.start, p.end), "point": p} for p in points]
    summary = (
        f"Share of SLA targets met per week, {rows[0]['label']} to {rows[-1]['label']}. "
        f"Whole period: response {percent(response.rate)}, resolution "
        f"{percent(resolution.rate)}."
        if rows
        else ""
    )
    return {
        "summary": summary,
        "legend": [
            ("response", "Response (solid line, circles)", "line"),
            ("resolution", "Resolution (dashed line, squares)", "dashed"),
        ],
        "response": response,
        "resolution": resolution,
        "breached": response.breached + resolution.breached,
        "chart": chart,
        "rows": rows,
        "several_weeks": any(p.end - p.start > timedelta(days=7) for p in points),
    }


def csv_compliance(ctx: TileContext) -> Iterator[list[Any]]:
    yield [
        "period_start",
        "period_end",
        "response_met",
        "response_breached",
        "response_rate",
        "resolution_met",
        "resolution_breached",
        "resolution_rate",
    ]
    for p in _trend(ctx):
        yield [
            p.start.isoformat(),
            p.end.isoformat(),
            p.response.met,
            p.response.breached,
            _rate(p.response.rate),
            p.resolution.met,
            p.resolution.breached,
            _rate(p.resolution.rate),
        ]


def _rate(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.4f}"


# --- Right now ------------------------------------------------------------------------------


def tile_now(ctx: TileContext) -> dict[str, Any]:
    breached, at_risk = right_now(ctx.report, user=ctx.user, now=ctx.now)
    return {"breached": breached, "at_risk": at_risk, "lists": [breached, at_risk]}


# --- Volume ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeRow:
    label: str
    first: date
    last: date
    created: int
    resolved: int


def _volume_rows(ctx: TileContext) -> tuple[list[VolumeRow], str, list[SourceCount]]:
    report = volume(ctx.report)
    days = report.days
    if len(days) <= DAILY_VOLUME_DAYS:
        rows = [VolumeRow(_day(d.day), d.day, d.day, d.created, d.resolved) for d in days]
        return rows, "day", report.by_source
    weeks: dict[date, list[int]] = {}
    for d in days:
        monday = d.day - timedelta(days=d.day.weekday())
        totals = weeks.setdefault(monday, [0, 0])
        totals[0] += d.created
        totals[1] += d.resolved
    first, last = days[0].day, days[-1].day
    rows = []
    for monday, (created, resolved) in weeks.items():
        start, end = max(monday, first), min(monday + timedelta(days=6), last)
        rows.append(VolumeRow(f"{_day(start)}{EN_DASH}{_day(end)}", start, end, created, resolved))
    return rows, "week", report.by_source


def tile_volume(ctx: TileContext) -> dict[str, Any]:
    rows, unit, by_source = _volume_rows(ctx)
    labels = [_day(row.first) for row in rows]
    chart = time_chart(
        labels,
        bars=BarSeries("created", "Created", [row.created for row in rows]),
        lines=[LineSeries("resolved", "Resolved", [row.resolved for row in rows], shape="circle")],
    )
    created = sum(row.created for row in rows)
    resolved = sum(row.resolved for row in rows)
    busiest = max(rows, key=lambda row: row.created, default=None)
    title = f"Tickets created and resolved per {unit}"
    summary = f"{created} created and {resolved} resolved" + (
        f", {rows[0].label} to {rows[-1].label}" if rows else ""
    )
    if busiest and busiest.created:
        summary += f"; most created: {busiest.created} ({busiest.label})"
    return {
        "title": title,
        "summary": summary + ".",
        "legend": [("created", "Created (bars)", "bar"), ("resolved", "Resolved (line)", "line")],
        "rows": rows,
        "unit": unit,
        "chart": chart,
        "created": created,
        "resolved": resolved,
        "net": created - resolved,
        "busiest": busiest if busiest and busiest.created else None,
        "by_source": by_source,
    }


def csv_volume(ctx: TileContext) -> Iterator[list[Any]]:
    rows, _unit, _sources = _volume_rows(ctx)
    yield ["first_day", "last_day", "created", "resolved"]
    for row in rows:
        yield [row.first.isoformat(), row.last.isoformat(), row.created, row.resolved]


def csv_sources(ctx: TileContext) -> Iterator[list[Any]]:
    yield ["source", "label", "created"]
    for row in created_by_source(ctx.report):
        yield [row.source, row.label, row.created]


# --- Backlog --------------------------------------------------------------------------------


def tile_backlog(ctx: TileContext) -> dict[str, Any]:
    report = backlog(ctx.report, now=ctx.now)
    chart = bar_rows(
        [
            RowInput(
                label=label,
                parts=[
                    (f"p{row.priority}", f"P{row.priority}", row.buckets[key])
                    for row in report.rows
                ],
            )
            for key, label, *_ in AGE_BUCKETS
        ]
    )
    return {
        "backlog": report,
        "chart": chart,
        "legend": [(item.key, item.label, "bar") for item in chart.legend],
        "buckets": [(key, label) for key, label, *_ in AGE_BUCKETS],
        "oldest_share": (
            report.total.buckets["over_30d"] / report.total.total if report.total.total else None
        ),
    }


def csv_backlog(ctx: TileContext) -> Iterator[list[Any]]:
    report = backlog(ctx.report, now=ctx.now)
    yield ["priority", *(key for key, *_ in AGE_BUCKETS), "total"]
    for row in [*report.rows, report.total]:
        label = "all" if row is report.total else f"P{row.priority}"
        yield [label, *(row.buckets[key] for key, *_ in AGE_BUCKETS), row.total]


# --- Workload -------------------------------------------------------------------------------


def _load_rows(loads: list[Load]) -> list[RowInput]:
    return [
        RowInput(
            label=load.label,
            url=load.url,
            parts=[
                ("breached", "breached", load.breached),
                ("at_risk", "at risk", load.at_risk),
                ("on_track", "other", load.on_track),
            ],
        )
        for load in loads
    ]


def tile_workload(ctx: TileContext) -> dict[str, Any]:
    agents = workload_agents(ctx.report, now=ctx.now)
    tiers = workload_tiers(ctx.report, now=ctx.now)
    unassigned = sum(load.unassigned for load in tiers)
    return {
        "legend": [
            ("breached", "Breached", "bar"),
            ("at_risk", "At risk", "bar"),
            ("on_track", "Other open", "bar"),
        ],
        "agent_limit": AGENT_LIMIT,
        "assigned": sum(load.open for load in tiers) - unassigned,
        "unassigned_url": queue_url(ctx.report, assignee="null") if unassigned else "",
        "agents": agents,
        "tiers": tiers,
        "agent_chart": bar_rows(_load_rows(agents)),
        "tier_chart": bar_rows(_load_rows(tiers)),
        "unassigned": unassigned,
    }


def csv_workload_agents(ctx: TileContext) -> Iterator[list[Any]]:
    yield ["agent", "open", "breached", "at_risk"]
    for load in workload_agents(ctx.report, now=ctx.now):
        yield [load.label, load.open, load.breached, load.at_risk]


def csv_workload_tiers(ctx: TileContext) -> Iterator[list[Any]]:
    yield ["tier", "open", "unassigned", "breached", "at_risk"]
    for load in workload_tiers(ctx.report, now=ctx.now):
        yield [load.label, load.open, load.unassigned, load.breached, load.at_risk]


# --- MTTR / MTTA ----------------------------------------------------------------------------


def _durations(ctx: TileContext) -> list[tuple[str, str, Any]]:
    resolve, acknowledge = mttr(ctx.report), mtta(ctx.report)
    return [
        ("mttr", "wall-clock", resolve.wall),
        ("mttr", "business", resolve.business),
        ("mtta", "wall-clock", acknowledge.wall),
        ("mtta", "business", acknowledge.business),
    ]


def tile_durations(ctx: TileContext) -> dict[str, Any]:
    rows = _durations(ctx)
    return {"rows": rows, "mttr": rows[0][2], "mtta": rows[2][2], "noun": spec_for(ctx.report).noun}


def csv_durations(ctx: TileContext) -> Iterator[list[Any]]:
    yield ["metric", "clock", "tickets", "mean_seconds", "median_seconds", "p90_seconds"]
    for metric, clock, stats in _durations(ctx):
        yield [
            metric,
            clock,
            stats.count,
            _seconds(stats.mean),
            _seconds(stats.median),
            _seconds(stats.p90),
        ]


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


# --- MTBF -----------------------------------------------------------------------------------


def _failing_first(rows: Iterable[MtbfRow]) -> list[MtbfRow]:
    return sorted(rows, key=lambda row: (-row.failures, -row.outage_seconds, row.name))


def tile_mtbf(ctx: TileContext) -> dict[str, Any]:
    impacts = ", ".join(outage_impacts())
    refusal = outage_refusal(ctx.report.kind)
    if refusal:
        return {"refused": refusal, "impacts": impacts}
    try:
        report = mtbf(ctx.report, now=ctx.now)
    except ValidationFailed as exc:
        return {"refused": " ".join(exc.errors.values()), "impacts": impacts}
    services = _failing_first(report.services)
    failing = [row for row in services if row.was_down]
    return {
        "refused": "",
        "impacts": impacts,
        "services": failing[:MTBF_ROWS],
        "more_failing": max(0, len(failing) - MTBF_ROWS),
        "without_failure": len(services) - len(failing),
        "cis": [row for row in _failing_first(report.cis) if row.was_down][:MTBF_ROWS],
        "failures": sum(row.failures for row in services),
    }


def csv_mtbf(ctx: TileContext) -> Iterator[list[Any]]:
    refusal = outage_refusal(ctx.report.kind)
    if refusal:
        raise ValidationFailed({"kind": refusal})
    report = mtbf(ctx.report, now=ctx.now)
    yield ["scope", "id", "name", "failures", "outage_seconds", "mtbf_seconds", "note"]
    for scope, rows in (("service", report.services), ("ci", report.cis)):
        for row in rows:
            # No MTBF is an empty cell with the reason beside it, never a 0 (or a -0).
            yield [
                scope,
                row.id,
                row.name,
                row.failures,
                f"{row.outage_seconds:.0f}",
                _seconds(row.mtbf_seconds),
                row.note,
            ]


# --- Quality: first contact, reopen, satisfaction -------------------------------------------


def tile_quality(ctx: TileContext) -> dict[str, Any]:
    rated = satisfaction(ctx.report)
    chart = bar_rows(
        [
            RowInput(
                label=f"{score} of 5",
                parts=[("score", "ratings", rated.distribution.get(score, 0))],
            )
            for score in (5, 4, 3, 2, 1)
        ]
    )
    return {
        "first_contact": first_contact(ctx.report).total,
        "reopen": None if reopen_refusal(ctx.report.kind) else reopen_rate(ctx.report),
        "satisfaction": rated,
        "chart": chart,
    }


def csv_satisfaction(ctx: TileContext) -> Iterator[list[Any]]:
    rated = satisfaction(ctx.report)
    yield ["score", "ratings"]
    for score in (5, 4, 3, 2, 1):
        yield [score, rated.distribution.get(score, 0)]


# --- On call -------------------------------------------------------------------------------

ONCALL_TEAMS = 5


def tile_oncall(ctx: TileContext) -> dict[str, Any]:
    """The on-call review of the period and group (kind, service, priority and tier do not
    narrow pages): pages, time to acknowledge, interruptions, the most interrupted people."""
    review = oncall_review(ctx.report)
    return {
        "pages": review.pages,
        "exhausted": review.exhausted,
        "acknowledged": review.acknowledged,
        "interruptions": review.interruptions,
        "top": review.top_interrupted,
        "teams": review.teams[:ONCALL_TEAMS],
        "more_teams": max(0, len(review.teams) - ONCALL_TEAMS),
    }


# --- Service level objectives ----------------------------------------------------------------

SLO_ROWS = 5
SLO_STATUSES = ("exhausted", "fast burn", "burning", "healthy")


def tile_slo(ctx: TileContext) -> dict[str, Any]:
    """Every objective's status now (budgets have their own windows: the period does not
    apply; the service filter narrows), the ones with the least budget left first."""
    objectives = objective_list()
    if ctx.report.service_id is not None:
        objectives = objectives.filter(service_id=ctx.report.service_id)
    statuses = objective_statuses(list(objectives), now=ctx.now)
    counts = Counter(status.status for status in statuses)
    return {
        "total": len(statuses),
        "counts": [(name, counts[name]) for name in SLO_STATUSES],
        "worst": sorted(statuses, key=lambda status: status.budget.remaining_fraction)[:SLO_ROWS],
    }


# --- Registries -----------------------------------------------------------------------------

TILES: dict[str, Callable[[TileContext], dict[str, Any]]] = {
    "compliance": tile_compliance,
    "now": tile_now,
    "volume": tile_volume,
    "backlog": tile_backlog,
    "workload": tile_workload,
    "durations": tile_durations,
    "mtbf": tile_mtbf,
    "quality": tile_quality,
    "oncall": tile_oncall,
    "slo": tile_slo,
}

CSV_EXPORTS: dict[str, Callable[[TileContext], Iterator[list[Any]]]] = {
    "compliance-trend": csv_compliance,
    "volume": csv_volume,
    "sources": csv_sources,
    "backlog": csv_backlog,
    "workload-agents": csv_workload_agents,
    "workload-tiers": csv_workload_tiers,
    "durations": csv_durations,
    "mtbf": csv_mtbf,
    "satisfaction": csv_satisfaction,
}
