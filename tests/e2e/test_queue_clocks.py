"""The queue's texts that move with time move on in the browser (static/js/queue.js), in the
same words as the server's for the same instant (the shared vectors of tests/agent/
time_texts.json, which tests/agent/test_time_texts.py checks against the server's functions),
and the badge turns "At risk" and "Breached" when its instants pass; meanwhile the unchanged
queue's refreshes answer 304 and leave the rows alone. The page's clock is controlled, so hours
pass in an instant. A business-hours clock in working hours is counted the same way, to the end
of its working time (data-until), where its time left stands still (sla/badge.py)."""

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident
from incidents.services import incident_create
from sla.models import Holiday, SlaClock
from sla.selectors import format_span
from tests.e2e.conftest import login

pytestmark = pytest.mark.browser

VECTORS = json.loads((Path(__file__).parents[1] / "agent" / "time_texts.json").read_text())
RESPONSE_DUE = timedelta(hours=4)
RESPONSE_WARN = timedelta(hours=3)


@pytest.mark.parametrize("business_hours", [False, True], ids=["24x7", "business-hours"])
def test_ages_and_time_left_tick_as_the_server_writes_them(
    new_page, settings, end_user, agent_l1, service, incident_policies, business_hours
):
    settings.QUEUE_REFRESH_SECONDS = 15
    reported = timezone.now().replace(microsecond=0)
    if business_hours:
        # Around the clock but for a holiday far ahead: business time, and working now (the
        # live server reads the real time), counted in the browser to the end of the day after.
        calendar = incident_policies[5].calendar
        Holiday.objects.create(calendar=calendar, date=reported.date() + timedelta(days=200))
    incident = incident_create(requester=end_user, title="Badge reader offline", service=service)
    Incident.objects.filter(pk=incident.pk).update(created_at=reported)
    SlaClock.objects.filter(ticket_id=incident.pk, metric="response").update(
        due_at=reported + RESPONSE_DUE, warn_at=reported + RESPONSE_WARN
    )
    SlaClock.objects.filter(ticket_id=incident.pk).exclude(metric="response").update(
        due_at=reported + timedelta(days=30), warn_at=reported + timedelta(days=29)
    )

    page = new_page()
    page.clock.install(time=reported)
    login(page, agent_l1)
    page.goto(reverse("incidents:agent_list"))
    row = page.locator(f"#row-{incident.number}")
    age = row.locator("time[data-age]")
    left = row.locator(".sla-left")
    label = row.locator(".badge-sla")
    expect(age).to_have_text("0m")
    prefix = left.get_attribute("data-prefix")
    refreshes: list[int] = []
    page.on(
        "response",
        lambda response: (
            refreshes.append(response.status)
            if response.request.headers.get("hx-request")
            else None
        ),
    )

    checks = [(timedelta(seconds=s), age, text) for s, text in VECTORS["age"]]
    checks += [
        (RESPONSE_DUE - timedelta(seconds=s), left, f"{prefix}{text} {'left' if s > 0 else 'over'}")
        for s, text in VECTORS["span"]
    ]
    checks += [
        (RESPONSE_WARN - timedelta(seconds=1), label, "On track"),
        (RESPONSE_WARN + timedelta(seconds=1), label, "At risk"),
        (RESPONSE_DUE + timedelta(seconds=1), label, "Breached"),
    ]
    if business_hours:
        # Past the end of its working time the time left stands still (the server's next
        # answer would say the same, standing still until the next working time), while the
        # ages go on.
        until = datetime.fromisoformat(left.get_attribute("data-until"))
        standing = f"{prefix}{format_span(until - reported - RESPONSE_DUE)} over"
        checks += [
            (until - reported + after, left, standing)
            for after in (timedelta(seconds=1), timedelta(hours=1))
        ]
    else:
        assert left.get_attribute("data-until") is None
    for after, element, text in sorted(checks, key=lambda check: check[0]):
        page.clock.pause_at(reported + after - timedelta(seconds=1))
        page.clock.run_for(1000)
        expect(element).to_have_text(text)
    # Hours of running clocks later, nothing in the data changed: every refresh was a 304.
    assert refreshes
    assert set(refreshes) == {304}
