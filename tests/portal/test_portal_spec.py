"""What each kind declares for the portal (TicketKind.portal), and that the portal lists any
kind registered with a declaration, through the registry alone."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from core.tickets.kinds import kind_named, kind_of, register
from core.tickets.portal_spec import Expectation, PortalSpec
from incidents.choices import HoldReason as IncidentHoldReason
from incidents.choices import IncidentStatus
from portal.expectations import expectation
from portal.selectors import (
    SHOW_CLOSED,
    SHOW_OPEN,
    SHOW_WAITING,
    MyTicket,
    kind_choices,
    my_tickets_count,
    my_tickets_page,
)
from problems.choices import ProblemStatus
from service_requests.choices import HoldReason as RequestHoldReason
from service_requests.choices import RequestStatus
from sla.choices import Metric
from sla.models import SlaClock
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db

KINDS = {
    "incident": (IncidentStatus, IncidentHoldReason),
    "request": (RequestStatus, RequestHoldReason),
}


def _every_state(kind_name, make):
    """One ticket per status, and per hold reason while on hold."""
    statuses, reasons = KINDS[kind_name]
    tickets = []
    for status in statuses.values:
        if status == "on_hold":
            tickets += [make(status, on_hold_reason=reason) for reason in reasons.values]
        else:
            tickets.append(make(status))
    return tickets


def _item(ticket, clocks=()) -> MyTicket:
    kind = kind_of(ticket)
    assert kind.portal is not None
    return MyTicket(kind, kind.portal, ticket, list(clocks))


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_tickets_waiting_on_the_requester_are_exactly_those_whose_line_is_their_move(
    make_incident, make_request, kind_name
):
    kind = kind_named(kind_name)
    assert kind.portal is not None
    tickets = _every_state(kind_name, make_incident if kind_name == "incident" else make_request)
    waiting = set(kind.model.objects.filter(kind.portal.waiting_on_requester).values_list("pk"))
    now = timezone.now()
    for ticket in tickets:
        is_their_move = expectation(_item(ticket), now).tone == "action"
        assert is_their_move == ((ticket.pk,) in waiting), (ticket.status, ticket.on_hold_reason)


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_closed_statuses_end_the_story(make_incident, make_request, kind_name):
    kind = kind_named(kind_name)
    assert kind.portal is not None
    tickets = _every_state(kind_name, make_incident if kind_name == "incident" else make_request)
    now = timezone.now()
    for ticket in tickets:
        is_done = expectation(_item(ticket), now).tone == "done"
        assert is_done == (ticket.status in kind.portal.closed_statuses), ticket.status


@pytest.mark.parametrize(
    ("kind_name", "status", "reason", "text"),
    [
        (
            "incident",
            "on_hold",
            "awaiting_vendor",
            "Our target times are paused while we wait for a vendor.",
        ),
        ("incident", "on_hold", "awaiting_user", "We need your reply to go on."),
        ("incident", "resolved", "", "Fixed? Please confirm, or tell us it is still broken."),
        ("incident", "cancelled", "", "Cancelled."),
        (
            "request",
            "on_hold",
            "awaiting_delivery",
            "Our target times are paused while the request is on hold.",
        ),
        ("request", "fulfilled", "", "Got what you asked for? Please confirm."),
        ("request", "rejected", "", "Not approved. See the request for the reason."),
    ],
)
def test_status_lines(make_incident, make_request, kind_name, status, reason, text):
    make = make_incident if kind_name == "incident" else make_request
    ticket = make(status, on_hold_reason=reason)
    assert expectation(_item(ticket), timezone.now()).text == text


def test_closed_line_carries_the_closing_date(make_request):
    closed = make_request(RequestStatus.CLOSED)
    line = expectation(_item(closed), timezone.now())
    assert (line.text, line.when, line.tone) == ("Closed on", closed.closed_at, "done")


def _clock(metric: str, state: str, due_in: timedelta | None) -> SlaClock:
    due_at = timezone.now() + due_in if due_in is not None else None
    return SlaClock(metric=metric, state=state, due_at=due_at)


RUNNING_SOON = ("response", "running", 1)
PAUSED = ("resolution", "paused", None)
OUTSIDE = "Our target times are paused while we wait for someone outside the service desk."


@pytest.mark.parametrize(
    ("kind_name", "clocks", "text", "tone"),
    [
        ("incident", [RUNNING_SOON], "We aim to respond by", "info"),
        ("incident", [("resolution", "running", -1)], "we aimed to resolve this by", "late"),
        (
            "request",
            [("response", "met", None), ("resolution", "running", 2)],
            "We aim to fulfil this by",
            "info",
        ),
        ("request", [RUNNING_SOON], "We aim to start on this by", "info"),
        ("incident", [PAUSED], OUTSIDE, "info"),
        ("request", [PAUSED], "Our target times are paused while the request is on hold.", "info"),
        ("incident", [], "The service desk is on it; updates appear here.", "info"),
    ],
)
def test_sla_promise_in_the_kinds_words(make_incident, make_request, kind_name, clocks, text, tone):
    ticket = make_incident() if kind_name == "incident" else make_request(RequestStatus.APPROVED)
    hours = [timedelta(hours=h) if h is not None else None for _, _, h in clocks]
    item = _item(ticket, [_clock(m, s, due) for (m, s, _), due in zip(clocks, hours, strict=True)])
    line = expectation(item, timezone.now())
    assert (line.text, line.tone) == (text, tone)


# --- A kind the portal has never heard of -------------------------------------------------


def _problem_next_step(problem) -> Expectation | None:
    if problem.status == ProblemStatus.RESOLVED:
        return Expectation("Fixed for good? Tell us.", tone="action")
    return None


@pytest.fixture
def problems_in_the_portal():
    """The problem kind registered for a while as if it declared itself for the portal."""
    original = kind_named("problem")
    register(
        replace(
            original,
            has_portal=True,
            portal=PortalSpec(
                filter_label="Problems",
                closed_statuses=frozenset({ProblemStatus.CLOSED, ProblemStatus.CANCELLED}),
                waiting_on_requester=Q(status=ProblemStatus.RESOLVED),
                next_step=_problem_next_step,
                sla_aims={Metric.RESOLUTION: "fix it"},
                paused=lambda problem: "Paused.",
            ),
        )
    )
    yield kind_named("problem")
    register(original)


def test_a_kind_declared_for_the_portal_is_listed_without_portal_changes(
    problems_in_the_portal, agent_l1, make_incident
):
    incident = make_incident(requester=agent_l1)
    problem = ProblemFactory(requester=agent_l1, status=ProblemStatus.RESOLVED)
    ProblemFactory(status=ProblemStatus.RESOLVED)  # someone else's
    assert kind_choices()["problems"] == "Problems"

    def keys(**filters):
        return my_tickets_page(agent_l1, per_page=10, **filters)[0].keys

    refs = keys()
    assert {(key.pk, key.kind) for key in refs} == {
        (incident.pk, "incident"),
        (problem.pk, "problem"),
    }
    assert [key.pk for key in keys(kind="problems")] == [problem.pk]
    assert [key.pk for key in keys(show=SHOW_WAITING)] == [problem.pk]
    open_refs = {(key.pk, key.kind) for key in keys(show=SHOW_OPEN)}
    assert open_refs == {(incident.pk, "incident"), (problem.pk, "problem")}
    assert my_tickets_count(agent_l1, show=SHOW_CLOSED).value == 0
    _, items = my_tickets_page(agent_l1, per_page=10)
    loaded = {item.kind.name: item for item in items}
    assert loaded["problem"].ticket.number == problem.number
    assert expectation(loaded["problem"], timezone.now()).text == "Fixed for good? Tell us."
