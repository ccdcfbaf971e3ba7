"""The paging sweeper: steps, repeats, hand-over to the next tier, exhaustion, and the fallbacks
(a step with nobody, a person without a working method, a schedule deleted under a page)."""

import logging
from datetime import timedelta

import pytest

from core.choices import EventKind, Tier
from core.models import OutboxMessage, TicketEmail, TimelineEvent
from incidents.choices import IncidentStatus
from oncall.models import (
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    Page,
    PageNotification,
    PageNotificationStatus,
    PageReason,
    PageStatus,
    StepTarget,
)
from oncall.paging.services import page_acknowledge, page_start
from oncall.paging.sweeper import page_advance, sweep
from oncall.tasks import sweep_pages_task
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def start(group, agents, **kwargs):
    incident = IncidentFactory(support_group=group, tier=group.tier, **kwargs)
    page = page_start(incident, reason=PageReason.MANUAL, actor=agents[0], message="Disk full")
    assert page is not None
    return incident, page


def rows(page, **filters):
    return PageNotification.objects.filter(page=page, **filters)


def page_events(incident, what):
    return TimelineEvent.objects.filter(
        ticket_id=incident.pk, kind=EventKind.PAGE, changes__what=what
    )


def manager_mails(key_part):
    return OutboxMessage.objects.filter(task_name="core.send_email", dedupe_key__contains=key_part)


def test_page_start_queues_the_first_notification_at_once(group, agents, policy, reachable):
    incident, page = start(group, agents)
    first = rows(page).get()
    assert first.status == PageNotificationStatus.QUEUED and first.queued_at is not None
    message = OutboxMessage.objects.get(pk=first.outbox_message_id)
    assert message.task_name == "oncall.page_email"
    assert message.dedupe_key == f"page-notification:{first.pk}"
    email = message.payload["email"]
    assert email["to"] == [first.contact_method.address]
    assert incident.number in email["subject"] and "Disk full" in email["body"]
    assert "/oncall/pages/" in email["body"]
    recorded = TicketEmail.objects.get(outbox_message_id=message.pk)
    assert recorded.purpose == "page" and recorded.message_id == email["message_id"]


def test_next_step_after_the_wait_exactly_once(group, agents, policy, reachable):
    _, page = start(group, agents)
    assert sweep(now=page.next_at - timedelta(seconds=1)).processed == 0
    result = sweep(now=page.next_at + timedelta(seconds=1))
    assert result.moved == 1
    page.refresh_from_db()
    assert (page.tier_index, page.round, page.step_index) == (0, 0, 1)
    assert page.notified_key == "0.0.1"
    second = rows(page, step_key="0.0.1")
    assert second.count() == len(agents)
    assert set(second.values_list("status", flat=True)) == {PageNotificationStatus.QUEUED}
    # Again, at the same instant: nothing more.
    assert sweep(now=page.step_started_at + timedelta(seconds=1)).processed == 0
    assert rows(page).count() == 1 + len(agents)


def test_a_stale_copy_moves_nothing(group, agents, policy, reachable):
    _, page = start(group, agents)
    stale = Page.objects.get(pk=page.pk)
    now = page.next_at + timedelta(seconds=1)
    assert page_advance(Page.objects.get(pk=page.pk), now) is True
    assert page_advance(stale, now) is False
    assert rows(page).count() == 1 + len(agents)
    page.refresh_from_db()
    assert page.version == stale.version + 1


