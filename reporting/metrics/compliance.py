"""SLA compliance: met / (met + breached), for response and resolution clocks.

A clock counts in the period in which its outcome was decided (reporting.metrics.outcomes): a
breach at its due time, if the clock was still running then (so before any sweep, and never
for a clock paused before its due time); a met clock when it stopped in time. Cancelled clocks
and clocks still running or paused before their due time are not counted. Broken down by the
ticket's priority, support group, tier or service.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from core.exceptions import ValidationFailed
from core.models import Service, SupportGroup
from reporting.filters import ReportFilter
from reporting.metrics.outcomes import decided_clocks_sql
from reporting.scope import spec_for, tickets_in_scope
from reporting.sql import compiled, fetch_all, tuned
from sla.choices import Metric

BREAKDOWNS: dict[str, str] = {
    "priority": "priority",
    "group": "support_group_id",
    "tier": "tier",
    "service": "service_id",
}


@dataclass(frozen=True)
class Outcome:
    met: int = 0
    breached: int = 0

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def rate(self) -> float | None:
        """Share met, 0..1; None when nothing was decided."""
        return self.met / self.total if self.total else None


@dataclass(frozen=True)
class ComplianceRow:
    key: int | None
    label: str
    response: Outcome = field(default_factory=Outcome)
    resolution: Outcome = field(default_factory=Outcome)


@dataclass(frozen=True)
class ComplianceReport:
    by: str | None
    total: ComplianceRow
    rows: list[ComplianceRow]


@tuned
def compliance(
    report: ReportFilter, *, by: str | None = None, now: datetime | None = None
) -> ComplianceReport:
    """Compliance over the clocks decided in the period, overall and per `by` value."""
    if by is not None and by not in BREAKDOWNS:
        raise ValidationFailed({"by": f"Choose one of: {', '.join(BREAKDOWNS)}."})
    counts = _counts(report, BREAKDOWNS[by] if by else None, now or timezone.now())
    total = ComplianceRow(
        key=None,
        label="All",
        response=_sum(c.get(Metric.RESPONSE, Outcome()) for c in counts.values()),
        resolution=_sum(c.get(Metric.RESOLUTION, Outcome()) for c in counts.values()),
    )
    return ComplianceReport(by=by, total=total, rows=_rows(by, counts) if by else [])


Counts = dict[int | None, dict[str, Outcome]]


def _counts(report: ReportFilter, dimension: str | None, now: datetime) -> Counts:
    """Met and breached clocks by metric, per value of the ticket's `dimension` column (all
    under None without one); one query."""
    spec = spec_for(report)
    columns = ["id", dimension] if dimension else ["id"]
    dims = (report.service_id, report.ci_id, report.group_id, report.tier, report.priority)
    narrowed = dimension is not None or any(value is not None for value in dims)
    if narrowed:
        base_sql, base_params = compiled(tickets_in_scope(report).values(*columns))
        join = f"JOIN ({base_sql}) t ON t.id = d.ticket_id"
    else:
        # The whole kind: the clocks' ticket_type says it, no need to read the tickets.
        base_params, join = (), ""
    group_expr = "t." + dimension if dimension else "NULL"
    group_by = f"t.{dimension}, d.metric" if dimension else "d.metric"
    decided_sql, decided_params = decided_clocks_sql(
        spec.content_type_id, report.start, report.end, now
    )
    sql = f"""
        SELECT {group_expr} AS k, d.metric, SUM(d.met), SUM(d.breached)
        FROM ({decided_sql}) d {join}
        GROUP BY {group_by}
    """  # noqa: S608 — only column names and compiled SQL are interpolated
    counts: Counts = {}
    for key, metric, met, breached in fetch_all(sql, (*decided_params, *base_params)):
        counts.setdefault(key, {})[metric] = Outcome(int(met or 0), int(breached or 0))
    return counts


def _rows(by: str, counts: Counts) -> list[ComplianceRow]:
    """One row per value of the breakdown, labelled; tickets without one last."""
    rows = [
        ComplianceRow(
            key=key,
            label=label,
            response=counts.get(key, {}).get(Metric.RESPONSE, Outcome()),
            resolution=counts.get(key, {}).get(Metric.RESOLUTION, Outcome()),
        )
        for key, label in _labels(by, [k for k in counts if k is not None])
    ]
    if None in counts:
        rows.append(
            ComplianceRow(
                key=None,
                label=f"(no {by})",
                response=counts[None].get(Metric.RESPONSE, Outcome()),
                resolution=counts[None].get(Metric.RESOLUTION, Outcome()),
            )
        )
    return rows


def _sum(outcomes: Iterable[Outcome]) -> Outcome:
    met = breached = 0
    for outcome in outcomes:
        met += outcome.met
        breached += outcome.breached
    return Outcome(met, breached)


def _labels(by: str | None, keys: list[int]) -> list[tuple[int, str]]:
    if by == "priority":
        return [(k, f"P{k}") for k in sorted(keys)]
    if by == "tier":
        return [(k, f"L{k}") for k in sorted(keys)]
    model = SupportGroup if by == "group" else Service
    names = dict(model.objects.filter(pk__in=keys).values_list("pk", "name"))
    return sorted(((k, names.get(k, f"#{k}")) for k in keys), key=lambda pair: pair[1])
