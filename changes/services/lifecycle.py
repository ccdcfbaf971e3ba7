"""One service per lifecycle action of a change (changes.transitions), each through the kernel's
executor: lock, check the table and its guards, save the changed fields with `version`, append
the event, move the SLA clocks. `approve` and `reject` are run by the advisory group's decisions
(changes.services.approvals); closing may resolve the problems the change fixes
(changes.services.closed_loop).
"""

from datetime import datetime
from typing import Any

from django.db import transaction

from changes.choices import ChangeType
from changes.models import Change, ChangeApproval
from changes.services.approvals import approvals_required_for
from changes.services.creation import _check_window, clean_text
from core.choices import Source
from core.exceptions import ValidationFailed
from core.models import User
from core.tickets.events import details_edited_event
from core.tickets.executor import ticket_apply, ticket_lock, ticket_save, transition_run
from core.tickets.work import ticket_cancel


def _run(
    change: Change,
    action: str,
    *,
    actor: User,
    source: str,
    expected_version: int | None,
    values: dict[str, Any] | None = None,
    message: str = "",
) -> Change:
    return transition_run(
        change,
        action=action,
        actor=actor,
        source=source,
        expected_version=expected_version,
        values=values,
        message=message,
        is_public=False,
    )


def change_assess(
    change: Change, *, actor: User, source: str = Source.WEB, expected_version: int | None = None
) -> Change:
    """draft -> assessing (normal and emergency changes); an unassigned change becomes yours."""
    values = {"assignee": actor} if change.assignee_id is None else {}
    return _run(
        change,
        "assess",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values=values,
    )


def change_submit(
    change: Change, *, actor: User, source: str = Source.WEB, expected_version: int | None = None
) -> Change:
    """assessing -> awaiting approval (normal changes), with risk, impact and the three plans
    recorded and an advisory group to decide; how many approvals it needs is fixed now."""
    if change.approval_group_id is None:
        raise ValidationFailed(
            {"approval_group": "Choose the change advisory group that approves it."}
        )
    return _run(
        change,
        "submit",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={"approvals_required": approvals_required_for(change)},
    )


def change_revise(
    change: Change,
    *,
    actor: User,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Change:
    """rejected -> assessing: the change is reworked after its rejection. The earlier
    decisions are cleared (the timeline keeps them), so the group decides afresh when it is
    submitted again."""
    with transaction.atomic():
        revised = _run(
            change,
            "revise",
            actor=actor,
            source=source,
            expected_version=expected_version,
            values={"rejection_reason": "", "rejected_at": None},
            message=clean_text(reason, "reason"),
        )
        ChangeApproval.objects.filter(change=revised).delete()
    return revised


def change_schedule(
    change: Change,
    *,
    actor: User,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Change:
    """approved -> scheduled (normal) or draft -> scheduled (standard, pre-approved), in its
    window (given here, or already set) with its plans recorded. A window given here is saved
    with the transition, or not at all."""
    action = "schedule_standard" if change.change_type == ChangeType.STANDARD else "schedule"
    _check_window(planned_start, planned_end)
    with transaction.atomic():
        locked = ticket_lock(change, expected_version)
        if planned_start is not None:
            # The table's guard reads the window on the row, so it is set first.
            window = {"planned_start": planned_start, "planned_end": planned_end}
            changed = ticket_apply(locked, window)
            if changed:
                ticket_save(locked, set(changed))
                details_edited_event(locked, actor=actor, source=source, fields=changed)
        return _run(locked, action, actor=actor, source=source, expected_version=None)


def change_start(
    change: Change, *, actor: User, source: str = Source.WEB, expected_version: int | None = None
) -> Change:
    """scheduled -> implementing."""
    return _run(change, "start", actor=actor, source=source, expected_version=expected_version)


def change_start_emergency(
    change: Change, *, actor: User, source: str = Source.WEB, expected_version: int | None = None
) -> Change:
    """draft / assessing -> implementing (emergency changes: approved after the fact, within
    CHANGE_EMERGENCY_APPROVAL_HOURS)."""
    return _run(
        change, "start_emergency", actor=actor, source=source, expected_version=expected_version
    )


def change_complete(
    change: Change,
    *,
    actor: User,
    outcome_notes: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Change:
    """implementing -> implemented."""
    notes = clean_text(outcome_notes, "outcome_notes")
    return _run(
        change,
        "complete",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={"outcome_notes": notes} if notes else {},
        message=notes,
    )


def change_fail(
    change: Change,
    *,
    actor: User,
    outcome_notes: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Change:
    """implementing -> failed, saying what happened (it then needs a review)."""
    notes = clean_text(outcome_notes, "outcome_notes")
    return _run(
        change,
        "fail",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={"outcome_notes": notes},
        message=notes,
    )


def change_back_out(
    change: Change,
    *,
    actor: User,
    outcome_notes: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Change:
    """implementing / implemented -> backed out, saying what happened (it then needs a
    review)."""
    notes = clean_text(outcome_notes, "outcome_notes")
    return _run(
        change,
        "back_out",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={"outcome_notes": notes},
        message=notes,
    )


def change_review(
    change: Change, *, actor: User, source: str = Source.WEB, expected_version: int | None = None
) -> Change:
    """implemented / failed / backed out -> in review."""
    return _run(change, "review", actor=actor, source=source, expected_version=expected_version)


def change_cancel(
    change: Change,
    *,
    actor: User,
    cancel_reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Change:
    """-> cancelled (final) before it starts, with a reason; its clocks are cancelled."""
    reason = clean_text(cancel_reason, "cancel_reason", limit=5_000)
    return ticket_cancel(
        change,
        actor=actor,
        cancel_reason=reason,
        note=reason,
        source=source,
        expected_version=expected_version,
    )
