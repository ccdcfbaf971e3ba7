"""The change advisory group's decisions.

A normal change awaiting approval is decided by the active members of its `approval_group` (or
managers): one decision per person; when the approvals reach `approvals_required` the change is
approved, and one rejection rejects it with the comment as the reason. An emergency change is
approved after the fact, once it has started: the decision is recorded and `approved_at` set,
which is what lets it close.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from changes.choices import ChangeStatus, ChangeType, Decision
from changes.events import approval_decided_event
from changes.models import Change, ChangeApproval
from changes.permissions import require_change_worker
from core.choices import Source
from core.exceptions import TransitionError, ValidationFailed
from core.models import User
from core.roles import is_manager
from core.tickets.executor import ticket_lock, ticket_save, transition_run
from slo.selectors import exhausted_service_ids

# Where an emergency change's after-the-fact approval is given: once it has started.
AFTER_THE_FACT = frozenset(
    {
        ChangeStatus.IMPLEMENTING,
        ChangeStatus.IMPLEMENTED,
        ChangeStatus.FAILED,
        ChangeStatus.BACKED_OUT,
        ChangeStatus.IN_REVIEW,
    }
)


# While a service the change touches has spent its error budget, one more approval: the SRE
# rule "stop feature work until it is reliable again", which the board may still overrule.
APPROVALS = 1
APPROVALS_BUDGET_SPENT = 2


def touched_service_ids(change: Change) -> set[int]:
    """The services `change` names: its main one and every other one it touches."""
    ids = set(change.services.values_list("pk", flat=True)) if change.pk else set()
    if change.service_id is not None:
        ids.add(change.service_id)
    return ids


def budget_spent_service_ids(change: Change) -> set[int]:
    """Which services `change` touches have spent the error budget of an objective now."""
    return exhausted_service_ids(touched_service_ids(change))


def approvals_required_for(change: Change) -> int:
    """How many approvals of its advisory group `change` needs (read when it is submitted)."""
    return APPROVALS_BUDGET_SPENT if budget_spent_service_ids(change) else APPROVALS


def can_decide(user: User, change: Change) -> bool:
    """Managers, and the active members of the change's advisory group."""
    if not user.is_active:
        return False
    if is_manager(user):
        return True
    group = change.approval_group
    return group is not None and group.is_active and group.members.filter(pk=user.pk).exists()


@dataclass(frozen=True)
class DecisionOutcome:
    change: Change
    approval: ChangeApproval


def change_decide(
    change: Change,
    *,
    actor: User,
    decision: str,
    comment: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> DecisionOutcome:
    """Record `actor`'s decision on a change awaiting approval (or an emergency change's
    after-the-fact approval) and run `approve` / `reject` when it settles the change. Refused,
    changing nothing, for anyone outside the group, a second decision by the same person, a
    rejection without a comment, or a change that is not waiting for one."""
    require_change_worker(actor)
    if decision not in Decision.values:
        raise ValidationFailed({"decision": f"'{decision}' is not a valid decision."})
    comment = (comment or "").strip()
    if len(comment) > 5_000:
        raise ValidationFailed({"comment": "Keep the comment under 5,000 characters."})
    if decision == Decision.REJECTED and not comment:
        raise ValidationFailed({"comment": "Say why the change is rejected."})
    with transaction.atomic():
        locked = ticket_lock(change, expected_version)
        if not can_decide(actor, locked):
            raise TransitionError(
                "Only managers and members of the change's advisory group decide on it."
            )
        _refuse_not_waiting(locked, decision)
        approval = _record(locked, actor=actor, decision=decision, comment=comment)
        approval_decided_event(
            locked, actor=actor, source=source, decision=decision, comment=comment
        )
        decided = _settle(locked, actor=actor, decision=decision, comment=comment, source=source)
    return DecisionOutcome(decided, approval)


def _refuse_not_waiting(change: Change, decision: str) -> None:
    status = change.get_status_display().lower()
    if change.change_type == ChangeType.EMERGENCY:
        if change.status not in AFTER_THE_FACT or change.approved_at is not None:
            raise TransitionError(
                f"{change.number} is {status}; an emergency change is approved once, after "
                "it has started."
            )
        if decision == Decision.REJECTED:
            raise TransitionError(
                f"{change.number} is already {status}; back it out instead of rejecting it."
            )
        return
    if change.status != ChangeStatus.AWAITING_APPROVAL:
        raise TransitionError(f"{change.number} is {status}; it is not awaiting approval.")


def _record(change: Change, *, actor: User, decision: str, comment: str) -> ChangeApproval:
    try:
        with transaction.atomic():
            return ChangeApproval.objects.create(
                change=change,
                approver=actor,
                decision=decision,
                comment=comment,
                decided_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise ValidationFailed({"decision": f"You already decided on {change.number}."}) from exc


def _settle(change: Change, *, actor: User, decision: str, comment: str, source: str) -> Change:
    if change.change_type == ChangeType.EMERGENCY:
        change.approved_at = timezone.now()
        ticket_save(change, {"approved_at"})
        return change
    if decision == Decision.REJECTED:
        return transition_run(
            change,
            action="reject",
            actor=actor,
            source=source,
            values={"rejection_reason": comment},
            message=comment,
            is_public=False,
        )
    approvals = change.approvals.filter(decision=Decision.APPROVED).count()
    if approvals < change.approvals_required:
        ticket_save(change, set())
        return change
    return transition_run(change, action="approve", actor=actor, source=source, is_public=False)
