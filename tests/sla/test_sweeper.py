"""The sweeper: each warning, breach and escalation happens exactly once, whatever the timing."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from core.choices import EventKind, Tier
from core.models import OutboxMessage, TimelineEvent
from incidents import services
from incidents.choices import Impact, Urgency
from incidents.models import Incident
from sla.choices import ClockState, Metric, ThresholdAction
from sla.models import SlaClock, SlaThreshold
from sla.services import clocks_for
from sla.sweeper import overdue_unprocessed, sweep
from sla.tasks import audit_task, sweep_task

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def new_p5(end_user):
    with time_machine.travel(T0, tick=False):
        return services.incident_create(
            requester=end_user, title="Share is slow", impact=Impact.LOW, urgency=Urgency.LOW
        )  # P5: response 5h (warn 3h45), resolution 40h


def at(hours):
    return T0 + timedelta(hours=hours)


def events(incident, kind):
    return TimelineEvent.objects.filter(ticket_id=incident.pk, kind=kind)


def emails():
    return OutboxMessage.objects.filter(task_name="core.send_email", dedupe_key__startswith="sla:")


def test_nothing_due_nothing_done(end_user, tiers, incident_policies):
    new_p5(end_user)
    assert sweep(now=at(1)).processed == 0
    assert not emails().exists()


def test_warning_notifies_assignee_and_group_once(end_user, tiers, incident_policies):
    incident = new_p5(end_user)
    assert sweep(now=at(4)).processed == 1
    assert sweep(now=at(4)).processed == 0  # run twice: nothing more
    assert emails().count() == 1
    assert "l1" in emails().get().payload["to"][0] or emails().get().payload["to"]
    assert events(incident, EventKind.SLA).count() == 1
    response = clocks_for(incident).get(metric=Metric.RESPONSE)
    assert response.stage == 1
    assert response.next_deadline_at == at(5)


def test_breach_escalates_l1_to_l2_once_and_notifies_the_new_group_and_manager(
    end_user, tiers, incident_policies, manager
):
    incident = new_p5(end_user)
    sweep(now=at(4))
    sweep(now=at(5) + timedelta(seconds=1))
    sweep(now=at(6))
    incident.refresh_from_db()
    assert incident.tier == Tier.L2
    assert incident.support_group == tiers[Tier.L2]
    assert incident.assignee is None
    escalation = events(incident, EventKind.ESCALATED).get()
    assert escalation.actor is None
    assert "Response target breached" in escalation.message
    assert escalation.changes["from_tier"] == 1 and escalation.changes["to_tier"] == 2
    breach_mail = emails().get(dedupe_key__endswith=":2:email")
    assert manager.email in breach_mail.payload["to"]
    assert tiers[Tier.L2].email in breach_mail.payload["to"]
    response = clocks_for(incident).get(metric=Metric.RESPONSE)
    assert response.breached_at is not None
    assert response.next_deadline_at is None


def test_catching_up_after_an_outage_acts_once_on_the_breach(end_user, tiers, incident_policies):
    incident = new_p5(end_user)
    sweep(now=at(29))  # response warning and breach both passed while nobody swept
    incident.refresh_from_db()
    assert incident.tier == Tier.L2
    assert events(incident, EventKind.ESCALATED).count() == 1
    assert not events(incident, EventKind.SLA).exists()  # no stale warning sent
    assert emails().count() == 1


def test_breach_at_l3_notifies_managers_and_stays(end_user, tiers, incident_policies, manager):
    incident = new_p5(end_user)
    Incident.objects.filter(pk=incident.pk).update(tier=Tier.L3, support_group=tiers[Tier.L3])
    sweep(now=at(6))
    incident.refresh_from_db()
    assert incident.tier == Tier.L3
    assert not events(incident, EventKind.ESCALATED).exists()
    assert "L3" in events(incident, EventKind.SLA).get().message
    mail = emails().get()
    assert manager.email in mail.payload["to"]
    assert "breached at L3" in mail.payload["subject"]


def test_escalate_threshold_action(end_user, tiers, incident_policies):
    SlaThreshold.objects.filter(policy=incident_policies[5]).update(action=ThresholdAction.ESCALATE)
    incident = new_p5(end_user)
    sweep(now=at(4))
    incident.refresh_from_db()
    assert incident.tier == Tier.L2


def test_a_stale_clock_copy_changes_nothing(end_user, tiers, incident_policies):
    """A sweeper holding an old view of a clock (lost race / duplicate message) is a no-op."""
    from sla.sweeper import process_clocks

    incident = new_p5(end_user)
    stale = clocks_for(incident).get(metric=Metric.RESPONSE)
    sweep(now=at(4))
    assert process_clocks([stale], at(4)) == 0  # stage 0 again: the conditional update refuses
    assert emails().count() == 1
    assert events(incident, EventKind.SLA).count() == 1


def test_paused_clocks_are_not_swept(end_user, agent_l1, service, tiers, incident_policies):
    incident = new_p5(end_user)
    with time_machine.travel(at(0.5), tick=False):
        incident = services.incident_accept(incident, actor=agent_l1)
        incident = services.incident_hold(incident, actor=agent_l1, on_hold_reason="awaiting_user")
    assert sweep(now=at(100)).processed == 0


def test_sweep_task_requeues_itself_while_more_is_due(
    end_user, tiers, incident_policies, settings, monkeypatch
):
    settings.SLA_SWEEP_BATCH_SIZE = 2
    settings.SLA_SWEEP_TIME_BUDGET_SECONDS = 0
    for _ in range(5):
        new_p5(end_user)
    requeued = []
    monkeypatch.setattr(sweep_task, "apply_async", lambda *a, **k: requeued.append(1))
    with time_machine.travel(at(4), tick=False):
        assert sweep_task.run() == 2
    assert requeued == [1]


def test_auditor_reports_clocks_the_sweeper_missed(end_user, tiers, incident_policies, caplog):
    new_p5(end_user)
    with time_machine.travel(at(3.75) + timedelta(minutes=3), tick=False):
        assert overdue_unprocessed() == 0  # 3 minutes late: within the 5-minute grace
    with time_machine.travel(at(3.75) + timedelta(minutes=6), tick=False):
        assert audit_task.run() == 1
    assert "sweeper looks stuck" in caplog.text


def test_health_shows_a_stuck_sweeper(client, end_user, tiers, incident_policies, use_broker):
    use_broker("memory://")
    new_p5(end_user)
    with time_machine.travel(at(10), tick=False):
        body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["sla_sweeper"]["overdue_unprocessed_clocks"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweepers_act_once_per_clock(end_user, tiers, incident_policies):
    incidents = [new_p5(end_user) for _ in range(30)]
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            while sweep(now=at(6), batch_size=3).processed:
                pass
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for incident in incidents:
        assert events(incident, EventKind.ESCALATED).count() == 1
    assert emails().count() == 30
    assert (
        SlaClock.objects.filter(
            metric=Metric.RESPONSE, state=ClockState.RUNNING, breached_at__isnull=False
        ).count()
        == 30
    )