def test_repeat_then_hand_over_to_l2_then_exhausted(
    group, agents, policy, reachable, l2_group, agent_l2, manager
):
    l2_group.manager = manager
    l2_group.save()
    l2_policy = EscalationPolicy.objects.create(support_group=l2_group, name="L2 paging")
    EscalationStep.objects.create(
        policy=l2_policy, position=1, target=StepTarget.PEOPLE, wait_minutes=3
    ).people.add(agent_l2)
    method = ContactMethod.objects.create(
        person=agent_l2, kind="email", label="Work", address=agent_l2.email
    )
    NotificationRule.objects.create(contact_method=method)
    incident, page = start(group, agents)
    assert [tier["tier"] for tier in page.policy_snapshot] == [Tier.L1, Tier.L2]
    positions = []
    for _ in range(5):
        page.refresh_from_db()
        sweep(now=page.next_at + timedelta(seconds=1))
        page.refresh_from_db()
        positions.append((page.tier_index, page.round, page.step_index, page.status))
    assert positions == [
        (0, 0, 1, PageStatus.TRIGGERED),
        (0, 1, 0, PageStatus.TRIGGERED),  # repeat=1: the policy once more
        (0, 1, 1, PageStatus.TRIGGERED),
        (1, 0, 0, PageStatus.TRIGGERED),  # handed over to L2
        (1, 0, 0, PageStatus.EXHAUSTED),
    ]
    incident.refresh_from_db()
    assert incident.tier == Tier.L2 and incident.support_group == l2_group
    moved = TimelineEvent.objects.filter(ticket_id=incident.pk, kind=EventKind.ESCALATED)
    assert moved.count() == 1
    assert "Nobody at L1 acknowledged the page within 30 min" in moved.get().message
    assert page_events(incident, "escalated").count() == 1
    assert page_events(incident, "exhausted").count() == 1
    assert rows(page, person=agent_l2).count() == 1
    exhausted = manager_mails(f":page:{page.pk}:exhausted")
    assert exhausted.count() == 1 and exhausted.get().payload["to"] == [manager.email]


def test_a_refused_escalation_does_not_stop_paging_the_next_tier(
    group, agents, policy, reachable, l2_group, agent_l2
):
    l2_policy = EscalationPolicy.objects.create(support_group=l2_group, name="L2 paging")
    EscalationStep.objects.create(
        policy=l2_policy, position=1, target=StepTarget.GROUP, wait_minutes=3
    )
    method = ContactMethod.objects.create(
        person=agent_l2, kind="email", label="Work", address=agent_l2.email
    )
    NotificationRule.objects.create(contact_method=method)
    policy.repeat = 0
    policy.save()
    incident, page = start(group, agents)
    l2_group.tier = Tier.L3  # nobody left at L2 for the kernel to move the ticket to
    l2_group.save()
    for _ in range(2):
        page.refresh_from_db()
        sweep(now=page.next_at + timedelta(seconds=1))
    page.refresh_from_db()
    assert page.tier_index == 1 and page.status == PageStatus.TRIGGERED
    incident.refresh_from_db()
    assert incident.tier == Tier.L1
    assert "stayed where it was" in page_events(incident, "escalated").get().message
    assert rows(page, person=agent_l2).count() == 1


def test_a_person_without_a_working_method_is_skipped_and_the_manager_told_once(
    group, agents, policy, reachable, manager
):
    ContactMethod.objects.filter(person=agents[2]).update(is_active=False)
    _, page = start(group, agents)
    sweep(now=page.next_at + timedelta(seconds=1))
    skipped = rows(page, person=agents[2], step_key="0.0.1").get()
    assert skipped.status == PageNotificationStatus.SKIPPED and skipped.contact_method is None
    told = manager_mails(f":page:{page.pk}:unreachable:{agents[2].pk}")
    assert told.count() == 1 and told.get().payload["to"] == [manager.email]
    page.refresh_from_db()
    sweep(now=page.next_at + timedelta(seconds=1))  # round 2, step 1 (the schedule)
    page.refresh_from_db()
    sweep(now=page.next_at + timedelta(seconds=1))  # round 2, step 2: skipped again
    assert told.count() == 1


def test_a_step_that_can_notify_nobody_moves_on_at_once(group, agents, policy, reachable, caplog):
    ContactMethod.objects.update(failing_since="2026-01-01T00:00:00Z")
    caplog.set_level(logging.WARNING, logger="oncall")
    incident, page = start(group, agents)
    page.refresh_from_db()
    assert page.next_at == page.step_started_at  # not the step's 5-minute wait
    sweep(now=page.next_at + timedelta(seconds=1))
    page.refresh_from_db()
    # Every step and round reached nobody: the page went through them all and ended.
    assert page.status == PageStatus.EXHAUSTED
    assert "could notify nobody" in caplog.text
    assert not rows(page).exclude(status=PageNotificationStatus.SKIPPED).exists()
    assert page_events(incident, "exhausted").count() == 1


