"""The advisory group's decisions, emergency approval after the fact and its reminder, links to
problems and incidents, and the closed loop from a change to its problems and their incidents."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from changes import services
from changes.choices import ChangeStatus as S
from changes.choices import ChangeType as T
from changes.models import ChangeApproval, ChangeIncident, ChangeProblem
from changes.services.emergency import emergency_approvals_remind
from changes.tasks import emergency_approvals_remind_task
from core.choices import Role
from core.exceptions import TransitionError, ValidationFailed
from core.models import OutboxMessage
from incidents.choices import IncidentStatus
from problems.choices import ProblemStatus
from problems.services import problem_link_incident
from tests.factories import UserFactory
from tests.problems.factories import ProblemFactory

pytestmark = pytest.mark.django_db


# --- decisions ------------------------------------------------------------------------------


def test_only_members_of_the_group_or_managers_decide(agent_l1, cab_member, manager, make_change):
    change = make_change(S.AWAITING_APPROVAL)
    with pytest.raises(TransitionError, match="advisory group"):
        services.change_decide(change, actor=agent_l1, decision="approved")
    assert not ChangeApproval.objects.exists()
    outcome = services.change_decide(change, actor=manager, decision="approved")
    assert outcome.change.status == S.APPROVED
    assert outcome.change.approved_at is not None


def test_an_inactive_group_member_cannot_decide(cab_member, make_change):
    cab_member.is_active = False
    cab_member.save()
    with pytest.raises(TransitionError):
        services.change_decide(
            make_change(S.AWAITING_APPROVAL), actor=cab_member, decision="approved"
        )


def test_two_approvals_when_two_are_required(cab, cab_member, make_change):
    second = UserFactory(username="cab2", role=Role.AGENT)
    cab.members.add(second)
    change = make_change(S.AWAITING_APPROVAL, approvals_required=2)
    first = services.change_decide(change, actor=cab_member, decision="approved")
    assert first.change.status == S.AWAITING_APPROVAL
    with pytest.raises(ValidationFailed, match="already decided"):
        services.change_decide(change, actor=cab_member, decision="approved")
    done = services.change_decide(change, actor=second, decision="approved")
    assert done.change.status == S.APPROVED
    assert ChangeApproval.objects.filter(change=change).count() == 2


def test_a_rejection_needs_a_comment_and_rejects(cab_member, agent_l1, make_change):
    change = make_change(S.AWAITING_APPROVAL)
    with pytest.raises(ValidationFailed) as refused:
        services.change_decide(change, actor=cab_member, decision="rejected")
    assert "comment" in refused.value.errors
    outcome = services.change_decide(
        change, actor=cab_member, decision="rejected", comment="No back-out tested."
    )
    assert outcome.change.status == S.REJECTED
    assert outcome.change.rejection_reason == "No back-out tested."
    # Revised and submitted again, the group decides afresh.
    revised = services.change_revise(outcome.change, actor=agent_l1, reason="Back-out tested.")
    assert revised.status == S.ASSESSING
    assert not ChangeApproval.objects.filter(change=change).exists()
    resubmitted = services.change_submit(revised, actor=agent_l1)
    again = services.change_decide(resubmitted, actor=cab_member, decision="approved")
    assert again.change.status == S.APPROVED


def test_no_decision_on_a_change_not_waiting_for_one(cab_member, make_change):
    with pytest.raises(TransitionError, match="not awaiting approval"):
        services.change_decide(make_change(S.ASSESSING), actor=cab_member, decision="approved")


def test_an_emergency_change_is_approved_after_the_fact(agent_l1, cab_member, make_change):
    change = make_change(S.DRAFT, change_type=T.EMERGENCY)
    with pytest.raises(TransitionError, match="after it has started"):
        services.change_decide(change, actor=cab_member, decision="approved")
    change = services.change_start_emergency(change, actor=agent_l1)
    with pytest.raises(TransitionError, match="back it out"):
        services.change_decide(change, actor=cab_member, decision="rejected", comment="No.")
    change = services.change_complete(change, actor=agent_l1)
    with pytest.raises(TransitionError, match="approved after the fact"):
        services.change_close(change, actor=agent_l1)
    outcome = services.change_decide(change, actor=cab_member, decision="approved")
    assert outcome.change.status == S.IMPLEMENTED
    assert outcome.change.approved_at is not None
    closure = services.change_close(outcome.change, actor=agent_l1)
    assert closure.change.status == S.CLOSED


def test_managers_are_told_once_about_an_overdue_emergency_change(
    agent_l1, manager, make_change, settings
):
    settings.CHANGE_EMERGENCY_APPROVAL_HOURS = 72
    started = timezone.now() - timedelta(hours=80)
    overdue = make_change(S.IMPLEMENTING, change_type=T.EMERGENCY, implementing_at=started)
    make_change(S.IMPLEMENTING, change_type=T.EMERGENCY, implementing_at=timezone.now())
    make_change(
        S.IMPLEMENTED, change_type=T.EMERGENCY, implementing_at=started, approved_at=started
    )
    assert emergency_approvals_remind_task() == 1
    assert emergency_approvals_remind_task() == 0
    (mail,) = OutboxMessage.objects.filter(task_name="core.send_email")
    assert mail.payload["to"] == [manager.email]
    assert overdue.number in mail.payload["subject"]
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        assert emergency_approvals_remind() == 1  # the fresh one, now overdue too
    assert OutboxMessage.objects.filter(task_name="core.send_email").count() == 2


# --- links ----------------------------------------------------------------------------------


def test_link_and_unlink_a_problem_and_an_incident(agent_l1, make_change, make_incident):
    change = make_change(S.ASSESSING)
    problem = ProblemFactory(status=ProblemStatus.INVESTIGATING)
    incident = make_incident()
    services.change_link_problem(change, problem=problem, actor=agent_l1)
    services.change_link_incident(change, incident=incident, actor=agent_l1)
    assert ChangeProblem.objects.filter(change=change, problem=problem).exists()
    assert ChangeIncident.objects.filter(change=change, incident=incident).exists()
    with pytest.raises(ValidationFailed, match="already linked"):
        services.change_link_problem(change, problem=problem, actor=agent_l1)
    other = make_change(S.IMPLEMENTED)
    with pytest.raises(ValidationFailed, match=f"already marked as caused by {change.number}"):
        services.change_link_incident(other, incident=incident, actor=agent_l1)
    services.change_unlink_problem(change, problem=problem, actor=agent_l1)
    services.change_unlink_incident(change, incident=incident, actor=agent_l1)
    assert not ChangeProblem.objects.exists()
    assert not ChangeIncident.objects.exists()
    with pytest.raises(ValidationFailed, match="not linked"):
        services.change_unlink_problem(change, problem=problem, actor=agent_l1)


def test_a_closed_change_or_a_closed_problem_cannot_be_linked(agent_l1, make_change):
    with pytest.raises(TransitionError):
        services.change_link_problem(
            make_change(S.CLOSED), problem=ProblemFactory(), actor=agent_l1
        )
    with pytest.raises(TransitionError, match="closed"):
        services.change_link_problem(
            make_change(), problem=ProblemFactory(status=ProblemStatus.CLOSED), actor=agent_l1
        )
    assert not ChangeProblem.objects.exists()


# --- the closed loop ------------------------------------------------------------------------


def test_closing_an_implemented_change_resolves_its_problems_and_their_incidents(
    agent_l1, make_change, make_incident
):
    change = make_change(S.IMPLEMENTED, implemented_at=timezone.now())
    ready = ProblemFactory(status=ProblemStatus.INVESTIGATING, root_cause="Relay cert expired.")
    unready = ProblemFactory(status=ProblemStatus.INVESTIGATING)
    fixed = make_incident(IncidentStatus.DIAGNOSED)
    stuck = make_incident(IncidentStatus.LOGGED)
    for incident in (fixed, stuck):
        problem_link_incident(ready, incident=incident, actor=agent_l1)
    for problem in (ready, unready):
        services.change_link_problem(change, problem=problem, actor=agent_l1)
    closure = services.change_close(change, actor=agent_l1)
    assert closure.change.status == S.CLOSED
    by_number = {o.number: o for o in closure.outcomes}
    assert by_number[ready.number].resolved
    assert not by_number[unready.number].resolved
    assert "root cause" in by_number[unready.number].reason
    ready.refresh_from_db()
    unready.refresh_from_db()
    assert ready.status == ProblemStatus.RESOLVED
    assert change.number in ready.permanent_fix
    assert unready.status == ProblemStatus.INVESTIGATING
    fixed.refresh_from_db()
    stuck.refresh_from_db()
    assert (fixed.status, stuck.status) == (IncidentStatus.RESOLVED, IncidentStatus.LOGGED)
    incidents = {i.number: i.resolved for i in by_number[ready.number].incidents}
    assert incidents == {fixed.number: True, stuck.number: False}


def test_unticked_or_failed_changes_resolve_nothing(agent_l1, make_change):
    problem = ProblemFactory(status=ProblemStatus.INVESTIGATING, root_cause="Known.")
    change = make_change(S.IMPLEMENTED, implemented_at=timezone.now())
    services.change_link_problem(change, problem=problem, actor=agent_l1)
    assert services.change_close(change, actor=agent_l1, resolve_problems=False).outcomes == []
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.INVESTIGATING

    failed = make_change(S.IN_REVIEW, implementing_at=timezone.now(), failed_at=timezone.now())
    services.change_link_problem(failed, problem=problem, actor=agent_l1)
    with pytest.raises(ValidationFailed, match="Only an implemented change"):
        services.change_close_review(
            failed, actor=agent_l1, review_notes="Disk full.", resolve_problems=True
        )
    failed.refresh_from_db()
    assert failed.status == S.IN_REVIEW
    closure = services.change_close_review(failed, actor=agent_l1, review_notes="Disk full.")
    assert closure.outcomes == []
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.INVESTIGATING
