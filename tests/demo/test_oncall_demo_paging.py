"""The demo's paging (demo/paging.py): a policy per on-call group, a working email for every
agent of those groups, four weeks of pages that tell the stories the review shows, nothing sent,
and nothing doubled by seeding again."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from core.choices import EventKind
from core.models import OutboxMessage, TimelineEvent, User
from core.roles import is_agent
from incidents.models import Incident
from oncall.models import (
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    Page,
    PageNotification,
    PageNotificationStatus,
    PageStatus,
    Schedule,
)
from reporting.filters import ReportFilter
from reporting.metrics.oncall import oncall_review
from tests.demo.seeding import seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_the_email_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "demo.management.commands.seed_demo.seed_email_demo", lambda: {"messages": 0}
    )


def test_policies_and_contact_methods(seeded: str) -> None:
    groups = {schedule.support_group_id for schedule in Schedule.objects.all()}
    policies = list(EscalationPolicy.objects.filter(is_active=True))
    assert {p.support_group_id for p in policies} == groups
    for policy in policies:
        assert (policy.repeat, policy.page_priorities) == (1, [1, 2])
        steps = list(policy.steps.values_list("target", "wait_minutes"))
        assert steps == [("schedule", 5), ("group", 10)]
        assert policy.steps.get(position=1).schedule.support_group_id == policy.support_group_id
    assert EscalationPolicy.objects.filter(page_on_breach=True).exists()
    agents = [u for u in User.objects.filter(support_groups__in=groups).distinct() if is_agent(u)]
    emails = ContactMethod.objects.filter(kind="email", is_active=True)
    assert {m.person_id for m in emails} == {a.pk for a in agents}
    assert not emails.filter(rules__isnull=True).exists()
    webhook = ContactMethod.objects.get(kind="webhook")
    assert (webhook.is_active, webhook.is_working) == (False, False)
    assert "On call:" in seeded and "page(s) added" in seeded


def test_pages_tell_the_stories_of_the_review(seeded: str) -> None:
    now = timezone.now()
    pages = Page.objects.all()
    by_status = dict(pages.values_list("status").annotate(n=Count("pk")))
    assert by_status[PageStatus.ACKNOWLEDGED] >= 8
    assert by_status[PageStatus.EXHAUSTED] == 1
    assert by_status[PageStatus.TRIGGERED] == 1
    assert pages.filter(created_at__lt=now - timedelta(days=29)).count() == 0

    live = pages.get(status=PageStatus.TRIGGERED)
    incident = Incident.objects.get(pk=live.ticket_id)
    assert incident.priority == 1
    assert live.next_at > now > live.created_at
    assert live.notifications.filter(status=PageNotificationStatus.SENT).exists()

    escalated = pages.get(status=PageStatus.ACKNOWLEDGED, tier_index=1)
    l2 = escalated.policy_snapshot[1]["group_id"]
    assert escalated.acknowledged_by.support_groups.filter(pk=l2).exists()
    assert escalated.notifications.filter(step_key__startswith="1.").exists()

    exhausted = pages.get(status=PageStatus.EXHAUSTED)
    assert exhausted.tier_index == len(exhausted.policy_snapshot) - 1
    assert exhausted.ended_at > exhausted.created_at

    zone = ZoneInfo(settings.TIME_ZONE)
    night = 0
    for page in pages.filter(status=PageStatus.ACKNOWLEDGED):
        assert timedelta(0) < page.acknowledged_at - page.created_at < timedelta(hours=1)
        # Acknowledged by someone the page reached.
        assert page.notifications.filter(person=page.acknowledged_by, status="sent").exists()
        hour = page.created_at.astimezone(zone).hour
        night += hour < 7 or hour >= 22
    assert night >= 1
    assert not PageNotification.objects.filter(status="sent", sent_at__isnull=True).exists()


def test_timeline_events_are_dated_when_they_happened(seeded: str) -> None:
    for page in Page.objects.all():
        events = TimelineEvent.objects.filter(
            kind=EventKind.PAGE, ticket_id=page.ticket_id, changes__page_id=page.pk
        ).order_by("created_at", "pk")
        whats = [e.changes["what"] for e in events]
        assert whats[0] == "triggered"
        assert events[0].created_at == page.created_at
        if page.status == PageStatus.ACKNOWLEDGED:
            assert whats[-1] == "acknowledged"
            assert events.last().created_at == page.acknowledged_at
        if page.tier_index:
            assert "escalated" in whats


def test_the_review_has_numbers_and_nothing_was_sent(seeded: str) -> None:
    review = oncall_review(ReportFilter.last_days(30))
    assert review.pages == Page.objects.count()
    assert review.acknowledged.median is not None
    assert review.interruptions.total > 0
    assert review.top_interrupted
    assert not OutboxMessage.objects.exists()


def test_seeding_again_adds_nothing() -> None:
    seed()
    models = [
        EscalationPolicy,
        EscalationStep,
        ContactMethod,
        NotificationRule,
        Page,
        PageNotification,
        TimelineEvent,
    ]

    def counts() -> dict[type, int]:
        return {model: model.objects.count() for model in models}

    before = counts()
    out = seed()
    assert counts() == before
    assert "0 page(s) added" in out
