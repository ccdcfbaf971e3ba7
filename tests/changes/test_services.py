"""Change services: raising (normal, emergency, standard from a template), editing, the
lifecycle through the kernel's executor, and refusals that change nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes import services
from changes.choices import ChangeStatus as S
from changes.choices import ChangeType as T
from changes.choices import Risk
from changes.models import Change
from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import TimelineEvent
from slo.models import AlertEpisode, Objective
from tests.changes.factories import assessed
from tests.factories import ConfigurationItemFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def _events(change: Change) -> list[str]:
    return list(
        TimelineEvent.objects.filter(ticket_id=change.pk, ticket_type__model="change")
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_a_normal_change_is_raised_in_draft_with_its_scope(agent_l1, service, cab):
    other = ServiceFactory(name="Calendar")
    ci = ConfigurationItemFactory(service=other, name="cal-01")
    change = services.change_create(
        actor=agent_l1,
        title="Upgrade the mail relay",
        service=service,
        services=[other],
        configuration_items=[ci],
        approval_group=cab,
    )
    assert change.number.startswith("CHG-")
    assert change.status == S.DRAFT
    assert change.change_type == T.NORMAL
    assert change.requester == agent_l1
    assert {s.name for s in change.services.all()} == {"Email", "Calendar"}
    assert list(change.configuration_items.all()) == [ci]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": " "}, "title"),
        ({"change_type": T.STANDARD}, "change_type"),
        ({"risk": "extreme"}, "risk"),
        ({"planned_start": timezone.now()}, "planned_end"),
        (
            {"planned_start": timezone.now(), "planned_end": timezone.now() - timedelta(hours=1)},
            "planned_end",
        ),
    ],
)
def test_bad_input_raises_nothing(agent_l1, fields, field):
    with pytest.raises(ValidationFailed) as refused:
        services.change_create(actor=agent_l1, **{"title": "Fine", **fields})
    assert field in refused.value.errors
    assert not Change.objects.exists()


def test_a_ci_outside_the_services_touched_is_refused(agent_l1, service):
    stray = ConfigurationItemFactory(name="db-07")
    with pytest.raises(ValidationFailed, match="db-07"):
        services.change_create(
            actor=agent_l1, title="Patch", service=service, configuration_items=[stray]
        )
    assert not Change.objects.exists()


def test_end_users_cannot_raise_changes(end_user):
    with pytest.raises(TransitionError):
        services.change_create(actor=end_user, title="Mine")
    assert not Change.objects.exists()


def test_a_standard_change_copies_its_template(agent_l1, template):
    change = services.change_create_from_template(template, actor=agent_l1)
    assert change.change_type == T.STANDARD
    assert change.title == "Monthly OS patch rollout"
    assert change.template == template
    assert change.service == template.service
    assert (change.implementation_plan, change.test_plan, change.backout_plan) == (
        template.implementation_plan,
        template.test_plan,
        template.backout_plan,
    )
    assert change.risk == template.risk


def test_a_retired_template_opens_nothing(agent_l1, template):
    template.is_active = False
    template.save()
    with pytest.raises(ValidationFailed, match="retired"):
        services.change_create_from_template(template, actor=agent_l1)
    assert not Change.objects.exists()


def test_a_standard_change_is_scheduled_without_approval_and_closes(agent_l1, template):
    window = assessed()
    change = services.change_create_from_template(template, actor=agent_l1)
    change = services.change_schedule(
        change,
        actor=agent_l1,
        planned_start=window["planned_start"],
        planned_end=window["planned_end"],
    )
    assert change.status == S.SCHEDULED
    change = services.change_start(change, actor=agent_l1)
    change = services.change_complete(change, actor=agent_l1, outcome_notes="All patched.")
    closure = services.change_close(change, actor=agent_l1)
    assert closure.change.status == S.CLOSED
    assert closure.change.closed_at is not None
    assert closure.outcomes == []


def test_the_normal_path_through_approval(agent_l1, cab_member, make_change):
    change = make_change(approval_group=make_change().approval_group)
    change = services.change_assess(change, actor=agent_l1)
    assert change.assignee == agent_l1
    change = services.change_submit(change, actor=agent_l1)
    assert change.status == S.AWAITING_APPROVAL
    assert change.approvals_required == 1
    outcome = services.change_decide(change, actor=cab_member, decision="approved")
    assert outcome.change.status == S.APPROVED
    change = services.change_schedule(outcome.change, actor=agent_l1)
    assert change.status == S.SCHEDULED
    change = services.change_start(change, actor=agent_l1)
    change = services.change_fail(change, actor=agent_l1, outcome_notes="Relay refused mail.")
    assert change.status == S.FAILED
    with pytest.raises(TransitionError):
        services.change_close(change, actor=agent_l1, resolve_problems=False)
    change = services.change_review(change, actor=agent_l1)
    with pytest.raises(ValidationFailed) as refused:
        services.change_close_review(change, actor=agent_l1, review_notes="")
    assert "review_notes" in refused.value.errors
    closure = services.change_close_review(change, actor=agent_l1, review_notes="Config drift.")
    assert closure.change.status == S.CLOSED


def test_submitting_needs_the_assessment_plans_and_a_group(agent_l1, make_change):
    change = make_change(S.ASSESSING, test_plan="", risk="", approval_group=None)
    with pytest.raises(ValidationFailed) as refused:
        services.change_submit(change, actor=agent_l1)
    assert "approval_group" in refused.value.errors
    change.approval_group = make_change().approval_group
    change.save()
    with pytest.raises(ValidationFailed) as refused:
        services.change_submit(change, actor=agent_l1)
    assert set(refused.value.errors) == {"risk", "test_plan"}
    change.refresh_from_db()
    assert change.status == S.ASSESSING


def test_approvals_required_is_fixed_when_submitted(agent_l1, make_change, monkeypatch):
    monkeypatch.setattr("changes.services.lifecycle.approvals_required_for", lambda change: 2)
    change = services.change_submit(make_change(S.ASSESSING), actor=agent_l1)
    assert change.approvals_required == 2


def test_a_service_that_spent_its_error_budget_needs_a_second_approval(
    agent_l1, cab_member, manager, make_change, service
):
    now = timezone.now()
    objective = Objective.objects.create(
        service=service,
        kind="availability",
        target=99.9,
        window_days=28,
        created_by=manager,
        created_at=now,
        updated_at=now,
    )
    spent = AlertEpisode.objects.create(objective=objective, rule="exhausted", fired_at=now)
    change = services.change_submit(make_change(S.ASSESSING), actor=agent_l1)
    assert change.approvals_required == 2
    change = services.change_decide(change, actor=cab_member, decision="approved").change
    assert change.status == S.AWAITING_APPROVAL
    change = services.change_decide(change, actor=manager, decision="approved").change
    assert change.status == S.APPROVED
    # Once the budget recovers (the episode cleared), one approval is enough again.
    AlertEpisode.objects.filter(pk=spent.pk).update(cleared_at=now)
    other = services.change_submit(make_change(S.ASSESSING, number="CHG-990001"), actor=agent_l1)
    assert other.approvals_required == 1


def test_an_emergency_change_starts_at_once(agent_l1):
    change = services.change_create(
        actor=agent_l1,
        title="Block the exploited endpoint",
        change_type=T.EMERGENCY,
        implementation_plan="Deny the path at the proxy.",
        backout_plan="Remove the rule.",
    )
    change = services.change_start_emergency(change, actor=agent_l1)
    assert change.status == S.IMPLEMENTING
    assert change.implementing_at is not None


def test_a_stale_version_is_a_conflict(agent_l1, make_change):
    change = make_change()
    with pytest.raises(ConflictError):
        services.change_assess(change, actor=agent_l1, expected_version=change.version + 1)
    change.refresh_from_db()
    assert change.status == S.DRAFT


def _edit(change: Change, actor, **fields):
    values = {
        "title": change.title,
        "description": change.description,
        "risk": change.risk,
        "impact": change.impact,
        "implementation_plan": change.implementation_plan,
        "test_plan": change.test_plan,
        "backout_plan": change.backout_plan,
        "planned_start": change.planned_start,
        "planned_end": change.planned_end,
        "service": change.service,
        "configuration_item": change.configuration_item,
        "services": list(change.services.all()),
        "configuration_items": list(change.configuration_items.all()),
        "approval_group": change.approval_group,
    }
    return services.change_update_details(change, actor=actor, **{**values, **fields})


def test_details_are_edited_freely_in_assessment(agent_l1, make_change):
    change = _edit(make_change(S.ASSESSING), agent_l1, risk=Risk.HIGH, title="Bigger")
    assert (change.risk, change.title) == (Risk.HIGH, "Bigger")
    assert _events(change)[-1] == "fields_changed"


def test_once_scheduled_only_the_window_moves(agent_l1, make_change):
    change = make_change(S.SCHEDULED)
    later = change.planned_start + timedelta(days=1)
    moved = _edit(change, agent_l1, planned_start=later, planned_end=later + timedelta(hours=1))
    assert moved.planned_start == later
    with pytest.raises(ValidationFailed) as refused:
        _edit(moved, agent_l1, risk=Risk.HIGH)
    assert set(refused.value.errors) == {"risk"}
    moved.refresh_from_db()
    assert moved.risk == Risk.MEDIUM


def test_nothing_is_edited_once_implementing(agent_l1, make_change):
    change = make_change(S.IMPLEMENTING)
    with pytest.raises(TransitionError, match="cannot change anymore"):
        _edit(change, agent_l1, title="Other")


def test_cancel_needs_a_reason_and_is_final(agent_l1, make_change):
    change = make_change(S.APPROVED)
    with pytest.raises(ValidationFailed):
        services.change_cancel(change, actor=agent_l1, cancel_reason=" ")
    change = services.change_cancel(change, actor=agent_l1, cancel_reason="Not needed.")
    assert change.status == S.CANCELLED
    with pytest.raises(TransitionError):
        services.change_assess(change, actor=agent_l1)
