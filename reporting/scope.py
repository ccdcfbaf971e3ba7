"""The tickets a report reads: its kind's table narrowed by the report's dimensions."""

from typing import Any

from django.db.models import Q, QuerySet

from reporting.filters import ReportFilter
from reporting.kinds import KindSpec, spec_named


def spec_for(report: ReportFilter) -> KindSpec:
    return spec_named(report.kind)


def tickets_in_scope(report: ReportFilter, *, with_tier: bool = True) -> QuerySet[Any]:
    """The report's tickets narrowed by every dimension but the period (no ordering)."""
    spec = spec_for(report)
    condition = Q()
    if report.service_id is not None:
        condition &= Q(service_id=report.service_id)
    if report.ci_id is not None:
        condition &= Q(configuration_item_id=report.ci_id)
    if report.group_id is not None:
        condition &= Q(support_group_id=report.group_id)
    if report.priority is not None:
        condition &= Q(priority=report.priority)
    if with_tier and report.tier is not None:
        condition &= Q(tier=report.tier)
    # Typed Any: the fields used per kind (impact, resolved_at...) are not on TicketBase.
    manager: Any = spec.model._default_manager
    return manager.filter(condition).order_by()


def resolved_in_period(report: ReportFilter) -> QuerySet[Any]:
    """Tickets whose (last) resolution falls in the period."""
    spec = spec_for(report)
    return tickets_in_scope(report).filter(
        status__in=spec.resolved_statuses,
        **{f"{spec.resolved}__gte": report.start, f"{spec.resolved}__lt": report.end},
    )
