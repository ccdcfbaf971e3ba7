"""Evaluation: fast burn opens an incident on the service and pages its owner group's policy,
slow burn emails the owner group, a spent budget sends slo.budget_exhausted; each once per
episode however often the task runs, and each episode ends when its rule stops holding."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError

from core.models import OutboxMessage
from core.webhooks.models import WebhookDelivery, WebhookSubscription
from incidents.choices import IncidentStatus
from incidents.models import Incident
from oncall.models import EscalationPolicy, EscalationStep, Page, StepTarget
from slo.alerts import slo_evaluate
from slo.choices import AlertRule
from slo.models import AlertEpisode
from slo.selectors import exhausted_service_ids
from slo.tasks import slo_evaluate_task
from tests.factories import ServiceFactory, UserFactory
from tests.slo.conftest import NOW, ago, availability, outage, response

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _at_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def group_policy(owner_group):
    owner_group.members.add(UserFactory(username="platform-agent"))
    policy = EscalationPolicy.objects.create(support_group=owner_group, name="Platform paging")
    EscalationStep.objects.create(
        policy=policy, position=1, target=StepTarget.GROUP, wait_minutes=10
    )
    return policy


def _slo_incidents() -> list[Incident]:
    return list(Incident.objects.filter(title__startswith="SLO fast burn"))


def test_fast_burn_pages_once_and_clears(mail_service, slo_manager, group_policy):
    down = outage(mail_service, ago(minutes=1), None)
    objective = availability(mail_service, slo_manager)
    first = slo_evaluate()
    assert first.fired == [(objective.pk, AlertRule.PAGE_1H)]
    (opened,) = _slo_incidents()
    assert opened.service == mail_service and opened.support_group == mail_service.owner_group
    assert opened.requester == slo_manager
    page = Page.objects.get(ticket_number=opened.number)
    assert page.reason == "alert" and page.support_group_id == mail_service.owner_group_id
    episode = AlertEpisode.objects.get(objective=objective)
    assert episode.ticket_number == opened.number and episode.is_open
    assert episode.burn_long == pytest.approx(60 / 3600 / 0.001)
    assert episode.burn_short == pytest.approx(60 / 300 / 0.001)

    assert slo_evaluate().fired == []  # the next run, and the task, change nothing
    assert slo_evaluate_task() == 0
    assert len(_slo_incidents()) == 1 and Page.objects.count() == 1

    Incident.objects.filter(pk=down.pk).update(
        status=IncidentStatus.RESOLVED, service_restored_at=NOW, resolved_at=NOW
    )
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        assert slo_evaluate().cleared == [(objective.pk, AlertRule.PAGE_1H)]
    episode.refresh_from_db()
    assert episode.cleared_at == NOW + timedelta(minutes=10)


def test_a_second_page_rule_joins_the_same_incident(mail_service, slo_manager, group_policy):
    # Down for the last 40 minutes: 1h burn 666, 6h 111, 30m 1000: both page rules hold.
    outage(mail_service, ago(minutes=40), None)
    objective = availability(mail_service, slo_manager, target="99")
    slo_evaluate()
    episodes = {e.rule: e for e in AlertEpisode.objects.filter(objective=objective)}
    assert {AlertRule.PAGE_1H, AlertRule.PAGE_6H} <= set(episodes)
    (opened,) = _slo_incidents()
    assert episodes[AlertRule.PAGE_1H].ticket_number == opened.number
    assert episodes[AlertRule.PAGE_6H].ticket_number == opened.number


def test_slow_burn_emails_the_owner_group_once(mail_service, slo_manager):
    # 270 s two days ago, 30 s three hours ago: 3d burn 300/259200/0.001 = 1.16 and 6h burn
    # 30/21600/0.001 = 1.39 hold the 3-day rule; 1d burn 0.35 and 1h burn 0 hold nothing else.
    manager = UserFactory(username="platform-lead", email="lead@example.com")
    mail_service.owner_group.manager = manager
    mail_service.owner_group.save()
    outage(mail_service, ago(days=2), ago(days=2) + timedelta(seconds=270))
    outage(mail_service, ago(hours=3), ago(hours=3) + timedelta(seconds=30))
    objective = availability(mail_service, slo_manager)
    assert slo_evaluate().fired == [(objective.pk, AlertRule.NOTIFY_3D)]
    slo_evaluate()
    (mail,) = OutboxMessage.objects.filter(dedupe_key__startswith="slo-notify:")
    assert mail.task_name == "core.send_email"
    assert mail.payload["to"] == ["platform@example.com", "lead@example.com"]
    assert mail.payload["subject"] == "SLO slow burn: Mail"
    assert "1.2 over 3d" in mail.payload["body"] and "1.4 over 6h" in mail.payload["body"]
    assert _slo_incidents() == []


def test_budget_spent_sends_the_webhook_once_per_episode(mail_service, slo_manager):
    subscription = WebhookSubscription.objects.create(
        name="reliability",
        url="https://hooks.example.com/slo",
        event_types=["slo.budget_exhausted"],
        secret="s" * 40,
    )
    other = ServiceFactory(name="Intranet")
    availability(other, slo_manager)
    # 50 minutes down 10 days ago: 3000 s > 2419.2 s allowed over 28 days; no burn alert.
    outage(mail_service, ago(days=10), ago(days=10) - timedelta(minutes=-50))
    objective = availability(mail_service, slo_manager)
    assert slo_evaluate().fired == [(objective.pk, AlertRule.EXHAUSTED)]
    slo_evaluate()
    (delivery,) = WebhookDelivery.objects.filter(subscription=subscription)
    assert delivery.event_type == "slo.budget_exhausted"
    data = delivery.payload["data"]
    assert data["service"] == {"id": mail_service.pk, "name": "Mail"}
    assert data["objective"]["target"] == 99.9 and data["objective"]["window_days"] == 28
    assert data["budget"]["used"] == pytest.approx(3000.0, abs=0.01)
    assert data["budget"]["remaining_fraction"] == pytest.approx(1 - 3000 / 2419.2, abs=1e-4)
    assert exhausted_service_ids([mail_service.pk, other.pk]) == {mail_service.pk}

    # 19 days later the outage has left the window: the episode ends.
    with time_machine.travel(NOW + timedelta(days=19), tick=False):
        assert slo_evaluate().cleared == [(objective.pk, AlertRule.EXHAUSTED)]
    assert exhausted_service_ids([mail_service.pk, other.pk]) == set()
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 1


def test_one_open_episode_per_objective_and_rule(mail_service, slo_manager):
    objective = availability(mail_service, slo_manager)
    AlertEpisode.objects.create(objective=objective, rule=AlertRule.EXHAUSTED, fired_at=NOW)
    with pytest.raises(IntegrityError):
        AlertEpisode.objects.create(objective=objective, rule=AlertRule.EXHAUSTED, fired_at=NOW)


def test_a_racing_run_that_already_fired_wins(mail_service, slo_manager, monkeypatch):
    """A run that read no open episode, while another run inserted one meanwhile, starts
    nothing: the insert meets the constraint and the loser sends nothing."""
    subscription = WebhookSubscription.objects.create(
        name="reliability",
        url="https://hooks.example.com/slo",
        event_types=["slo.budget_exhausted"],
        secret="s" * 40,
    )
    outage(mail_service, ago(days=10), ago(days=10) + timedelta(minutes=50))
    objective = availability(mail_service, slo_manager)
    AlertEpisode.objects.create(objective=objective, rule=AlertRule.EXHAUSTED, fired_at=NOW)
    real_filter = AlertEpisode.objects.filter

    def stale(*args, **kwargs):
        if kwargs.get("cleared_at__isnull") and "objective__in" in kwargs:
            return real_filter(pk=-1)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(AlertEpisode.objects, "filter", stale)
    assert slo_evaluate().fired == []
    assert not WebhookDelivery.objects.filter(subscription=subscription).exists()


def test_evaluation_reads_in_four_queries_per_batch(
    mail_service, slo_manager, django_assert_num_queries
):
    response(mail_service, slo_manager)
    for n in range(3):
        availability(ServiceFactory(name=f"Quiet {n}"), slo_manager)
    slo_evaluate()  # warms the content-type cache the outage query reads
    # the objectives, their open episodes, the availability and the response numbers
    with django_assert_num_queries(4):
        slo_evaluate(batch_size=10)
    for n in range(20):
        availability(ServiceFactory(name=f"More {n}"), slo_manager)
    with django_assert_num_queries(4):
        slo_evaluate(batch_size=50)
    # 24 objectives in batches of 10: three batches, only the first with a response objective.
    with django_assert_num_queries(10):
        slo_evaluate(batch_size=10)


def test_no_objectives_no_work(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert slo_evaluate().fired == []
