"""The request list's rows are kept while their values, clocks, time zone and badge stay the same
(sla.row_memo, service_requests.views.agent.ROWS): a kept row reads as a row made afresh at every
instant, its age put in on every request, and each part of its key makes another row."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from service_requests import services
from service_requests.models import ServiceRequest
from service_requests.views import agent
from sla.models import SlaClock, SlaPolicy
from tests.kept import script_prefix

pytestmark = pytest.mark.django_db

MADE_AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
URL = "/agent/requests/"


def _rows(client, at):
    with time_machine.travel(at, tick=False):
        body = client.get(URL).content.decode()
    # The rows, without the tbody's tag (its ETag names the instant the page is valid until).
    start = body.index(">", body.index('<tbody id="request-rows"')) + 1
    return body[start : body.index("</tbody>", start)]


@pytest.fixture
def made(requester, mfa, request_policies):
    with time_machine.travel(MADE_AT, tick=False):
        return [services.request_create(requester=requester, item=mfa, answers={}) for _ in "ab"]


def _never_written(*args, **kwargs):
    raise AssertionError("a kept row was written again")


def test_a_kept_row_is_not_written_again_and_its_age_moves(client_for, agent_l1, made, monkeypatch):
    client = client_for(agent_l1)
    first = _rows(client, MADE_AT + timedelta(minutes=5, seconds=20))
    monkeypatch.setattr(agent, "request_row_head", _never_written)
    again = _rows(client, MADE_AT + timedelta(minutes=5, seconds=40))
    assert again == first and "data-age>5m</time>" in again
    monkeypatch.undo()
    assert "data-age>6m</time>" in _rows(client, MADE_AT + timedelta(minutes=6))


@pytest.mark.parametrize("hours", [False, True])
def test_kept_rows_read_as_rows_made_afresh(
    client_for, agent_l1, made, office_calendar, hours, settings
):
    """Asked in order and out of order over warnings, due times, closing time and days: the
    kept rows are the rows made afresh at that instant."""
    if hours:
        SlaPolicy.objects.filter(ticket_kind="request").update(calendar=office_calendar)
        with time_machine.travel(MADE_AT, tick=False):
            made = [
                services.request_create(
                    requester=made[0].requester, item=made[0].catalog_item, answers={}
                )
            ]
    client = client_for(agent_l1)
    steps = [0, 1, 59, 61, 125, 239, 241, 480, 600, 61, 1000, 1440, 2000, 3 * 1440, 10 * 1440, 5]
    for minutes in steps:
        for seconds in (0, 31):
            at = MADE_AT + timedelta(minutes=minutes, seconds=seconds)
            kept = _rows(client, at)
            agent.ROWS.clear()
            assert _rows(client, at) == kept, (minutes, seconds)


def test_a_changed_value_makes_another_row(client_for, agent_l1, made):
    client = client_for(agent_l1)
    _rows(client, MADE_AT + timedelta(minutes=5))
    ServiceRequest.objects.filter(pk=made[0].pk).update(title="Reset MFA for the CFO")
    assert "Reset MFA for the CFO" in _rows(client, MADE_AT + timedelta(minutes=5))


def test_a_changed_clock_makes_another_row(client_for, agent_l1, made):
    client = client_for(agent_l1)
    at = MADE_AT + timedelta(minutes=5)
    first = _rows(client, at)
    SlaClock.objects.filter(ticket_id=made[1].pk).update(due_at=at - timedelta(minutes=1))
    changed = _rows(client, at)
    assert changed != first
    agent.ROWS.clear()
    assert _rows(client, at) == changed


def test_each_time_zone_gets_its_own_row(client_for, agent_l1, made):
    client = client_for(agent_l1)
    at = MADE_AT + timedelta(minutes=5)
    assert 'datetime="2026-03-02T08:00:00+00:00"' in _rows(client, at)
    type(agent_l1).objects.filter(pk=agent_l1.pk).update(time_zone="Europe/Berlin")
    assert 'datetime="2026-03-02T09:00:00+01:00"' in _rows(client_for(agent_l1), at)


def test_each_script_prefix_gets_its_own_links(client_for, agent_l1, made):
    client = client_for(agent_l1)
    at = MADE_AT + timedelta(minutes=5)
    number = made[0].number
    assert f'href="{reverse("requests:agent_detail", args=[number])}"' in _rows(client, at)
    with script_prefix("/desk/"):
        assert f'href="/desk/agent/requests/{number}/"' in _rows(client, at)
