"""The agent request list's refresh answers 304 while the rows it shows are unchanged, minutes
later too (ages and 24x7 time left move on in the browser), and the rows when one changed
(core.web.list_marker)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db.models import F
from django.urls import reverse

from service_requests import services
from service_requests.models import ServiceRequest
from sla.models import SlaClock, SlaPolicy

pytestmark = pytest.mark.django_db

LOADED_AT = datetime(2026, 3, 2, 9, 0, 20, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def loaded(client_for, agent_l1, requester, mfa, request_policies):
    with time_machine.travel(LOADED_AT - timedelta(hours=1), tick=False):
        made = [services.request_create(requester=requester, item=mfa, answers={}) for _ in "ab"]
    with time_machine.travel(LOADED_AT, tick=False):
        client = client_for(agent_l1)
        page = client.get(reverse("requests:agent_list"))
    assert SlaClock.objects.filter(ticket_id__in=[sr.pk for sr in made]).exists()
    return client, page, made


def _refresh(client, page, later):
    with time_machine.travel(LOADED_AT + later, tick=False):
        return client.get(
            reverse("requests:agent_list"), headers={**HTMX, "If-None-Match": page["ETag"]}
        )


def test_an_unchanged_list_refreshes_304_minutes_later(loaded):
    client, page, _ = loaded
    assert f'data-etag="{page["ETag"].replace(chr(34), "&quot;")}"' in page.content.decode()
    for later in (timedelta(seconds=10), timedelta(minutes=7)):
        refresh = _refresh(client, page, later)
        assert refresh.status_code == 304
        assert refresh.content == b""


def test_a_changed_row_is_sent(loaded):
    client, page, made = loaded
    ServiceRequest.objects.filter(pk=made[0].pk).update(title="Reset MFA for the CFO")
    refresh = _refresh(client, page, timedelta(minutes=2))
    assert refresh.status_code == 200
    assert "Reset MFA for the CFO" in refresh.content.decode()


def test_a_changed_clock_of_a_shown_row_is_sent(loaded):
    client, page, made = loaded
    SlaClock.objects.filter(ticket_id=made[1].pk).update(due_at=F("due_at") - timedelta(days=2))
    refresh = _refresh(client, page, timedelta(minutes=2))
    assert refresh.status_code == 200
    assert refresh["ETag"] != page["ETag"]


def test_in_working_hours_a_business_hours_list_refreshes_304_minutes_later(
    client_for, agent_l1, requester, mfa, request_policies, office_calendar
):
    """Its badges count in the browser to closing time (sla.badge): the list's tag holds until
    then, or until a warning before it (here three business hours in), not to the next
    minute."""
    SlaPolicy.objects.filter(ticket_kind="request").update(calendar=office_calendar)
    with time_machine.travel(LOADED_AT, tick=False):
        made = services.request_create(requester=requester, item=mfa, answers={})
        client = client_for(agent_l1)
        page = client.get(reverse("requests:agent_list"))
    assert 'data-until="2026-03-02T17:00:00+00:00"' in page.content.decode()
    warned = SlaClock.objects.get(ticket_id=made.pk, metric="response").warn_at
    assert page["ETag"].strip('"').rsplit(".", 1)[1] == str(int(warned.timestamp()))
    for later in (timedelta(minutes=3), timedelta(minutes=47)):
        assert _refresh(client, page, later).status_code == 304
