"""Which table and which milestone fields each ticket kind measures with.

Incidents: identified -> logged (acknowledged) -> resolved. Service requests: submitted ->
in fulfilment (acknowledged: the response clock stops there) -> fulfilled.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from core.models import TicketBase
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.transitions import OPEN_STATUSES as INCIDENT_OPEN
from reporting.filters import ReportFilter
from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest
from service_requests.transitions import OPEN_STATUSES as REQUEST_OPEN
from sla.choices import TicketKind


@dataclass(frozen=True)
class KindSpec:
    kind: str
    model: type[TicketBase]
    started: str
    acknowledged: str
    resolved: str
    # Statuses in which `resolved` is set: lets the (status, resolved_at) index serve periods.
    resolved_statuses: tuple[str, ...]
    open_statuses: tuple[str, ...]
    noun: str

    @property
    def content_type_id(self) -> int:
        # Django's content-type cache answers this without a query after the first call.
        return ContentType.objects.get_for_model(self.model).pk


KINDS: dict[str, KindSpec] = {
    TicketKind.INCIDENT: KindSpec(
        kind=TicketKind.INCIDENT,
        model=Incident,
        started="identified_at",
        acknowledged="logged_at",
        resolved="resolved_at",
        resolved_statuses=(IncidentStatus.RESOLVED, IncidentStatus.CLOSED),
        open_statuses=tuple(sorted(INCIDENT_OPEN)),
        noun="incidents",
    ),
    TicketKind.REQUEST: KindSpec(
        kind=TicketKind.REQUEST,
        model=ServiceRequest,
        started="submitted_at",
        acknowledged="fulfilment_started_at",
        resolved="fulfilled_at",
        resolved_statuses=(RequestStatus.FULFILLED, RequestStatus.CLOSED),
        open_statuses=tuple(sorted(REQUEST_OPEN)),
        noun="service requests",
    ),
}


def spec_for(report: ReportFilter) -> KindSpec:
    return KINDS[report.kind]


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
