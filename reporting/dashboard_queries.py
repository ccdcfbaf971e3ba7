"""Reads the dashboard needs beyond reporting.metrics: the compliance trend in one query, the
tickets breached or at risk right now, and the open work per agent and per tier.

"Breached" and "at risk" are read exactly as the agent queue's `sla_state` filter reads them
(the incident list's FilterSet): from the ticket's nearest running clock, `sla_due_at <= now`
and `sla_warn_at <= now < sla_due_at`, so a "see all" link shows the same tickets the tile
counted. Tickets are read through their kind's selector and linked to through its URL names,
both from the kind registry.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.models import User
from reporting.filters import ReportFilter
from reporting.format import duration
from reporting.metrics.compliance import Outcome
from reporting.metrics.outcomes import decided_clocks_sql
from reporting.scope import spec_for, tickets_in_scope
from reporting.sql import compiled, fetch_all, instant
from sla.choices import Metric, SlaState

MAX_TREND_POINTS = 26
NOW_LIMIT = 20
AGENT_LIMIT = 20


# --- Compliance trend ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    start: datetime
    end: datetime
    response: Outcome
    resolution: Outcome


def trend_buckets(
    report: ReportFilter, *, max_points: int = MAX_TREND_POINTS
) -> list[tuple[datetime, datetime]]:
    """The period cut at local Mondays (calendar weeks, the first and last clipped to the
    period); several weeks per bucket when the period would need more than `max_points`."""
    first = timezone.localtime(report.start).date()
    last = timezone.localtime(report.end - timedelta(microseconds=1)).date()
    monday = first - timedelta(days=first.weekday())
    weeks = (last - monday).days // 7 + 1
    step = timedelta(weeks=max(1, math.ceil(weeks / max_points)))
    buckets = []
    day = monday
    while True:
        start = max(report.start, timezone.make_aware(datetime.combine(day, time.min)))
        if start >= report.end:
            break
        day += step
        end = min(report.end, timezone.make_aware(datetime.combine(day, time.min)))
        buckets.append((start, end))
    return buckets


def _bucket_of(column: str, edges: int) -> str:
    """SQL numbering the bucket `column` falls in: 0 before the first of `edges` inner
    edges (%s placeholders, in order), then 1, 2... up to `edges`."""
    if not edges:
        return "0"
    whens = " ".join(f"WHEN {column} < %s THEN {index}" for index in range(edges))
    return f"CASE {whens} ELSE {edges} END"


def compliance_trend(
    report: ReportFilter,
    buckets: Sequence[tuple[datetime, datetime]],
    *,
    now: datetime | None = None,
) -> list[TrendPoint]:
    """Response and resolution compliance per bucket, in one query.

    The clocks decided in the period as reporting.metrics.compliance reads them (the same SQL,
    reporting.metrics.outcomes), numbered by the bucket their decision falls in, so the
    buckets add up to compliance(report).total (a test holds both to it); joined to the
    tickets only when a dimension narrows them."""
    if not buckets:
        return []
    spec = spec_for(report)
    edges = [end for _, end in buckets[:-1]]
    case = _bucket_of("k.decided", len(edges))
    join, join_params = "", ()
    if set(report.dimensions()) - {"kind"}:
        base_sql, base_params = compiled(tickets_in_scope(report).values("id"))
        join, join_params = f"JOIN ({base_sql}) t ON t.id = k.ticket_id", base_params
    decided_sql, decided_params = decided_clocks_sql(
        spec.content_type_id, buckets[0][0], buckets[-1][1], now or timezone.now()
    )
    sql = f"""
        SELECT x.metric, x.b, SUM(x.met), SUM(x.breached) FROM (
          SELECT k.metric, {case} AS b, k.met, k.breached FROM ({decided_sql}) k {join}
        ) x GROUP BY x.metric, x.b
    """  # noqa: S608 — only placeholders, bucket numbers and compiled SQL are interpolated
    params = (*(instant(edge) for edge in edges), *decided_params, *join_params)
    counts: dict[tuple[str, int], Outcome] = {}
    for metric, bucket, met, breached in fetch_all(sql, params):
        counts[(str(metric), int(bucket))] = Outcome(int(met or 0), int(breached or 0))
    return [
        TrendPoint(
            start=bucket_start,
            end=bucket_end,
            response=counts.get((Metric.RESPONSE, index), Outcome()),
            resolution=counts.get((Metric.RESOLUTION, index), Outcome()),
        )
        for index, (bucket_start, bucket_end) in enumerate(buckets)
    ]


# --- Right now: breached and at risk -------------------------------------------------------


@dataclass(frozen=True)
class NowTicket:
    number: str
    title: str
    url: str
    priority: int
    tier: int
    group: str
    assignee: str
    due_at: datetime
    when: str


@dataclass(frozen=True)
class NowList:
    state: str
    label: str
    count: int
    tickets: list[NowTicket]
    see_all_url: str  # "" when the list page cannot filter by SLA state (requests)

    @property
    def slug(self) -> str:
        """For element ids: "breached", "at-risk"."""
        return self.state.replace("_", "-")


def _narrow(queryset: QuerySet[Any], report: ReportFilter) -> QuerySet[Any]:
    """The report's dimensions on a selector's queryset (same fields as reporting.scope)."""
    conditions = {
        "service_id": report.service_id,
        "configuration_item_id": report.ci_id,
        "support_group_id": report.group_id,
        "priority": report.priority,
        "tier": report.tier,
    }
    return queryset.filter(**{k: v for k, v in conditions.items() if v is not None})


def _open_for(report: ReportFilter, user: User) -> QuerySet[Any]:
    spec = spec_for(report)
    scoped: QuerySet[Any] = spec.kind.list_for_user(user)
    scoped = scoped.select_related(None).select_related("assignee", "support_group")
    return _narrow(scoped, report).filter(status__in=spec.open_statuses)


# The report's dimensions as the agent lists' query parameters, in the order links write them.
_QUEUE_DIMENSIONS = (
    ("group_id", "support_group"),
    ("priority", "priority"),
    ("tier", "tier"),
    ("service_id", "service"),
    ("ci_id", "configuration_item"),
)


def queue_url(report: ReportFilter, **extra: Any) -> str:
    """The kind's agent list showing the same tickets, or "" when that list cannot narrow by
    every dimension in use and every `extra` parameter (the kind's
    ReportingExtras.queue_filters: the request list has no priority, tier, service or SLA
    state filter; no list is linked to by CI), so a link never promises a list it does not
    show."""
    spec = spec_for(report)
    params = {name: getattr(report, attribute) for attribute, name in _QUEUE_DIMENSIONS}
    params.update(extra)
    query = {key: str(value) for key, value in params.items() if value is not None}
    if not spec.extras.queue_filters.issuperset(query):
        return ""
    url = reverse(f"{spec.kind.url_namespace}:agent_list")
    return url + (f"?{urlencode(query)}" if query else "")


def right_now(report: ReportFilter, *, user: User, now: datetime) -> list[NowList]:
    """Open tickets past their due time, then those past their warning: the first NOW_LIMIT of
    each, nearest due first, with their counts (four queries whatever the numbers)."""
    spec = spec_for(report)
    open_tickets = _open_for(report, user)
    states = (
        (SlaState.BREACHED, "Breached", Q(sla_due_at__lte=now)),
        (SlaState.AT_RISK, "At risk", Q(sla_warn_at__lte=now, sla_due_at__gt=now)),
    )
    lists = []
    for state, label, condition in states:
        matching = open_tickets.filter(condition)
        tickets = [
            NowTicket(
                number=ticket.number,
                title=ticket.title,
                url=spec.kind.agent_path(ticket.number),
                priority=ticket.priority,
                tier=ticket.tier,
                group=ticket.support_group.name if ticket.support_group else "",
                assignee=ticket.assignee.display_name if ticket.assignee else "",
                due_at=ticket.sla_due_at,
                when=(
                    f"overdue by {duration((now - ticket.sla_due_at).total_seconds())}"
                    if state == SlaState.BREACHED
                    else f"due in {duration((ticket.sla_due_at - now).total_seconds())}"
                ),
            )
            for ticket in matching.order_by("sla_due_at", "id")[:NOW_LIMIT]
        ]
        see_all = queue_url(report, sla_state=state.value)
        lists.append(
            NowList(
                state=state.value,
                label=label,
                count=matching.count(),
                tickets=tickets,
                see_all_url=see_all,
            )
        )
    return lists


# --- Workload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """Open tickets of one agent or tier, and how many of them are breached or at risk."""

    key: int
    label: str
    open: int
    breached: int
    at_risk: int
    unassigned: int = 0
    url: str = ""

    @property
    def on_track(self) -> int:
        return self.open - self.breached - self.at_risk


def _load_counts(now: datetime) -> dict[str, Any]:
    return {
        "open_count": Count("pk"),
        "breached": Count("pk", filter=Q(sla_due_at__lte=now)),
        "at_risk": Count("pk", filter=Q(sla_warn_at__lte=now, sla_due_at__gt=now)),
    }


def workload_agents(report: ReportFilter, *, now: datetime) -> list[Load]:
    """The AGENT_LIMIT agents with the most open tickets in scope, with their names (one
    query: the name columns ride along in the GROUP BY of the assignee)."""
    spec = spec_for(report)
    rows = (
        tickets_in_scope(report)
        .filter(status__in=spec.open_statuses, assignee__isnull=False)
        .values("assignee", "assignee__username", "assignee__first_name", "assignee__last_name")
        .annotate(**_load_counts(now))
        .order_by("-open_count", "assignee")[:AGENT_LIMIT]
    )
    loads = []
    for row in rows:
        name = f"{row['assignee__first_name']} {row['assignee__last_name']}".strip()
        loads.append(
            Load(
                key=row["assignee"],
                label=name or row["assignee__username"],
                open=row["open_count"],
                breached=row["breached"],
                at_risk=row["at_risk"],
                url=queue_url(report, assignee=row["assignee"]),
            )
        )
    return loads


def workload_tiers(report: ReportFilter, *, now: datetime) -> list[Load]:
    """Open tickets per tier L1-L3 (every tier listed, zeros included; one query)."""
    spec = spec_for(report)
    rows = {
        row["tier"]: row
        for row in tickets_in_scope(report)
        .filter(status__in=spec.open_statuses)
        .values("tier")
        .annotate(**_load_counts(now), unassigned=Count("pk", filter=Q(assignee__isnull=True)))
        .order_by("tier")
    }
    tiers = [report.tier] if report.tier is not None else [1, 2, 3]
    loads = []
    for tier in tiers:
        row = rows.get(tier, {})
        loads.append(
            Load(
                key=tier,
                label=f"L{tier}",
                open=row.get("open_count", 0),
                breached=row.get("breached", 0),
                at_risk=row.get("at_risk", 0),
                unassigned=row.get("unassigned", 0),
                url=queue_url(report, tier=tier),
            )
        )
    return loads
