"""The queue's unchanged refresh answers 304 from a marker of what the page was made from, read
as values, before any row is built (issue 18); and any change to a shown row, its clocks, the
counts, or a business-hours time left that moved on still gets an answer; texts the browser
moves on (ages, 24x7 time left) do not."""

import re
from datetime import UTC, datetime, timedelta
from math import floor

import pytest
import time_machine
from django.db.models import F

from core.models import Service
from core.templatetags.servicedesk import age_changes_at
from core.web.list_marker import valid_until
from incidents.models import Incident
from incidents.selectors import incident_list_for_user, incident_queue_items, with_live_page
from incidents.views import queue as queue_view
from incidents.views.queue_marker import page_row_states, row_state
from sla.badge import badge_changes_at, live_badge
from sla.choices import ClockState
from sla.models import SlaClock
from sla.row_clocks import RowClock
from sla.selectors import ticket_sla
from tests.agent.conftest import T0

pytestmark = pytest.mark.django_db

URL = "/agent/incidents/"
HTMX = {"HX-Request": "true"}
# 20 s past a whole minute: the 24x7 clocks' "time left" reads the same for 40 more seconds.
LOADED_AT = T0 + timedelta(hours=1, seconds=20)


@pytest.fixture
def loaded(client_for, agent_l1, make_incident):
    """An agent's client over three open incidents (running 24x7 clocks), and the page it
    loaded at LOADED_AT."""
    incidents = [make_incident(f"Printer {n} offline") for n in range(3)]
    with time_machine.travel(LOADED_AT, tick=False):
        client = client_for(agent_l1)
        page = client.get(URL)
        yield client, page, incidents


def _refresh(client, page, url=URL):
    return client.get(url, headers={**HTMX, "If-None-Match": page.headers["ETag"]})


def _no_rows_built(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the unchanged refresh built the page")

    monkeypatch.setattr(queue_view, "queue_context", refuse)


def test_an_unchanged_refresh_answers_304_without_building_a_row(loaded, monkeypatch):
    client, page, _ = loaded
    _no_rows_built(monkeypatch)
    with time_machine.travel(LOADED_AT + timedelta(seconds=30), tick=False):
        refresh = _refresh(client, page)
    assert refresh.status_code == 304
    assert refresh.headers["ETag"] == page.headers["ETag"]
    assert refresh.content == b""


def test_a_changed_shown_row_is_sent(loaded):
    client, page, incidents = loaded
    # A bulk update: no signal, no updated_at; the row's values still differ.
    Incident.objects.filter(pk=incidents[1].pk).update(title="Printer 1 on fire")
    refresh = _refresh(client, page)
    assert refresh.status_code == 200
    assert "Printer 1 on fire" in refresh.content.decode()


def test_a_renamed_service_of_a_shown_row_is_sent(loaded):
    client, page, incidents = loaded
    Service.objects.filter(pk=incidents[0].service_id).update(name="Mail relay")
    refresh = _refresh(client, page)
    assert refresh.status_code == 200
    assert "Mail relay" in refresh.content.decode()


def test_a_changed_clock_of_a_shown_row_is_sent(loaded):
    client, page, incidents = loaded
    SlaClock.objects.filter(ticket_id=incidents[2].pk).update(
        due_at=F("due_at") - timedelta(days=1)
    )
    refresh = _refresh(client, page)
    assert refresh.status_code == 200
    assert f'id="row-{incidents[2].number}"' in refresh.content.decode()
    assert "over" in refresh.content.decode()


def test_a_changed_count_is_sent(loaded, agent_l1, make_incident):
    """On the (empty) "Mine" tab an incident elsewhere changes only the tab counts."""
    client, _, _ = loaded
    with time_machine.travel(LOADED_AT, tick=False):
        page = client.get(URL, {"tab": "mine"})
        make_incident("Scanner jammed")
        refresh = _refresh(client, page, f"{URL}?tab=mine")
    assert refresh.status_code == 200
    assert 'id="queue-tabs"' in refresh.content.decode()


def test_running_24x7_clocks_still_refresh_304_minutes_later(loaded, monkeypatch):
    """The ages and the 24x7 badges' time left and state move on in the browser
    (static/js/queue.js): minutes later, with nothing changed, the refresh is still a 304."""
    client, page, _ = loaded
    _no_rows_built(monkeypatch)
    for later in (timedelta(minutes=3), timedelta(minutes=47), timedelta(hours=9)):
        with time_machine.travel(LOADED_AT + later, tick=False):
            refresh = _refresh(client, page)
        assert refresh.status_code == 304, later


def test_minutes_later_a_changed_row_comes_alone(loaded):
    """Row fingerprints leave out the texts that move with time: a change minutes later sends
    that row, not every row whose age or time left moved on."""
    client, page, incidents = loaded
    shown = re.findall(r'data-number="([^"]+)" data-digest="([^"]+)"', page.content.decode())
    Incident.objects.filter(pk=incidents[1].pk).update(title="Printer 1 on fire")
    with time_machine.travel(LOADED_AT + timedelta(minutes=5), tick=False):
        refresh = client.get(
            URL,
            headers={
                **HTMX,
                "If-None-Match": page.headers["ETag"],
                "X-Queue-Rows": ",".join(f"{n}:{d}" for n, d in shown),
            },
        )
    body = refresh.content.decode()
    assert refresh.status_code == 200
    assert re.findall(r'<tr hx-swap-oob="true" id="row-([^"]+)"', body) == [incidents[1].number]


def test_only_business_hours_time_left_bounds_the_tag():
    now = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
    moving = now + timedelta(seconds=25)
    assert valid_until([None, moving], now) == floor(moving.timestamp())
    assert valid_until([None], now) == floor(now.timestamp()) + 86400


def test_the_row_state_of_a_page_row_is_what_the_refresh_reads(loaded, agent_l1):
    _, _, incidents = loaded
    Incident.objects.filter(pk=incidents[0].pk).update(assignee=None)
    page_query = with_live_page(
        incident_list_for_user(agent_l1).filter(pk__in=[i.pk for i in incidents])
    ).order_by("pk")
    rows = page_row_states(page_query)
    assert [row_state(item) for item in incident_queue_items(page_query)] == rows
    assert [row[0] for row in rows] == sorted(i.pk for i in incidents)


def test_a_badge_the_browser_moves_on_is_fingerprinted_by_its_clocks():
    now = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
    always = {
        "calendar": {"timezone": "UTC", "always_open": True, "windows": [], "holidays": []},
        "policy_name": "P",
    }
    clocks = [
        RowClock(
            1,
            "resolution",
            ClockState.RUNNING,
            now + timedelta(hours=2),
            None,
            None,
            None,
            None,
            1,
            always,
        )
    ]
    early, late = (
        live_badge(clocks, ticket_sla(clocks, t), t) for t in (now, now + timedelta(minutes=7))
    )
    assert early.html != late.html
    assert early.digest_key == late.digest_key
    assert early.moves_at is None


def test_a_forged_future_until_does_not_hide_a_change(loaded):
    client, page, incidents = loaded
    shown, marker, _ = page.headers["ETag"].strip('"').split(".")
    Incident.objects.filter(pk=incidents[0].pk).update(priority=1)
    refresh = client.get(URL, headers={**HTMX, "If-None-Match": f'"{shown}.{marker}.9999999999"'})
    assert refresh.status_code == 200


def test_age_changes_at_the_step_it_is_shown_in():
    created = datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)
    assert age_changes_at(created, created + timedelta(minutes=5, seconds=10)) == created + (
        timedelta(minutes=6)
    )
    assert age_changes_at(created, created + timedelta(hours=3, minutes=5)) == created + (
        timedelta(hours=4)
    )
    assert age_changes_at(created, created + timedelta(days=9, hours=3)) == created + (
        timedelta(days=10)
    )


