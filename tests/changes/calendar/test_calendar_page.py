from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes.choices import ChangeStatus
from changes.models import ChangeCalendarFeed
from tests.changes.calendar.conftest import T0

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
URL = "/agent/changes/calendar/"


@pytest.fixture(autouse=True)
def _in_march_2027():
    with time_machine.travel(T0 - 24 * HOUR, tick=False):
        yield


def test_the_month_shows_each_change_with_its_type_status_window_and_conflicts(
    client_for, agent_l1, make_change, make_freeze, service
):
    first = make_change("Patch the mail relay", service=service)
    second = make_change("Move mailboxes", start=T0 + HOUR, service=service)
    make_freeze("Quarter close", start=T0 + 48 * HOUR)

    response = client_for(agent_l1).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Change calendar: March 2027" in page
    for change in (first, second):
        assert change.number in page and change.title in page
    assert "Normal · Scheduled" in page
    assert "8 Mar 09:00 \N{EN DASH} 8 Mar 11:00" in page
    link = f'Overlaps <a href="/agent/changes/{second.number}/">{second.number}</a>'
    assert link in page and "on service Email" in page
    assert "Conflicts this month" in page
    assert "Quarter close" in page and "all services" in page


def test_the_week_lists_each_day_with_the_conflicts_written_out(
    client_for, agent_l1, make_change, make_freeze, service
):
    change = make_change("Patch the mail relay", service=service)
    make_freeze("Mail freeze", start=T0 - HOUR, services=[service])

    response = client_for(agent_l1).get(URL, {"view": "week", "week": "2027-03-10"})

    page = response.content.decode()
    assert "Week of 8 March 2027" in page
    assert change.number in page
    assert "Inside the freeze window “Mail freeze”" in page
    assert page.count('<li class="cc-day') == 7


def test_other_months_and_services_are_not_shown(
    client_for, agent_l1, make_change, service, database
):
    march = make_change("On mail", service=service)
    db_change = make_change("On the database", service=database)
    april = make_change("Next month", start=T0 + 40 * 24 * HOUR, service=service)
    client = client_for(agent_l1)

    page = client.get(URL, {"month": "2027-03", "service": service.pk}).content.decode()
    assert march.number in page
    assert db_change.number not in page and april.number not in page

    page = client.get(URL, {"month": "2027-04"}).content.decode()
    assert april.number in page and march.number not in page


def test_cancelled_and_draft_changes_are_not_on_the_calendar(
    client_for, agent_l1, make_change, service
):
    draft = make_change("Draft", service=service, status=ChangeStatus.DRAFT)
    cancelled = make_change("Cancelled", service=service, status=ChangeStatus.CANCELLED)
    done = make_change("Done", service=service, status=ChangeStatus.IMPLEMENTED)
    page = client_for(agent_l1).get(URL).content.decode()
    assert draft.number not in page and cancelled.number not in page
    assert done.number in page


@pytest.mark.parametrize(
    "query",
    [
        {"month": "2027-13"},
        {"month": "March"},
        {"week": "2027-02-30"},
        {"service": "x"},
        {"view": "year"},
    ],
)
def test_a_bad_query_says_what_is_wrong_and_shows_this_month(client_for, agent_l1, query):
    response = client_for(agent_l1).get(URL, query)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Change calendar: March 2027" in page
    assert 'class="form-errors" role="alert"' in page


def test_end_users_do_not_see_the_calendar(client_for, end_user):
    assert client_for(end_user).get(URL).status_code == 404


def _statements(client, query=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, query or {})
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_page_takes_the_same_queries_for_one_change_and_for_many(
    client_for, agent_l1, make_change, make_freeze, service, database, mail_server
):
    client = client_for(agent_l1)
    make_freeze(start=T0, services=[database])
    make_change(service=service)
    make_change(service=service)  # one overlap: every statement of the page runs
    week = {"view": "week", "week": "2027-03-08"}
    client.get(URL)  # the first request reads the person's roles (then memoised)
    one, one_in_week = _statements(client), _statements(client, week)
    for n in range(20):
        make_change(
            f"Change {n}",
            start=T0 + n * 7 * HOUR,
            service=[service, database][n % 2],
            services=[database],
            items=[mail_server] if n % 3 else [],
        )
    assert _statements(client) == one
    assert _statements(client, week) == one_in_week == one


