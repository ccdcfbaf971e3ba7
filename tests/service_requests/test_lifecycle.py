"""The request services: creation (number, checklist, event), task gating of `fulfil`, hold,
cancel, assignment, comments, conflicts, and SLA clocks following the lifecycle."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.exceptions import ConflictError, TransitionError
from core.models import OutboxMessage, TimelineEvent
from core.tickets.escalation import tickets_escalate_many
from core.tickets.kinds import kind_named
from service_requests import services
from service_requests.choices import CancelReason, HoldReason, RequestStatus
from service_requests.models import RequestTask, ServiceRequest
from sla.choices import ClockState, Metric
from sla.models import SlaClock

pytestmark = pytest.mark.django_db


def _clocks(request: ServiceRequest) -> dict[str, str]:
    return dict(
        SlaClock.objects.filter(
            ticket_type=ContentType.objects.get_for_model(ServiceRequest), ticket_id=request.pk
        ).values_list("metric", "state")
    )


def test_create_numbers_copies_the_checklist_and_logs(requester, laptop):
    request = services.request_create(
        requester=requester,
        item=laptop,
        answers={"model": "Standard", "needed_by": "2030-01-15", "justification": "x"},
        details="Desk 4",
    )
    assert request.number.startswith("REQ-") and len(request.number) == 10
    assert request.title == "New laptop"
    assert request.description == "Desk 4"
    assert request.support_group == laptop.support_group
    assert list(request.tasks.values_list("title", "is_done")) == [
        ("Order the laptop", False),
        ("Hand it over", False),
    ]
    created = TimelineEvent.objects.filter(ticket_id=request.pk, kind="created").get()
    assert created.actor == requester and created.changes["catalog_item"] == "New laptop"
    second = services.request_create(requester=requester, item=laptop, answers=request.answers)
    assert int(second.number[4:]) == int(request.number[4:]) + 1


@pytest.fixture
def in_fulfilment(requester, agent_l1, mfa):
    request = services.request_create(requester=requester, item=mfa, answers={})
    return services.request_start(request, actor=agent_l1)


def test_start_assigns_the_agent(in_fulfilment, agent_l1):
    assert in_fulfilment.status == RequestStatus.IN_FULFILMENT
    assert in_fulfilment.assignee == agent_l1
    assert in_fulfilment.fulfilment_started_at is not None


def test_fulfil_is_refused_while_a_task_is_open(in_fulfilment, agent_l1):
    with pytest.raises(TransitionError, match="'Verify identity' is still open"):
        services.request_fulfil(in_fulfilment, actor=agent_l1, fulfilment_notes="Done")
    in_fulfilment.refresh_from_db()
    assert in_fulfilment.status == RequestStatus.IN_FULFILMENT
    assert in_fulfilment.fulfilled_at is None


def test_fulfil_after_all_tasks_are_done(in_fulfilment, agent_l1, requester):
    task = in_fulfilment.tasks.get()
    ticked = services.request_task_set_done(task, actor=agent_l1, done=True)
    assert ticked.is_done and ticked.done_by == agent_l1 and ticked.done_at is not None
    fulfilled = services.request_fulfil(
        in_fulfilment, actor=agent_l1, fulfilment_notes="Reset done"
    )
    assert fulfilled.status == RequestStatus.FULFILLED
    mail = OutboxMessage.objects.get(dedupe_key=f"request:{fulfilled.pk}:fulfilled")
    assert mail.payload["to"] == [requester.email] and "Reset done" in mail.payload["body"]
    closed = services.request_close(fulfilled, actor=requester)
    assert closed.status == RequestStatus.CLOSED


def test_unticking_a_task_gates_again(in_fulfilment, agent_l1):
    task = in_fulfilment.tasks.get()
    services.request_task_set_done(task, actor=agent_l1, done=True)
    services.request_task_set_done(task, actor=agent_l1, done=False)
    with pytest.raises(TransitionError, match="still open"):
        services.request_fulfil(in_fulfilment, actor=agent_l1, fulfilment_notes="x")


def test_ticking_twice_records_one_event(in_fulfilment, agent_l1):
    task = in_fulfilment.tasks.get()
    services.request_task_set_done(task, actor=agent_l1, done=True)
    services.request_task_set_done(task, actor=agent_l1, done=True)
    assert (
        TimelineEvent.objects.filter(ticket_id=in_fulfilment.pk, kind="task_updated").count() == 1
    )


def test_requesters_cannot_tick_tasks_and_closed_requests_are_frozen(
    in_fulfilment, agent_l1, requester
):
    task = in_fulfilment.tasks.get()
    with pytest.raises(TransitionError):
        services.request_task_set_done(task, actor=requester, done=True)
    services.request_cancel(in_fulfilment, actor=agent_l1, cancel_reason=CancelReason.DUPLICATE)
    with pytest.raises(TransitionError, match="cancelled"):
        services.request_task_set_done(task, actor=agent_l1, done=True)
    assert not RequestTask.objects.get(pk=task.pk).is_done


def test_hold_and_resume_return_to_the_previous_status(in_fulfilment, agent_l1):
    held = services.request_hold(
        in_fulfilment, actor=agent_l1, on_hold_reason=HoldReason.AWAITING_DELIVERY
    )
    assert held.status == RequestStatus.ON_HOLD and held.status_before_hold == "in_fulfilment"
    resumed = services.request_resume(held, actor=agent_l1)
    assert resumed.status == RequestStatus.IN_FULFILMENT and resumed.on_hold_reason == ""


def test_stale_version_is_a_conflict(in_fulfilment, agent_l1):
    with pytest.raises(ConflictError):
        services.request_hold(
            in_fulfilment,
            actor=agent_l1,
            on_hold_reason=HoldReason.AWAITING_USER,
            expected_version=in_fulfilment.version - 1,
        )


def test_requester_may_withdraw_but_not_work(requester, mfa):
    request = services.request_create(requester=requester, item=mfa, answers={})
    with pytest.raises(TransitionError, match="not allowed"):
        services.request_start(request, actor=requester)
    withdrawn = services.request_cancel(
        request, actor=requester, cancel_reason=CancelReason.WITHDRAWN
    )
    assert withdrawn.status == RequestStatus.CANCELLED
    assert not OutboxMessage.objects.filter(dedupe_key=f"request:{request.pk}:cancelled").exists()


def test_other_people_cannot_comment(requester, other_end_user, mfa):
    request = services.request_create(requester=requester, item=mfa, answers={})
    with pytest.raises(TransitionError):
        services.request_comment(request, author=other_end_user, body="hi", is_internal=False)
    with pytest.raises(TransitionError):
        services.request_comment(request, author=requester, body="hi", is_internal=True)


def test_assign_refuses_non_agents(in_fulfilment, agent_l1, requester, l2_group):
    from core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.request_assign(in_fulfilment, actor=agent_l1, assignee=requester)
    moved = services.request_assign(
        in_fulfilment, actor=agent_l1, assignee=None, support_group=l2_group
    )
    assert moved.assignee is None and moved.support_group == l2_group and moved.tier == 2


# --- SLA ------------------------------------------------------------------------------------


def test_sla_clocks_start_for_requests(requester, mfa, request_policies):
    request = services.request_create(requester=requester, item=mfa, answers={})
    assert _clocks(request) == {Metric.RESPONSE: "running", Metric.RESOLUTION: "running"}
    request.refresh_from_db()
    assert request.sla_due_at == request.created_at + timedelta(hours=4)


def test_sla_pauses_while_awaiting_approval_and_follows_fulfilment(
    requester, manager, agent_l1, laptop, request_policies
):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        request = services.request_create(
            requester=requester,
            item=laptop,
            answers={"model": "Standard", "needed_by": "2030-01-15", "justification": "x"},
        )
        assert set(_clocks(request).values()) == {ClockState.PAUSED}
        clock.shift(timedelta(hours=10))
        request = services.request_approve(request, actor=manager)
        assert set(_clocks(request).values()) == {ClockState.RUNNING}
        request.refresh_from_db()
        # The ten hours waiting for the approver do not count against the desk.
        assert request.sla_due_at == request.created_at + timedelta(hours=14)
        request = services.request_start(request, actor=agent_l1)
        assert _clocks(request) == {Metric.RESPONSE: "met", Metric.RESOLUTION: "running"}
        for task in request.tasks.all():
            services.request_task_set_done(task, actor=agent_l1, done=True)
        request = services.request_fulfil(request, actor=agent_l1, fulfilment_notes="Done")
        assert _clocks(request) == {Metric.RESPONSE: "met", Metric.RESOLUTION: "met"}


def test_rejection_cancels_the_clocks(requester, manager, laptop, request_policies):
    request = services.request_create(
        requester=requester,
        item=laptop,
        answers={"model": "Standard", "needed_by": "2030-01-15", "justification": "x"},
    )
    services.request_reject(request, actor=manager, reason="No")
    assert set(_clocks(request).values()) == {ClockState.CANCELLED}


def test_escalate_many_moves_requests_to_the_next_tier(
    requester, mfa, l2_group, l3_group, request_policies
):
    request = services.request_create(requester=requester, item=mfa, answers={})
    outcomes = tickets_escalate_many(kind_named("request"), [(request.pk, "Response breached.")])
    assert outcomes[0].escalated and (outcomes[0].from_tier, outcomes[0].to_tier) == (1, 2)
    request.refresh_from_db()
    assert request.tier == 2 and request.support_group == l2_group
    assert request.version == 2
    outcomes = tickets_escalate_many(
        kind_named("request"), [(request.pk, "again"), (request.pk, "and again")]
    )
    assert [o.escalated for o in outcomes] == [True, False]
    request.refresh_from_db()
    assert request.tier == 3 and request.support_group == l3_group
    assert TimelineEvent.objects.filter(ticket_id=request.pk, kind="escalated").count() == 2


def test_the_kernel_registry_knows_requests():
    from core.tickets.kinds import kind_for_content_type

    kind = kind_for_content_type(ContentType.objects.get_for_model(ServiceRequest).pk)
    assert kind.model is ServiceRequest and kind.name == "request" and kind.has_sla


def test_fulfilled_requests_nobody_confirms_are_closed_by_the_system(
    in_fulfilment, agent_l1, settings
):
    from core.tasks import autoclose_task as autoclose_fulfilled_task

    services.request_task_set_done(in_fulfilment.tasks.get(), actor=agent_l1, done=True)
    fulfilled = services.request_fulfil(in_fulfilment, actor=agent_l1, fulfilment_notes="Done")
    settings.REQUEST_AUTOCLOSE_DAYS = 10
    with time_machine.travel(timezone.now() + timedelta(days=9)):
        assert autoclose_fulfilled_task.run() == 0
    with time_machine.travel(timezone.now() + timedelta(days=11)):
        assert autoclose_fulfilled_task.run() == 1
        assert autoclose_fulfilled_task.run() == 0  # idempotent
    fulfilled.refresh_from_db()
    assert fulfilled.status == RequestStatus.CLOSED
    event = TimelineEvent.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ServiceRequest), ticket_id=fulfilled.pk
    ).latest("id")
    assert event.to_status == RequestStatus.CLOSED and event.actor is None
