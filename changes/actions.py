"""The change action table (core.tickets.actions): what agents can do to a change, on the change
page and the API (registered in ChangesConfig.ready).

Every lifecycle transition has a row except `approve` and `reject`, which only the advisory
group's decisions run (`decide`). Besides them: the shared assignment and claiming, the details
edit, and the links to the problems it fixes and the incidents it caused.
"""

from typing import Any

from changes import services
from changes.api.serializers import (
    ChangeCancelInputSerializer,
    ChangeCloseInputSerializer,
    ChangeCloseReviewInputSerializer,
    ChangeCompleteInputSerializer,
    ChangeDecideInputSerializer,
    ChangeIncidentNumberInputSerializer,
    ChangeOutcomeInputSerializer,
    ChangeProblemNumberInputSerializer,
    ChangeScheduleInputSerializer,
)
from changes.forms import (
    CancelForm,
    ChangeEditForm,
    CloseForm,
    CloseReviewForm,
    CompleteForm,
    DecideForm,
    LinkIncidentForm,
    LinkProblemForm,
    OutcomeForm,
    ReviseForm,
    ScheduleForm,
    close_initial,
)
from changes.models import Change
from changes.services.approvals import DecisionOutcome
from changes.services.closed_loop import ChangeClosure, ProblemOutcome
from changes.services.links import linked_ticket_for_user
from core import ticket_actions as common
from core.api.action_inputs import EmptyInputSerializer, ReasonInputSerializer
from core.models import User
from core.tickets.actions import Action
from core.web.forms import ConfirmForm

SYSTEM_ONLY = ("approve", "reject")


def outcomes_message(outcomes: list[ProblemOutcome]) -> str:
    """What closing the loop did, for the person who closed the change: the problems resolved
    (and their incidents), then each one that was not and why."""
    parts = []
    for outcome in outcomes:
        if not outcome.resolved:
            parts.append(f"{outcome.number} was not resolved: {outcome.reason}")
            continue
        done = [i.number for i in outcome.incidents if i.resolved]
        line = f"{outcome.number} resolved with this change"
        line += f", and its incidents {', '.join(done)}." if done else "."
        parts.append(line)
        parts += [
            f"{i.number} was not resolved: {i.reason}" for i in outcome.incidents if not i.resolved
        ]
    return " ".join(parts)


def _closed(before: Change, closure: ChangeClosure) -> str:
    return f"{before.number} closed. {outcomes_message(closure.outcomes)}".strip()


def _decided(before: Change, outcome: DecisionOutcome) -> str:
    change = outcome.change
    if change.status != before.status:
        return f"{before.number} is {change.get_status_display().lower()}."
    if outcome.approval.decision == "approved" and change.approved_at and not before.approved_at:
        return f"{before.number} is approved after the fact."
    waiting = change.approvals_required - change.approvals.filter(decision="approved").count()
    return f"Your approval is recorded; {before.number} waits for {waiting} more."


def _edit_initial(change: Change) -> dict[str, Any]:
    return ChangeEditForm.initial_for(change)


def _schedule_initial(change: Change) -> dict[str, Any]:
    return {"planned_start": change.planned_start, "planned_end": change.planned_end}


def _link_problem(change: Change, *, actor: User, source: str, problem: str) -> Any:
    found = linked_ticket_for_user(actor, "problem", problem)
    return services.change_link_problem(change, problem=found, actor=actor, source=source)


def _unlink_problem(change: Change, *, actor: User, source: str, problem: str) -> None:
    found = linked_ticket_for_user(actor, "problem", problem)
    services.change_unlink_problem(change, problem=found, actor=actor, source=source)


def _link_incident(change: Change, *, actor: User, source: str, incident: str) -> Any:
    found = linked_ticket_for_user(actor, "incident", incident)
    return services.change_link_incident(change, incident=found, actor=actor, source=source)


def _unlink_incident(change: Change, *, actor: User, source: str, incident: str) -> None:
    found = linked_ticket_for_user(actor, "incident", incident)
    services.change_unlink_incident(change, incident=found, actor=actor, source=source)


def _link_row(name: str, service: Any, done: str, summary: str) -> Action:
    problem = name.endswith("problem")
    return Action(
        name,
        service,
        done,
        form=LinkProblemForm if problem else LinkIncidentForm,
        serializer=ChangeProblemNumberInputSerializer
        if problem
        else ChangeIncidentNumberInputSerializer,
        summary=f"{summary} (an event on both timelines)",
        transition=False,
        versioned=False,
        api_path=name.replace("_", "-"),
    )