def test_a_schedule_deleted_under_a_running_page(group, agents, schedule, reachable, caplog):
    made = EscalationPolicy.objects.create(support_group=group, name="L1")
    EscalationStep.objects.create(policy=made, position=1, target=StepTarget.GROUP)
    EscalationStep.objects.create(
        policy=made, position=2, target=StepTarget.SCHEDULE, schedule=schedule, wait_minutes=7
    )
    EscalationStep.objects.create(policy=made, position=3, target=StepTarget.GROUP)
    _, page = start(group, agents)
    EscalationStep.objects.filter(schedule=schedule).delete()
    schedule.delete()
    caplog.set_level(logging.WARNING, logger="oncall")
    sweep(now=page.next_at + timedelta(seconds=1))
    page.refresh_from_db()
    assert page.step_index == 2 and page.status == PageStatus.TRIGGERED
    assert "could notify nobody" in caplog.text
    assert rows(page, step_key="0.0.2").count() == len(agents)


def test_a_delayed_rule_is_queued_when_due(group, agents, policy, reachable):
    NotificationRule.objects.create(contact_method=reachable[0], delay_minutes=2)
    NotificationRule.objects.create(contact_method=reachable[1], delay_minutes=2)
    NotificationRule.objects.create(contact_method=reachable[2], delay_minutes=2)
    _, page = start(group, agents)
    later = rows(page, delay_minutes=2).get()
    assert later.status == PageNotificationStatus.SCHEDULED
    assert sweep(now=later.due_at - timedelta(seconds=1)).queued == 0
    assert sweep(now=later.due_at).queued == 1
    later.refresh_from_db()
    assert later.status == PageNotificationStatus.QUEUED
    assert sweep(now=later.due_at).queued == 0


def test_acknowledged_pages_are_not_swept(group, agents, policy, reachable):
    NotificationRule.objects.create(contact_method=reachable[0], delay_minutes=2)
    NotificationRule.objects.create(contact_method=reachable[1], delay_minutes=2)
    NotificationRule.objects.create(contact_method=reachable[2], delay_minutes=2)
    _, page = start(group, agents)
    page_acknowledge(page, actor=rows(page).first().person)
    assert sweep(now=page.next_at + timedelta(hours=1)).processed == 0
    assert rows(page, delay_minutes=2).get().status == PageNotificationStatus.CANCELLED


def test_a_page_whose_ticket_closed_ends_as_resolved(group, agents, policy, reachable):
    incident, page = start(group, agents)
    type(incident).objects.filter(pk=incident.pk).update(status=IncidentStatus.RESOLVED)
    sweep(now=page.next_at + timedelta(seconds=1))
    page.refresh_from_db()
    assert page.status == PageStatus.RESOLVED
    assert rows(page).count() == 1
    assert page_events(incident, "resolved").count() == 1


def test_sweep_task_requeues_itself_while_more_is_due(
    group, agents, policy, reachable, settings, monkeypatch
):
    settings.PAGING_SWEEP_BATCH_SIZE = 1
    settings.PAGING_SWEEP_TIME_BUDGET_SECONDS = 0
    for _ in range(3):
        _, page = start(group, agents)
    Page.objects.update(next_at=page.created_at - timedelta(minutes=1))
    requeued = []
    monkeypatch.setattr(sweep_pages_task, "apply_async", lambda *a, **k: requeued.append(1))
    assert sweep_pages_task.run() == 1
    assert requeued == [1]


def test_delayed_messages_of_a_closed_ticket_are_cancelled(group, agents, policy, reachable):
    NotificationRule.objects.create(contact_method=reachable[0], delay_minutes=2)
    NotificationRule.objects.create(contact_method=reachable[1], delay_minutes=2)
    NotificationRule.objects.create(contact_method=reachable[2], delay_minutes=2)
    incident, page = start(group, agents)
    type(incident).objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
    later = rows(page, delay_minutes=2).get()
    assert sweep(now=later.due_at).queued == 0
    later.refresh_from_db()
    assert later.status == PageNotificationStatus.CANCELLED
