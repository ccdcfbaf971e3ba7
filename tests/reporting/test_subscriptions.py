"""Weekly summary subscriptions: the API, the services, and the idempotent beat task."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from core.exceptions import DomainError, ValidationFailed
from core.models import OutboxMessage
from reporting.models import ReportSubscription
from reporting.services import last_slot, reports_send_due, subscription_create
from reporting.tasks import send_scheduled_task

pytestmark = pytest.mark.django_db

# Monday 2026-03-09 07:00 UTC (TIME_ZONE is UTC in tests)
MONDAY_7 = datetime(2026, 3, 9, 7, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def api(user, scopes=("read", "write")):
    client = APIClient()
    secret = api_token_create(user=user, name="t", scopes=list(scopes)).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def summaries():
    return OutboxMessage.objects.filter(
        task_name="core.send_email", dedupe_key__startswith="report"
    )


def test_subscribe_list_and_unsubscribe_through_the_api(manager, admin_user):
    client = api(manager)
    url = reverse("report-subscriptions-list")
    created = client.post(url, {"weekday": 0, "hour": 7, "filters": {"priority": 1}}, format="json")
    assert created.status_code == 201
    assert created.json()["filters"] == {"kind": "incident", "priority": 1}
    api(admin_user).post(url, {"weekday": 4, "hour": 16}, format="json")
    listed = client.get(url).json()
    assert [row["id"] for row in listed["results"]] == [created.json()["id"]]
    theirs = ReportSubscription.objects.get(user=admin_user)
    assert (
        client.delete(reverse("report-subscriptions-detail", args=[theirs.pk])).status_code == 404
    )
    mine = reverse("report-subscriptions-detail", args=[created.json()["id"]])
    assert client.delete(mine).status_code == 204
    assert not ReportSubscription.objects.filter(user=manager).exists()


def test_bad_subscriptions_are_refused_and_nothing_is_stored(manager, agent_l1):
    client = api(manager)
    url = reverse("report-subscriptions-list")
    bad = client.post(url, {"weekday": 9, "hour": 25}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"weekday", "hour"}
    bad_filter = client.post(
        url,
        {"weekday": 1, "hour": 8, "filters": {"service": "999", "start": "2026-01-01"}},
        format="json",
    )
    assert bad_filter.status_code == 400
    assert "filters" in bad_filter.json()["error"]["fields"]
    assert api(agent_l1).post(url, {"weekday": 1, "hour": 8}, format="json").status_code == 403
    assert not ReportSubscription.objects.exists()
    with pytest.raises(DomainError):
        subscription_create(user=agent_l1, weekday=1, hour=8)
    with pytest.raises(ValidationFailed) as refused:
        subscription_create(user=manager, weekday=1, hour=8, filters={"tier": "4"})
    assert refused.value.errors == {"filters.tier": "Choose one of: 1, 2, 3."}


def test_last_slot():
    subscription = ReportSubscription(weekday=0, hour=7)
    assert last_slot(subscription, MONDAY_7) == MONDAY_7
    assert last_slot(subscription, MONDAY_7 - timedelta(minutes=1)) == MONDAY_7 - timedelta(days=7)
    assert last_slot(subscription, MONDAY_7 + timedelta(days=3)) == MONDAY_7


def test_a_summary_is_sent_once_per_week_even_when_the_task_runs_twice(manager, desk):
    with time_machine.travel(MONDAY_7 - timedelta(days=2), tick=False):
        subscription_create(user=manager, weekday=0, hour=7)
        assert reports_send_due() == 0  # created after last Monday's slot: wait for the next
    with time_machine.travel(MONDAY_7 + timedelta(minutes=5), tick=False):
        assert send_scheduled_task.run() == 1
        assert send_scheduled_task.run() == 0
    message = summaries().get()
    assert message.payload["to"] == [manager.email]
    assert "MTTR" in message.payload["body"]
    assert message.payload["subject"].startswith("Weekly service desk summary")
    with time_machine.travel(MONDAY_7 + timedelta(days=6), tick=False):
        assert reports_send_due() == 0
    with time_machine.travel(MONDAY_7 + timedelta(days=7, minutes=1), tick=False):
        assert reports_send_due() == 1
    assert summaries().count() == 2


def test_a_stale_read_cannot_send_twice(manager):
    with time_machine.travel(MONDAY_7 - timedelta(days=1), tick=False):
        subscription = subscription_create(user=manager, weekday=0, hour=7)
    from reporting.services import _send_one

    stale = ReportSubscription.objects.get(pk=subscription.pk)
    with time_machine.travel(MONDAY_7, tick=False):
        assert _send_one(stale, slot=MONDAY_7, now=MONDAY_7) is True
        assert _send_one(stale, slot=MONDAY_7, now=MONDAY_7) is False  # CAS lost
    assert summaries().count() == 1


def test_managers_who_lost_the_role_get_nothing(manager):
    from django.contrib.auth.models import Group

    with time_machine.travel(MONDAY_7 - timedelta(days=1), tick=False):
        subscription_create(user=manager, weekday=0, hour=7)
    manager.groups.set(Group.objects.filter(name="End users"))
    with time_machine.travel(MONDAY_7, tick=False):
        assert reports_send_due() == 0
    assert not summaries().exists()


def test_the_summary_points_to_the_dashboards_unsubscribe_button(manager, client_for, settings):
    settings.SITE_URL = "https://desk.example.com"
    with time_machine.travel(MONDAY_7 - timedelta(days=2), tick=False):
        subscription_create(user=manager, weekday=0, hour=7)
    with time_machine.travel(MONDAY_7 + timedelta(minutes=5), tick=False):
        assert send_scheduled_task.run() == 1
    body = summaries().get().payload["body"]
    assert "API" not in body and "ask an admin" not in body
    link = "https://desk.example.com/manager/dashboard/#subscriptions"
    assert f'Unsubscribe button under "Weekly email summary" on the dashboard: {link}' in body
    page = client_for(manager).get("/manager/dashboard/").content.decode()
    assert 'id="subscriptions"' in page and ">Unsubscribe<" in page