def _row(name: str, service: Any, done: Any, summary: str, **options: Any) -> Action:
    options.setdefault("form", ConfirmForm)
    options.setdefault("serializer", EmptyInputSerializer)
    return Action(name, service, done, summary=summary, api_path=name.replace("_", "-"), **options)


CHANGE_ACTIONS: tuple[Action, ...] = (
    _row(
        "assess",
        services.change_assess,
        "{number}: assessment started.",
        "draft → assessing (normal and emergency; an unassigned change is assigned to you)",
    ),
    _row(
        "submit",
        services.change_submit,
        "{number} is submitted for approval.",
        "assessing → awaiting approval (normal: risk, impact, the three plans and an advisory "
        "group recorded)",
    ),
    _row(
        "revise",
        services.change_revise,
        "{number} is back in assessment.",
        "rejected → assessing, saying what is revised",
        form=ReviseForm,
        serializer=ReasonInputSerializer,
    ),
    _row(
        "schedule",
        services.change_schedule,
        "{number} is scheduled.",
        "approved → scheduled in its window, with its plans",
        form=ScheduleForm,
        serializer=ChangeScheduleInputSerializer,
        initial=_schedule_initial,
    ),
    _row(
        "schedule_standard",
        services.change_schedule,
        "{number} is scheduled.",
        "draft → scheduled (standard changes are pre-approved), in its window",
        form=ScheduleForm,
        serializer=ChangeScheduleInputSerializer,
        initial=_schedule_initial,
    ),
    _row("start", services.change_start, "{number} is implementing.", "scheduled → implementing"),
    _row(
        "start_emergency",
        services.change_start_emergency,
        "{number} is implementing now.",
        "draft / assessing → implementing (emergency; approved after the fact)",
    ),
    _row(
        "complete",
        services.change_complete,
        "{number} is implemented.",
        "implementing → implemented",
        form=CompleteForm,
        serializer=ChangeCompleteInputSerializer,
    ),
    _row(
        "fail",
        services.change_fail,
        "{number} failed; it needs a review.",
        "implementing → failed, saying what happened",
        form=OutcomeForm,
        serializer=ChangeOutcomeInputSerializer,
    ),
    _row(
        "back_out",
        services.change_back_out,
        "{number} is backed out; it needs a review.",
        "implementing / implemented → backed out, saying what happened",
        form=OutcomeForm,
        serializer=ChangeOutcomeInputSerializer,
    ),
    _row(
        "review",
        services.change_review,
        "{number} is in review.",
        "implemented / failed / backed out → in review",
    ),
    _row(
        "close",
        services.change_close,
        _closed,
        "implemented → closed; `resolve_problems` resolves the open problems it fixes",
        form=CloseForm,
        serializer=ChangeCloseInputSerializer,
        initial=close_initial,
    ),
    _row(
        "close_review",
        services.change_close_review,
        _closed,
        "in review → closed with the review's findings (`resolve_problems` as for close)",
        form=CloseReviewForm,
        serializer=ChangeCloseReviewInputSerializer,
        initial=close_initial,
    ),
    _row(
        "cancel",
        services.change_cancel,
        "{number} cancelled.",
        "draft … scheduled → cancelled (final), with a reason",
        form=CancelForm,
        serializer=ChangeCancelInputSerializer,
    ),
    common.assign(),
    common.claim(),
    Action(
        "decide",
        services.change_decide,
        _decided,
        form=DecideForm,
        serializer=ChangeDecideInputSerializer,
        summary=(
            "the advisory group's decision (its active members and managers; one per person): "
            "enough approvals approve the change, a rejection rejects it with the comment; an "
            "emergency change is approved after the fact"
        ),
        transition=False,
        versioned=False,
    ),
    Action(
        "edit",
        services.change_update_details,
        "{number} saved.",
        form=ChangeEditForm,
        transition=False,
        initial=_edit_initial,
    ),
    _link_row(
        "link_problem",
        _link_problem,
        "{number} fixes the problem now.",
        "link a problem this change fixes, by its number",
    ),
    _link_row(
        "unlink_problem",
        _unlink_problem,
        "{number} no longer fixes the problem.",
        "remove a (mistaken) link to a problem",
    ),
    _link_row(
        "link_incident",
        _link_incident,
        "The incident is marked as caused by {number}.",
        "mark an incident as caused by this change, by its number (an incident has one cause)",
    ),
    _link_row(
        "unlink_incident",
        _unlink_incident,
        "The incident is no longer marked as caused by {number}.",
        "remove a (mistaken) cause",
    ),
)
