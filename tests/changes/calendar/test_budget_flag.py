"""The error-budget rule on the calendar and the change page: a normal change to a service
that has spent its error budget needs one more approval, and both say so."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from changes.choices import ChangeStatus
from slo.models import AlertEpisode, Objective
from tests.changes.calendar.conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_march_2027():
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        yield


def _spend(service, manager) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    objective = Objective.objects.create(
        service=service,
        kind="availability",
        target="99.9",
        window_days=28,
        created_by=manager,
        created_at=now,
        updated_at=now,
    )
    AlertEpisode.objects.create(objective=objective, rule="exhausted", fired_at=now)


def test_the_calendar_flags_normal_changes_on_a_spent_service(
    client_for, agent_l1, manager, make_change, service
):
    normal = make_change("Move mailboxes", service=service)
    standard = make_change(
        "Rotate logs", service=service, change_type="standard", start=T0 + timedelta(days=2)
    )
    page = client_for(agent_l1).get("/agent/changes/calendar/").content.decode()
    assert "Budget spent" not in page
    _spend(service, manager)
    page = client_for(agent_l1).get("/agent/changes/calendar/").content.decode()
    assert page.count("Budget spent") == 1
    assert normal.number in page and standard.number in page


def test_the_change_page_shows_its_conflicts_and_the_budget_rule(
    client_for, agent_l1, manager, make_change, service
):
    draft = make_change("Move mailboxes", service=service, status=ChangeStatus.DRAFT)
    other = make_change("Patch the relay", service=service, start=T0 + timedelta(hours=1))
    _spend(service, manager)
    page = client_for(agent_l1).get(f"/agent/changes/{draft.number}/").content.decode()
    assert "On the change calendar" in page
    assert "one more approval than usual" in page
    assert f">{other.number}</a>" in page
