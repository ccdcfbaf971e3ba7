"""The portal home and "My tickets": the requester's incidents and requests in one list, each
with its status, last update and what to expect next ("we aim to respond by ...")."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from incidents.choices import HoldReason as IncidentHoldReason
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.my_tickets import (
    KIND_CHOICES,
    SHOW_ALL,
    SHOW_CHOICES,
    MyTicket,
    my_tickets_page,
    my_tickets_recent,
    my_waiting_count,
)
from incidents.views.common import current_user
from incidents.views.portal import WAITING_FOR
from service_requests.choices import HoldReason as RequestHoldReason
from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest
from sla.choices import ClockState, Metric
from sla.models import SlaClock

MY_TICKETS_PAGE_SIZE = 25
HOME_RECENT = 5


@dataclass(frozen=True)
class Expectation:
    """What the requester can expect next, as one line: text, then the instant (if any) in the
    viewer's time zone. `tone` picks the style: info, action (their move), late, done."""

    text: str
    when: datetime | None = None
    tone: str = "info"


@dataclass(frozen=True)
class TicketRow:
    item: MyTicket
    expectation: Expectation

    @property
    def ticket(self) -> Incident | ServiceRequest:
        return self.item.ticket

    @property
    def is_incident(self) -> bool:
        return self.item.is_incident


def _running_promise(
    clocks: list[SlaClock], now: datetime, aims: dict[str, str]
) -> Expectation | None:
    # Response first: until someone picks the ticket up, that is the promise that matters.
    for clock in clocks:
        if clock.state != ClockState.RUNNING or clock.due_at is None:
            continue
        aim = aims.get(clock.metric, aims[Metric.RESOLUTION])
        if clock.due_at > now:
            return Expectation(f"We aim to {aim} by", clock.due_at)
        return Expectation(f"we aimed to {aim} by", clock.due_at, tone="late")
    return None


def _is_paused(clocks: list[SlaClock]) -> bool:
    return any(clock.state == ClockState.PAUSED for clock in clocks)


def incident_expectation(incident: Incident, clocks: list[SlaClock], now: datetime) -> Expectation:
    status = incident.status
    if status == IncidentStatus.RESOLVED:
        return Expectation("Fixed? Please confirm, or tell us it is still broken.", tone="action")
    if (
        status == IncidentStatus.ON_HOLD
        and incident.on_hold_reason == IncidentHoldReason.AWAITING_USER
    ):
        return Expectation("We need your reply to go on.", tone="action")
    if status == IncidentStatus.CLOSED:
        return Expectation("Closed on", incident.closed_at, tone="done")
    if status == IncidentStatus.CANCELLED:
        return Expectation("Cancelled.", tone="done")
    promise = _running_promise(
        clocks, now, {Metric.RESPONSE: "respond", Metric.RESOLUTION: "resolve it"}
    )
    if promise is not None:
        return promise
    if _is_paused(clocks) or status == IncidentStatus.ON_HOLD:
        who = WAITING_FOR.get(incident.on_hold_reason, "someone outside the service desk")
        return Expectation(f"Paused while we wait for {who}.")
    return Expectation("The service desk is on it; updates appear here.")


def request_expectation(sr: ServiceRequest, clocks: list[SlaClock], now: datetime) -> Expectation:
    status = sr.status
    if status == RequestStatus.FULFILLED:
        return Expectation("Got what you asked for? Please confirm.", tone="action")
    if status == RequestStatus.ON_HOLD and sr.on_hold_reason == RequestHoldReason.AWAITING_USER:
        return Expectation("We need your reply to go on.", tone="action")
    if status == RequestStatus.AWAITING_APPROVAL:
        return Expectation("Waiting for approval; our target times start once it is approved.")
    if status == RequestStatus.REJECTED:
        return Expectation("Not approved. See the request for the reason.", tone="done")
    if status == RequestStatus.CLOSED:
        return Expectation("Closed on", sr.closed_at, tone="done")
    if status == RequestStatus.CANCELLED:
        return Expectation("Cancelled.", tone="done")
    promise = _running_promise(
        clocks, now, {Metric.RESPONSE: "start on it", Metric.RESOLUTION: "fulfil it"}
    )
    if promise is not None:
        return promise
    if _is_paused(clocks) or status == RequestStatus.ON_HOLD:
        return Expectation("Paused while the request is on hold.")
    return Expectation("The service desk is on it; updates appear here.")


def ticket_rows(items: list[MyTicket]) -> list[TicketRow]:
    now = timezone.now()
    rows = []
    for item in items:
        ticket = item.ticket
        if isinstance(ticket, Incident):
            expectation = incident_expectation(ticket, item.clocks, now)
        else:
            expectation = request_expectation(ticket, item.clocks, now)
        rows.append(TicketRow(item, expectation))
    return rows


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    context = {
        "rows": ticket_rows(my_tickets_recent(user, limit=HOME_RECENT)),
        "waiting_count": my_waiting_count(user),
    }
    return render(request, "incidents/portal/home.html", context)


@login_required
def portal_tickets(request: HttpRequest) -> HttpResponse:
    """My tickets: ?show=all|open|waiting|closed, ?kind=all|incidents|requests, ?page=."""
    user = current_user(request)
    show = request.GET.get("show", SHOW_ALL)
    show = show if show in SHOW_CHOICES else SHOW_ALL
    kind = request.GET.get("kind", "all")
    kind = kind if kind in KIND_CHOICES else "all"
    page, items = my_tickets_page(
        user, page=request.GET.get("page"), per_page=MY_TICKETS_PAGE_SIZE, show=show, kind=kind
    )
    context = {
        "page": page,
        "rows": ticket_rows(items),
        "show": show,
        "kind": kind,
        "show_choices": SHOW_CHOICES,
        "kind_choices": KIND_CHOICES,
        "is_filtered": show != SHOW_ALL or kind != "all",
    }
    return render(request, "incidents/portal/tickets.html", context)
