"""The portal's kept statements (portal.kept_page, the ticket page's timeline): few statements,
and a statement kept for one requester or ticket never answers for another."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.choices import HoldReason, IncidentStatus
from portal.selectors import SHOW_OPEN, SHOW_WAITING, my_tickets_count, my_tickets_page
from sla.choices import Metric
from sla.models import SlaClock
from tests.factories import incident_with_events

pytestmark = pytest.mark.django_db

URL = reverse("portal:tickets")


def _statements(client, url) -> list[str]:
    client.get(url)  # warm what each process keeps
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_my_tickets_reads_a_statement_per_kind_and_one_count(
    client_for, end_user, make_incident, make_request
):
    make_incident()
    make_request()
    statements = _statements(client_for(end_user), URL)
    # The session, the user, a page of each kind (with its clocks) and the counts.
    assert len(statements) == 5, statements
    assert sum("sla_slaclock" in sql for sql in statements) == 2


def test_a_kept_page_never_answers_for_another_requester(
    client_for, end_user, other_end_user, make_incident, make_request
):
    mine = [make_incident(), make_request()]
    theirs = [
        make_incident(requester=other_end_user),
        make_incident(IncidentStatus.RESOLVED, requester=other_end_user),
    ]
    for user, tickets in ((end_user, mine), (other_end_user, theirs), (end_user, mine)):
        response = client_for(user).get(URL)
        shown = {row.ticket.number for row in response.context["rows"]}
        assert shown == {ticket.number for ticket in tickets}
        assert response.context["count"].value == len(tickets)
    assert my_tickets_count(end_user, show=SHOW_WAITING).value == 0
    assert my_tickets_count(other_end_user, show=SHOW_WAITING).value == 1


def test_a_line_and_its_clocks_are_read_as_values(
    end_user, service, incident_policies, make_incident
):
    on_hold = make_incident(IncidentStatus.ON_HOLD, on_hold_reason=HoldReason.AWAITING_USER)
    running = services.incident_create(requester=end_user, title="Broken", service=service)
    _, items = my_tickets_page(end_user, per_page=10, show=SHOW_OPEN)
    by_number = {item.ticket.number: item for item in items}
    held = by_number[on_hold.number]
    assert (held.ticket.status, held.ticket.on_hold_reason, held.clocks) == (
        IncidentStatus.ON_HOLD,
        HoldReason.AWAITING_USER,
        [],
    )
    line = by_number[running.number]
    assert line.ticket.title == "Broken"
    stored = {c.metric: (c.state, c.due_at) for c in SlaClock.objects.filter(ticket_id=running.pk)}
    assert [clock.metric for clock in line.clocks] == [Metric.RESPONSE, Metric.RESOLUTION]
    assert {c.metric: (c.state, c.due_at) for c in line.clocks} == stored


def test_the_ticket_page_keeps_each_tickets_timeline_apart(client_for, end_user):
    first = incident_with_events(3, requester=end_user)
    second = incident_with_events(4, requester=end_user)
    client = client_for(end_user)
    for incident, entries in ((first, 3), (second, 4), (first, 3)):
        response = client.get(reverse("incidents:portal_detail", args=[incident.number]))
        events = response.context["events"]
        assert {event.ticket_id for event in events} == {incident.pk}
        assert len(events) == entries


def test_the_ticket_page_reads_no_files_or_conversions_a_ticket_does_not_have(client_for, end_user):
    incident = incident_with_events(3, requester=end_user)
    url = reverse("incidents:portal_detail", args=[incident.number])
    statements = _statements(client_for(end_user), url)
    # Only the probe of the ticket's panels (EXISTS per table) names them.
    read = [sql for sql in statements if "EXISTS" not in sql]
    assert not any('FROM "core_attachment" WHERE' in sql for sql in read), statements
    assert not any('FROM "core_ticketlink" WHERE' in sql for sql in read), statements
