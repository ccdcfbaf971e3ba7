"""The triage queue: tabs (unassigned / mine / my groups / all) over the shared IncidentFilterSet,
one page of incidents sorted by time to breach, SLA badges, and the HTMX partial that refreshes
the rows every QUEUE_REFRESH_SECONDS (with the tab counts swapped out of band).

Queries for the list itself, whatever the page size: one aggregate for the tab counts (which is
also the paginator's count), one for the page of incidents, one for their SLA clocks. Whether an
incident is being paged with nobody acknowledging yet (the "Paged" marker, "escalated" once the
page climbed a tier) is a subquery of the page's query (incidents.selectors.with_live_page),
not one more query.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.filtering import NULL_VALUE
from core.models import User
from core.web.access import HtmxHttpRequest, agent_required, current_user, queue_refresh_seconds
from incidents.filtersets import DEFAULT_ORDERING, ORDERINGS, IncidentFilterSet
from incidents.models import Incident
from incidents.selectors import (
    QUEUE_TABS,
    incident_list_for_user,
    incident_queue_counts,
    incident_queue_tab,
    queue_tab_or_default,
    with_live_page,
)
from sla.choices import ClockState
from sla.models import SlaClock
from sla.selectors import TicketSla, clocks_for_tickets, ticket_sla


class CountedPaginator(Paginator):
    """A paginator told its total up front (from the tab counts), so it runs no COUNT query."""

    def __init__(self, object_list: QuerySet[Incident], per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


@dataclass(frozen=True)
class LiveSla:
    """What static/js/queue.js needs to recolour a badge when a deadline passes: the earliest
    warning and due instants of the running clocks, and whether the time left is wall time."""

    due_at: datetime
    warn_at: datetime | None
    always_open: bool


@dataclass(frozen=True)
class QueueRow:
    incident: Incident
    sla: TicketSla
    live: LiveSla | None
    # A page nobody has acknowledged yet: how many tiers it has climbed (0: its first tier),
    # None when there is none (the on-call app's paging; always None without it).
    paged_tier_index: int | None = None


def live_sla(clocks: list[SlaClock], sla: TicketSla) -> LiveSla | None:
    running = [c for c in clocks if c.state == ClockState.RUNNING and c.due_at is not None]
    if not running or sla.nearest is None:
        return None
    warns = [c.warn_at for c in running if c.warn_at is not None]
    return LiveSla(
        due_at=min(c.due_at for c in running if c.due_at is not None),
        warn_at=min(warns) if warns else None,
        always_open=sla.nearest.always_open,
    )


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    count: int
    current: bool


def queue_context(request: HtmxHttpRequest, user: User) -> dict[str, Any]:
    """Everything the queue page and its rows partial render, for the request's filters."""
    filterset = IncidentFilterSet(
        request.GET, queryset=incident_list_for_user(user), request=request
    )
    tab = queue_tab_or_default(request.GET.get("tab"))
    filtered = filterset.qs
    counts = incident_queue_counts(filtered, user=user)
    paginator = CountedPaginator(
        with_live_page(incident_queue_tab(filtered, user=user, tab=tab)),
        settings.QUEUE_PAGE_SIZE,
        count=counts[tab],
    )
    page: Page[Incident] = paginator.get_page(request.GET.get("page"))
    incidents = list(page)
    # One query for the clocks of the whole page, whatever its size.
    clocks = clocks_for_tickets(incidents)
    now = timezone.now()
    rows = []
    for incident in incidents:
        sla = ticket_sla(clocks[incident.pk], now)
        live = live_sla(clocks[incident.pk], sla)
        paged = getattr(incident, "paged_tier_index", None)
        rows.append(QueueRow(incident, sla, live, paged_tier_index=paged))
    cleaned = filterset.form.cleaned_data
    ordering = cleaned.get("ordering") or DEFAULT_ORDERING
    return {
        "open_only": bool(cleaned.get("open")) and not cleaned.get("status"),
        "ordering_label": ORDERINGS.get(ordering, ORDERINGS[DEFAULT_ORDERING])[0],
        "filterset": filterset,
        "page": page,
        "rows": rows,
        "tab": tab,
        "tabs": [Tab(key, label, counts[key], key == tab) for key, label in QUEUE_TABS.items()],
        "null_value": NULL_VALUE,
        "refresh_url": request.get_full_path(),
        "refresh_seconds": queue_refresh_seconds(),
        "bulk_max": settings.QUEUE_PAGE_SIZE,
    }


@agent_required
def agent_list(request: HtmxHttpRequest) -> HttpResponse:
    """The queue page; an HTMX request (the refresh) gets only the rows, plus the tab bar and
    the result count swapped out of band."""
    context = queue_context(request, current_user(request))
    if request.htmx:
        return render(request, "incidents/agent/_rows.html", {**context, "oob": True})
    return render(request, "incidents/agent/list.html", context)