def _clock(state, due_at, warn_at=None, calendar=None):
    snapshot = {"calendar": calendar} if calendar else {}
    return RowClock(1, "resolution", state, due_at, warn_at, None, None, None, 1, snapshot)


OFFICE_HOURS = {
    "timezone": "Europe/Berlin",
    "always_open": False,
    "windows": [[day, "09:00", "17:00"] for day in range(5)],
    "holidays": [],
}


def test_a_badge_changes_at_the_next_minute_of_its_time_left_or_a_deadline():
    now = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
    due = now + timedelta(hours=2, seconds=25)
    assert badge_changes_at([_clock(ClockState.RUNNING, due)], now) == now + timedelta(seconds=25)
    warn = now + timedelta(seconds=5)
    assert badge_changes_at([_clock(ClockState.RUNNING, due, warn)], now) == warn
    overdue = now - timedelta(minutes=3, seconds=15)
    assert badge_changes_at([_clock(ClockState.RUNNING, overdue)], now) == now + timedelta(
        seconds=45
    )
    assert badge_changes_at([_clock(ClockState.PAUSED, due)], now) is None


def test_out_of_hours_a_business_clock_badge_holds_until_its_calendar_works_again():
    friday_evening = datetime(2026, 3, 6, 18, 0, 20, tzinfo=UTC)  # 19:00 in Berlin
    due = datetime(2026, 3, 9, 10, 30, 10, tzinfo=UTC)  # Monday, in office hours
    clock = _clock(ClockState.RUNNING, due, calendar=OFFICE_HOURS)
    monday_opening = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    assert badge_changes_at([clock], friday_evening) == monday_opening
    # In office hours its time left moves every minute, as a 24x7 clock's does.
    monday = datetime(2026, 3, 9, 9, 0, 0, tzinfo=UTC)
    assert badge_changes_at([clock], monday) == monday + timedelta(seconds=10)
    # A warning due out of hours (as a 24x7 clock beside it may have) still turns the badge.
    warned = _clock(ClockState.RUNNING, due, friday_evening + timedelta(hours=1), OFFICE_HOURS)
    assert badge_changes_at([warned], friday_evening) == friday_evening + timedelta(hours=1)


def test_after_a_deploy_the_refresh_builds_the_page_again(loaded, monkeypatch):
    """New row code: the marker no longer matches, so the refresh builds the rows and compares
    their HTML (here the same, so still a 304, but from the HTML, not from the marker)."""
    client, page, _ = loaded
    built = []
    build = queue_view.queue_context

    def counting(*args, **kwargs):
        built.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(queue_view, "queue_context", counting)
    monkeypatch.setattr("incidents.views.queue_marker.CODE_DIGEST", "another-release")
    with time_machine.travel(LOADED_AT + timedelta(seconds=30), tick=False):
        refresh = _refresh(client, page)
    assert built == [1]
    assert refresh.status_code == 304
