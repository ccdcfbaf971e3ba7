"""MTTR and MTTA: mean, median and 90th percentile, in wall-clock and in business time.

MTTR: tickets resolved in the period; resolved - identified (requests: fulfilled - submitted),
minus the time the resolution clock was paused (on hold, and for a reopened ticket the time it
sat resolved before the reopen). Business: the resolution clock's working time on its SLA
calendar without the pauses, recorded when the clock stopped; tickets without a clock have no
business value and count only in the wall-clock figures.

MTTA: tickets acknowledged in the period; logged - identified (requests: fulfilment started -
submitted), minus the response clock's pauses (awaiting approval); business from the response
clock likewise. Tickets later cancelled as not real work (an incident's duplicate or "not an
incident": ReportingExtras.unmeasured_cancel_reasons) are left out.
"""

from dataclasses import dataclass

from reporting.filters import ReportFilter
from reporting.kinds import KindSpec
from reporting.scope import resolved_in_period, spec_for, tickets_in_scope
from reporting.sql import DurationStats, compiled, duration_stats, seconds_between, tuned
from sla.choices import Metric


@dataclass(frozen=True)
class DurationReport:
    """`wall` counts every ticket in the period; `business` those with an SLA clock."""

    metric: str
    wall: DurationStats
    business: DurationStats


def _source(
    spec: KindSpec, base_sql: str, end_field: str, metric: str
) -> tuple[str, tuple[object, ...]]:
    wall = seconds_between(f"t.{end_field}", f"t.{spec.started}")
    sql = (
        f"SELECT ({wall} - COALESCE(c.paused_seconds, 0)) AS wall, "  # noqa: S608
        "c.elapsed_business_seconds AS business "
        f"FROM ({base_sql}) t LEFT JOIN sla_slaclock c "
        # Served by the covering index sla_clock_elapsed_idx (no clock row is read); only
        # stopped clocks carry the seconds, the others give NULL.
        "ON c.ticket_type_id = %s AND c.ticket_id = t.id AND c.metric = %s"
    )
    return sql, (spec.content_type_id, metric)


@tuned
def mttr(
    report: ReportFilter, *, percentiles: bool = True, portable: bool = False
) -> DurationReport:
    """Mean time to resolve over the tickets resolved in the period."""
    spec = spec_for(report)
    base_sql, base_params = compiled(
        resolved_in_period(report).values("id", spec.started, spec.resolved)
    )
    sql, join_params = _source(spec, base_sql, spec.resolved, Metric.RESOLUTION)
    stats = duration_stats(
        sql,
        base_params + join_params,
        ("wall", "business"),
        percentiles=percentiles,
        portable=portable,
    )
    return DurationReport(metric="mttr", wall=stats["wall"], business=stats["business"])


@tuned
def mtta(
    report: ReportFilter, *, percentiles: bool = True, portable: bool = False
) -> DurationReport:
    """Mean time to acknowledge over the tickets acknowledged in the period."""
    spec = spec_for(report)
    acknowledged = tickets_in_scope(report).filter(
        **{f"{spec.acknowledged}__gte": report.start, f"{spec.acknowledged}__lt": report.end}
    )
    reason, unmeasured = spec.extras.cancel_reason, spec.extras.unmeasured_cancel_reasons
    if reason and unmeasured:
        # Accepted, then found to be a duplicate or not an incident: no one was waiting.
        acknowledged = acknowledged.exclude(
            status__in=spec.ended_unresolved, **{f"{reason}__in": unmeasured}
        )
    base_sql, base_params = compiled(acknowledged.values("id", spec.started, spec.acknowledged))
    sql, join_params = _source(spec, base_sql, spec.acknowledged, Metric.RESPONSE)
    stats = duration_stats(
        sql,
        base_params + join_params,
        ("wall", "business"),
        percentiles=percentiles,
        portable=portable,
    )
    return DurationReport(metric="mtta", wall=stats["wall"], business=stats["business"])
