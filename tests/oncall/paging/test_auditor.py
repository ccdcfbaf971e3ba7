"""The auditor: pages and notifications stuck past their deadline are reported on /healthz and
to managers, once per page."""

import logging
from datetime import timedelta

import pytest
import time_machine

from core.models import OutboxMessage
from oncall.models import PageNotification, PageNotificationStatus, PageReason
from oncall.paging.auditor import stuck_pages
from oncall.paging.services import page_start
from oncall.paging.sweeper import sweep
from oncall.tasks import audit_pages_task
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(group, agents, policy, reachable):
    incident = IncidentFactory(support_group=group, tier=group.tier)
    made = page_start(incident, reason=PageReason.MANUAL, actor=agents[0])
    # Its first message was delivered (as a worker would).
    PageNotification.objects.filter(page=made).update(status=PageNotificationStatus.SENT)
    return made


def test_nothing_stuck_within_the_grace(page, settings):
    late = page.next_at + timedelta(seconds=settings.PAGING_AUDIT_GRACE_SECONDS - 5)
    assert not stuck_pages(late).page_ids


def test_a_page_the_sweeper_missed_is_logged_and_managers_told_once(
    page, settings, caplog, manager
):
    late = page.next_at + timedelta(seconds=settings.PAGING_AUDIT_GRACE_SECONDS + 5)
    with time_machine.travel(late, tick=False):
        assert audit_pages_task.run() == 1
        assert audit_pages_task.run() == 1
    assert "Paging looks stuck" in caplog.text
    told = OutboxMessage.objects.filter(dedupe_key__endswith=f":page:{page.pk}:stuck")
    assert told.count() == 1 and told.get().payload["to"] == [manager.email]
    sweep(now=late)
    PageNotification.objects.filter(page=page).update(status=PageNotificationStatus.SENT)
    assert not stuck_pages(late).page_ids


def test_an_undelivered_notification_counts_as_stuck(page, settings):
    # The first notification is queued but no worker delivered it.
    PageNotification.objects.filter(page=page).update(status=PageNotificationStatus.QUEUED)
    late = page.created_at + timedelta(seconds=settings.PAGING_AUDIT_GRACE_SECONDS + 5)
    report = stuck_pages(late)
    assert report.notification_count == 1 and report.page_ids == [page.pk]


def test_health_reports_stuck_pages(client, page, settings, use_broker, caplog):
    use_broker("memory://")
    caplog.set_level(logging.ERROR)
    late = page.next_at + timedelta(seconds=settings.PAGING_AUDIT_GRACE_SECONDS + 5)
    with time_machine.travel(late, tick=False):
        body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["paging"]["ok"] is False
    assert body["checks"]["paging"]["stuck_pages"] == 1
