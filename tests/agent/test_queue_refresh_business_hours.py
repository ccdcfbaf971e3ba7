"""In working hours, the queue's badges on a business-hours calendar are counted in the browser
(sla.badge): the unchanged refresh minutes later is a 304 from the marker, as with 24x7 clocks,
without building a row; when the office closes the refresh builds the page again and sends the
rows whose badge now stands still."""

import re
from datetime import timedelta

import pytest
import time_machine

from incidents.views import queue as queue_view
from sla.models import SlaPolicy
from tests.agent.conftest import T0

pytestmark = pytest.mark.django_db

URL = "/agent/incidents/"
HTMX = {"HX-Request": "true"}
# Monday 2 March 2026, 10:00:20 UTC: 11:00:20 in Berlin, where the office works 08:00-18:00.
LOADED_AT = T0 + timedelta(hours=1, seconds=20)
CLOSING = T0.replace(hour=17)


@pytest.fixture
def loaded(client_for, agent_l1, make_incident, incident_policies, office_calendar):
    """An agent's client over two open incidents on office hours (P4: respond within 4 business
    hours, warned at 3), and the page it loaded at LOADED_AT."""
    SlaPolicy.objects.filter(ticket_kind="incident").update(calendar=office_calendar)
    incidents = [make_incident(f"Printer {n} offline") for n in range(2)]
    with time_machine.travel(LOADED_AT, tick=False):
        client = client_for(agent_l1)
        page = client.get(URL)
    return client, page, incidents


def _refresh(client, page, at, **headers):
    with time_machine.travel(at, tick=False):
        return client.get(URL, headers={**HTMX, "If-None-Match": page.headers["ETag"], **headers})


def test_in_working_hours_the_badges_count_in_the_browser_to_closing_time(loaded):
    _, page, _ = loaded
    body = page.content.decode()
    assert body.count('data-until="2026-03-02T17:00:00+00:00"') == 2
    assert "business hours</span>" in body


def test_minutes_later_in_working_hours_the_refresh_is_a_304_from_the_marker(loaded, monkeypatch):
    client, page, _ = loaded

    def refuse(*args, **kwargs):
        raise AssertionError("the unchanged refresh built the page")

    monkeypatch.setattr(queue_view, "queue_context", refuse)
    for later in (timedelta(minutes=3), timedelta(minutes=47)):
        refresh = _refresh(client, page, LOADED_AT + later)
        assert refresh.status_code == 304, later
        assert refresh.headers["ETag"] == page.headers["ETag"]


def test_after_closing_time_the_rows_come_again_standing_still(loaded):
    client, page, incidents = loaded
    shown = re.findall(r'data-number="([^"]+)" data-digest="([^"]+)"', page.content.decode())
    refresh = _refresh(
        client,
        page,
        CLOSING + timedelta(seconds=20),
        **{"X-Queue-Rows": ",".join(f"{n}:{d}" for n, d in shown)},
    )
    body = refresh.content.decode()
    assert refresh.status_code == 200
    sent = re.findall(r'<tr hx-swap-oob="true" id="row-([^"]+)"', body)
    assert sorted(sent) == sorted(incident.number for incident in incidents)
    assert "data-until" not in body