def test_a_feed_link_is_shown_once_and_replaces_the_previous_one(client_for, agent_l1):
    client = client_for(agent_l1)
    first = client.post(f"{URL}feed/").content.decode()
    assert "It is shown only now" in first
    url = first.split('<p class="mono cc-feed-url">')[1].split("</p>")[0]
    assert url.startswith("http://testserver/changes/calendar/feed/") and url.endswith(".ics")
    assert client.get(url).status_code == 200

    client.post(f"{URL}feed/")
    assert ChangeCalendarFeed.objects.filter(person=agent_l1).count() == 1
    assert client.get(url).status_code == 404
    assert "You have a link" in client.get(URL).content.decode()


def test_a_crowded_month_shows_the_first_changes_and_says_so(
    client_for, agent_l1, make_change, service, monkeypatch
):
    monkeypatch.setattr("changes.views.calendar.MAX_CHANGES", 2)
    first, second, third = (
        make_change(f"Change {n}", start=T0 + n * 3 * HOUR, service=service) for n in range(3)
    )
    page = client_for(agent_l1).get(URL).content.decode()
    assert first.number in page and second.number in page and third.number not in page
    assert "This month has more than 2 changes; the first 2 are shown." in page


def _shown(page: str, css: str) -> str:
    return page.split(f'<p class="{css}">')[1].split("</p>", maxsplit=1)[0]


def test_the_feed_link_for_one_service(client_for, agent_l1, make_change, service, database):
    mail_change = make_change("Mail relay", service=service)
    make_change("Vacuum", start=T0 + timedelta(hours=3), service=database)
    client = client_for(agent_l1)
    page = client.post(f"{URL}feed/").content.decode()
    url = _shown(page, "mono cc-feed-url")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert 'name="feed-token"' in page and 'id="id_feed-service"' in page

    chosen = client.post(f"{URL}feed/link/", {"feed-token": token, "feed-service": service.pk})
    assert chosen.status_code == 200
    body = chosen.content.decode()
    service_url = _shown(body, "mono cc-feed-url cc-feed-service-url")
    assert service_url == f"{url}?service={service.pk}"
    assert _shown(body, "mono cc-feed-url") == url  # the whole feed's link stays shown
    feed = client.get(service_url).content.decode()
    assert mail_change.number in feed and "Vacuum" not in feed
    # Asking for a link renews nothing: the first link still works.
    assert client.get(url).status_code == 200


def test_a_missing_service_is_shown_on_the_field(client_for, agent_l1):
    client = client_for(agent_l1)
    page = client.post(f"{URL}feed/").content.decode()
    token = _shown(page, "mono cc-feed-url").rsplit("/", 1)[1].removesuffix(".ics")
    refused = client.post(f"{URL}feed/link/", {"feed-token": token, "feed-service": "424242"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "cc-feed-service-url" not in body and 'id="id_feed-service_error"' in body
    assert ChangeCalendarFeed.objects.filter(person=agent_l1).count() == 1


def test_a_stale_or_foreign_token_shows_no_link(client_for, agent_l1, agent_l2, service):
    client = client_for(agent_l1)
    page = client.post(f"{URL}feed/").content.decode()
    old = _shown(page, "mono cc-feed-url").rsplit("/", 1)[1].removesuffix(".ics")
    client.post(f"{URL}feed/")  # renewed: the old secret no longer opens the feed
    for token in (old, "nope", "x" * 500):
        refused = client.post(f"{URL}feed/link/", {"feed-token": token, "feed-service": service.pk})
        assert refused.status_code == 400
        assert "cc-feed-url" not in refused.content.decode()
        assert "no longer works" in refused.content.decode()
    # Another agent's secret shows nothing to this one.
    theirs = client_for(agent_l2).post(f"{URL}feed/").content.decode()
    foreign = _shown(theirs, "mono cc-feed-url").rsplit("/", 1)[1].removesuffix(".ics")
    response = client.post(f"{URL}feed/link/", {"feed-token": foreign, "feed-service": service.pk})
    assert response.status_code == 400 and foreign not in response.content.decode()


def test_the_feed_link_page_refuses_get_and_end_users(client_for, end_user, agent_l1):
    assert client_for(end_user).post(f"{URL}feed/link/", {}).status_code == 404
    assert client_for(agent_l1).get(f"{URL}feed/link/").status_code == 405
