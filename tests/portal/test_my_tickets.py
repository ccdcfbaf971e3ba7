""" "My tickets" and the portal home: the requester's incidents and requests in one list, with
status, last update and what to expect; filters; scoping; constant query counts."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.choices import HoldReason, Impact, IncidentStatus, Urgency
from incidents.models import Incident
from portal.selectors import my_tickets_page
from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest

pytestmark = pytest.mark.django_db

URL = reverse("portal:tickets")


def _numbers(response) -> list[str]:
    return [row.ticket.number for row in response.context["rows"]]


def _touch(ticket, minutes_ago: int) -> None:
    type(ticket).objects.filter(pk=ticket.pk).update(
        updated_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_lists_incidents_and_requests_together_by_last_update(
    client_for, end_user, other_end_user, make_incident, make_request
):
    old_incident = make_incident()
    request = make_request()
    new_incident = make_incident(IncidentStatus.RESOLVED)
    _touch(old_incident, 30)
    _touch(request, 20)
    _touch(new_incident, 10)
    make_incident(requester=other_end_user)
    make_request(requester=other_end_user)
    response = client_for(end_user).get(URL)
    assert response.status_code == 200
    assert _numbers(response) == [new_incident.number, request.number, old_incident.number]
    body = response.content.decode()
    assert reverse("incidents:portal_detail", args=[new_incident.number]) in body
    assert reverse("requests:portal_detail", args=[request.number]) in body
    assert "badge-status status-resolved" in body and ">Resolved<" in body
    assert "3 tickets." in body


@pytest.mark.parametrize("url", [URL, reverse("portal:home")])
def test_agents_see_only_their_own_tickets_here(client_for, agent_l1, make_incident, url):
    # The portal is the requester's view; agents work others' tickets in the agent workspace.
    mine = make_incident(requester=agent_l1)
    make_incident()
    assert _numbers(client_for(agent_l1).get(url)) == [mine.number]


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("all", {"classified", "resolved", "hold_user", "closed", "submitted", "fulfilled"}),
        ("open", {"classified", "resolved", "hold_user", "submitted", "fulfilled"}),
        ("waiting", {"resolved", "hold_user", "fulfilled"}),
        ("closed", {"closed", "rejected"}),
        ("bogus", {"classified", "resolved", "hold_user", "closed", "submitted", "fulfilled"}),
    ],
)
def test_show_filter(client_for, end_user, make_incident, make_request, show, expected):
    tickets = {
        "classified": make_incident(IncidentStatus.CLASSIFIED),
        "resolved": make_incident(IncidentStatus.RESOLVED),
        "hold_user": make_incident(IncidentStatus.ON_HOLD, on_hold_reason=HoldReason.AWAITING_USER),
        "closed": make_incident(IncidentStatus.CLOSED),
        "submitted": make_request(RequestStatus.SUBMITTED),
        "fulfilled": make_request(RequestStatus.FULFILLED),
    }
    if show == "closed":
        tickets["rejected"] = make_request(RequestStatus.REJECTED)
        expected = expected | set()
    numbers = set(_numbers(client_for(end_user).get(URL, {"show": show})))
    assert numbers == {tickets[name].number for name in expected}


def test_kind_filter(client_for, end_user, make_incident, make_request):
    incident = make_incident()
    request = make_request()
    client = client_for(end_user)
    assert _numbers(client.get(URL, {"kind": "incidents"})) == [incident.number]
    assert _numbers(client.get(URL, {"kind": "requests"})) == [request.number]
    assert set(_numbers(client.get(URL, {"kind": "nonsense"}))) == {
        incident.number,
        request.number,
    }


def test_sla_expectation_and_your_turn(
    client_for, end_user, service, l1_group, incident_policies, make_incident, make_request
):
    reported = services.incident_create(
        requester=end_user,
        title="VPN down",
        impact=Impact.LOW,
        urgency=Urgency.LOW,
        service=service,
    )
    resolved = make_incident(IncidentStatus.RESOLVED)
    fulfilled = make_request(RequestStatus.FULFILLED)
    awaiting = make_request(RequestStatus.AWAITING_APPROVAL)
    response = client_for(end_user).get(URL)
    rows = {row.ticket.number: row.expectation for row in response.context["rows"]}
    assert rows[reported.number].text == "We aim to respond by"
    assert rows[reported.number].when is not None and rows[reported.number].tone == "info"
    assert rows[resolved.number].tone == "action"
    assert rows[fulfilled.number].tone == "action"
    assert "approval" in rows[awaiting.number].text
    body = response.content.decode()
    assert "We aim to respond by" in body and "Your turn:" in body


def test_late_expectation(client_for, end_user, service, incident_policies, time_machine):
    time_machine.move_to(timezone.now() - timedelta(hours=30), tick=False)
    reported = services.incident_create(requester=end_user, title="Printer", service=service)
    time_machine.move_to(timezone.now() + timedelta(hours=30), tick=False)
    response = client_for(end_user).get(URL)
    [row] = response.context["rows"]
    assert row.ticket.number == reported.number
    assert row.expectation.tone == "late"
    assert "Running late:" in response.content.decode()


def test_empty_states_say_what_to_do(client_for, end_user, make_incident):
    client = client_for(end_user)
    body = client.get(URL).content.decode()
    assert "You have no tickets yet" in body
    assert reverse("incidents:portal_report") in body and reverse("requests:catalog") in body
    make_incident(IncidentStatus.CLASSIFIED)
    waiting = client.get(URL, {"show": "waiting"}).content.decode()
    assert "Nothing waits for you" in waiting and "Show all my tickets" in waiting


def _walk(user, per_page, **filters):
    """Every page from the first, following the Older cursors; then back by the Newer ones."""
    pages, older = [], None
    while True:
        page, items = my_tickets_page(user, per_page=per_page, older=older, **filters)
        pages.append([item.ticket.number for item in items])
        if page.older is None:
            break
        older = page.older
    back, newer = [], page.newer
    while newer is not None:
        page, items = my_tickets_page(user, per_page=per_page, newer=newer, **filters)
        back.append([item.ticket.number for item in items])
        newer = page.newer
    return pages, back[::-1]


def test_tickets_updated_in_the_same_instant_keep_one_order_across_pages(
    end_user, make_incident, make_request
):
    incidents = [make_incident() for _ in range(3)]
    requests = [make_request() for _ in range(3)]
    same_instant = timezone.now() - timedelta(minutes=5)
    for ticket in incidents + requests:
        type(ticket).objects.filter(pk=ticket.pk).update(updated_at=same_instant)
    number_of = {("incident", t.pk): t.number for t in incidents} | {
        ("request", t.pk): t.number for t in requests
    }
    everything = my_tickets_page(end_user, per_page=10)[0].keys
    # Newest id first, then by kind name: a total order, so a page boundary never moves.
    assert everything == sorted(everything, key=lambda key: (-key.pk, key.kind))
    expected = [number_of[key.kind, key.pk] for key in everything]
    assert len(expected) == 6
    for per_page in (1, 2, 4):
        pages, back = _walk(end_user, per_page)
        assert [number for page in pages for number in page] == expected
        # The Newer links lead back through the same pages, ending at the first.
        assert back == pages[:-1]


def test_older_and_newer_links_page_through_everything(
    client_for, end_user, make_incident, make_request
):
    for minute in range(0, 60, 2):
        _touch(make_incident(), minute)
        _touch(make_request(), minute + 1)
    client = client_for(end_user)
    first = client.get(URL)
    assert len(first.context["rows"]) == 25
    body = first.content.decode()
    assert "30 tickets." not in body and "60 tickets." in body
    assert 'rel="next"' in body and 'rel="prev"' not in body
    page = first.context["page"]
    second = client.get(URL, {"older": page.older})
    assert second.status_code == 200
    assert len(second.context["rows"]) == 25
    third = client.get(URL, {"older": second.context["page"].older})
    assert len(third.context["rows"]) == 10
    assert third.context["page"].older is None
    seen = [_numbers(r) for r in (first, second, third)]
    assert len({n for rows in seen for n in rows}) == 60
    back = client.get(URL, {"newer": third.context["page"].newer})
    assert _numbers(back) == seen[1]
    top = client.get(URL, {"newer": back.context["page"].newer})
    assert _numbers(top) == seen[0] and top.context["page"].newer is None


@pytest.mark.parametrize(
    "cursor",
    [
        {"older": "nonsense"},
        {"newer": "12.incident"},
        {"older": "1733389000000000.change.4"},
        {"older": "1733389000000000.incident.99999999999999999999"},
    ],
)
def test_a_bad_cursor_is_a_clear_error_showing_the_first_page(
    client_for, end_user, make_incident, cursor
):
    incident = make_incident()
    response = client_for(end_user).get(URL, cursor)
    assert response.status_code == 400
    body = response.content.decode()
    assert "That page link is not valid" in body and 'role="alert"' in body
    assert _numbers(response) == [incident.number]


def test_counts_stop_at_the_cap(client_for, end_user, make_incident, monkeypatch):
    monkeypatch.setattr("core.keyset.COUNT_CAP", 3)
    for _ in range(5):
        make_incident(IncidentStatus.RESOLVED)
    client = client_for(end_user)
    assert "3+ tickets." in client.get(URL).content.decode()
    home = client.get(reverse("portal:home")).content.decode()
    assert "3+ tickets wait for you" in home


def test_paginates_by_25(client_for, end_user, make_incident, make_request):
    for _ in range(20):
        make_incident()
    for _ in range(7):
        make_request()
    client = client_for(end_user)
    first = client.get(URL)
    assert len(first.context["rows"]) == 25
    second = client.get(URL, {"older": first.context["page"].older})
    assert len(second.context["rows"]) == 2


def _queries(client, url) -> int:
    client.get(url)  # warm what each process keeps (content types, the viewer's roles)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [URL, reverse("portal:home")])
def test_query_count_is_the_same_for_1_and_50_tickets(
    client_for, end_user, service, incident_policies, make_request, url
):
    client = client_for(end_user)

    def incident():
        return services.incident_create(requester=end_user, title="Broken", service=service)

    _touch(incident(), 0)
    _touch(make_request(), 1)
    one_of_each = _queries(client, url)
    # Interleaved in time, so every page (and the home's five) holds both kinds.
    for minute in range(2, 50, 2):
        _touch(incident(), minute)
        _touch(make_request(), minute + 1)
    assert Incident.objects.filter(requester=end_user).count() == 25
    assert ServiceRequest.objects.filter(requester=end_user).count() == 25
    assert _queries(client, url) == one_of_each


def test_query_count_with_one_kind_only(client_for, end_user, make_incident):
    client = client_for(end_user)
    make_incident()
    one = _queries(client, URL)
    for _ in range(49):
        make_incident()
    assert _queries(client, URL) == one


# --- Home -----------------------------------------------------------------------------------


def test_home_shows_search_actions_and_latest_tickets(
    client_for, end_user, make_incident, make_request
):
    older = [make_incident() for _ in range(4)] + [make_request()]
    for minutes_ago, ticket in enumerate(older, start=10):
        _touch(ticket, minutes_ago)
    resolved = make_incident(IncidentStatus.RESOLVED)
    _touch(resolved, 1)
    response = client_for(end_user).get(reverse("portal:home"))
    body = response.content.decode()
    assert len(response.context["rows"]) == 5
    assert response.context["rows"][0].ticket.number == resolved.number
    assert response.context["waiting_count"].value == 1
    assert "Something is broken" in body and "I need something" in body
    assert reverse("incidents:portal_report") in body and reverse("requests:catalog") in body
    assert 'action="' + reverse("problems:portal_search") + '"' in body
    assert 'id="search-q"' in body
    assert "1 ticket waits for you" in body
    assert reverse("portal:tickets") + "?show=waiting" in body


def test_home_empty_state(client_for, end_user):
    body = client_for(end_user).get(reverse("portal:home")).content.decode()
    assert "No tickets yet" in body
    assert "waits for you" not in body
    assert "Report a problem" in body and reverse("incidents:portal_report") in body
    assert "Browse the catalog" in body and reverse("requests:catalog") in body


def test_lines_escape_what_people_typed(client_for, end_user, make_incident):
    incident = make_incident()
    Incident.objects.filter(pk=incident.pk).update(title='<script>alert("x")</script> & co')
    body = client_for(end_user).get(URL).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in body
    path = reverse("incidents:portal_detail", args=[incident.number])
    assert f'<a class="ticket-item-title" href="{path}">' in body


def test_changing_a_filter_starts_again_from_the_newest(client_for, end_user, make_incident):
    for _ in range(27):
        make_incident()
    client = client_for(end_user)
    older = client.get(URL).context["page"].older
    body = client.get(URL, {"older": older}).content.decode()
    filters = re.findall(r'class="segmented-item" href="([^"]+)"', body)
    assert len(filters) == 4 + 3
    assert all("older=" not in link and "newer=" not in link for link in filters)
