"""Every write to a problem: creation, one service per lifecycle transition (all through
`_transition`: lock, check the table, save the changed fields and bump `version`, append a
timeline event), the analysis fields, links to incidents, and closing the loop (resolving the
open linked incidents with the fix through the closed loop the incident kind declares in the
kind registry, each with its own event and requester email).

Only agents write problems. Each service opens its own transaction (nested calls join the
caller's).
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from core.choices import Category, Priority, Source
from core.exceptions import DomainError, TransitionError, ValidationFailed
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.roles import is_agent
from core.tickets.events import details_edited_event, linked_resolved_event
from core.tickets.executor import (
    refuse_final,
    ticket_apply,
    ticket_lock,
    ticket_save,
    transition_run,
)
from core.tickets.opening import ticket_open
from core.tickets.work import ticket_cancel, ticket_comment
from problems import transitions
from problems.choices import ProblemStatus
from problems.kind import PROBLEM
from problems.linked_kind import closed_loop
from problems.models import Problem
from problems.permissions import require_problem_worker
from problems.selectors import open_linked_incidents

MAX_TEXT = 50_000


# --- helpers --------------------------------------------------------------------------------


def _clean_text(value: str | None, field: str, *, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationFailed({field: f"Keep this under {limit:,} characters."})
    return text


def _clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed({"title": "Give the problem a short title."})
    if len(title) > 200:
        raise ValidationFailed({"title": "Keep the title under 200 characters."})
    return title


def _check_classification(
    *,
    service: Service | None,
    configuration_item: ConfigurationItem | None,
    category: str,
    priority: int,
) -> None:
    if category and category not in Category.values:
        raise ValidationFailed({"category": f"'{category}' is not a valid category."})
    if priority not in Priority.values:
        raise ValidationFailed({"priority": f"'{priority}' is not a valid priority."})
    if configuration_item is not None and (
        service is None or configuration_item.service_id != service.pk
    ):
        raise ValidationFailed(
            {"configuration_item": "The configuration item belongs to another service."}
        )


# --- creation and edits ---------------------------------------------------------------------


def problem_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    symptoms: str = "",
    service: Service | None = None,
    configuration_item: ConfigurationItem | None = None,
    category: str = "",
    priority: int = Priority.P3,
    support_group: SupportGroup | None = None,
    assignee: User | None = None,
    source: str = Source.WEB,
) -> Problem:
    """Open a new problem in `new`, numbered PRB-nnnnnn, raised by `actor` (an agent)."""
    require_problem_worker(actor)
    title = _clean_title(title)
    _check_classification(
        service=service, configuration_item=configuration_item, category=category, priority=priority
    )
    if assignee is not None and not (assignee.is_active and is_agent(assignee)):
        raise ValidationFailed({"assignee": f"{assignee} is not an active agent."})
    group = support_group or (service.owner_group if service is not None else None)
    with transaction.atomic():
        return ticket_open(
            Problem,
            fields={
                "title": title,
                "description": _clean_text(description, "description"),
                "symptoms": _clean_text(symptoms, "symptoms"),
                "requester": actor,
                "assignee": assignee,
                "support_group": group,
                "tier": group.tier if group is not None else 1,
                "priority": priority,
                "service": service,
                "configuration_item": configuration_item,
                "category": category,
                "source": source,
            },
            actor=actor,
            source=source,
            event_fields={"priority": priority},
            is_public=False,
        )


def problem_update_details(
    problem: Problem,
    *,
    actor: User,
    title: str,
    description: str,
    service: Service | None,
    configuration_item: ConfigurationItem | None,
    category: str,
    priority: int,
    support_group: SupportGroup | None,
    assignee: User | None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Problem:
    """Edit what the problem is about and who works on it (not in a final state)."""
    require_problem_worker(actor)
    title = _clean_title(title)
    _check_classification(
        service=service, configuration_item=configuration_item, category=category, priority=priority
    )
    if assignee is not None and not (assignee.is_active and is_agent(assignee)):
        raise ValidationFailed({"assignee": f"{assignee} is not an active agent."})
    with transaction.atomic():
        locked = ticket_lock(problem, expected_version)
        refuse_final(locked)
        changed = ticket_apply(
            locked,
            {
                "title": title,
                "description": _clean_text(description, "description"),
                "service": service,
                "configuration_item": configuration_item,
                "category": category,
                "priority": priority,
                "support_group": support_group,
                "assignee": assignee,
            },
        )
        if not changed:
            return locked
        if "support_group" in changed and support_group is not None:
            locked.tier = support_group.tier
        ticket_save(locked, {*changed, "tier"})
        details_edited_event(
            locked,
            actor=actor,
            source=source,
            fields={k: ("(edited)" if k == "description" else v) for k, v in changed.items()},
        )
    return locked


def problem_record_analysis(
    problem: Problem,
    *,
    actor: User,
    symptoms: str,
    root_cause: str,
    workaround: str,
    permanent_fix: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Problem:
    """Record the root-cause analysis. What the current status rests on cannot be emptied: a known
    error keeps its root cause and (published) workaround, a resolved problem its fix."""
    require_problem_worker(actor)
    values = {
        "symptoms": _clean_text(symptoms, "symptoms"),
        "root_cause": _clean_text(root_cause, "root_cause"),
        "workaround": _clean_text(workaround, "workaround"),
        "permanent_fix": _clean_text(permanent_fix, "permanent_fix"),
    }
    with transaction.atomic():
        locked = ticket_lock(problem, expected_version)
        refuse_final(locked)
        changed = ticket_apply(locked, values)
        if not changed:
            return locked
        kept: tuple[str, ...] = ()
        if locked.status == ProblemStatus.KNOWN_ERROR:
            kept = transitions.TRANSITIONS["known_error"].required
        elif locked.status == ProblemStatus.RESOLVED:
            kept = transitions.TRANSITIONS["resolve"].required
        messages = PROBLEM.required_messages
        missing = {name: messages[name] for name in kept if not getattr(locked, name)}
        if missing:
            raise ValidationFailed(missing)
        ticket_save(locked, set(changed))
        details_edited_event(
            locked,
            actor=actor,
            source=source,
            fields=dict.fromkeys(changed, "(edited)"),
            message=(
                "The published workaround was updated."
                if "workaround" in changed and locked.is_known_error
                else ""
            ),
        )
    return locked


def problem_comment(problem: Problem, *, author: User, body: str, source: str = Source.WEB) -> None:
    """An internal note on the problem (problems have no requester-facing view)."""
    ticket_comment(problem, author=author, body=body, is_internal=True, source=source)


# --- lifecycle ------------------------------------------------------------------------------


def problem_investigate(
    problem: Problem,
    *,
    actor: User,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Problem:
    """new -> investigating: someone is looking for the root cause."""
    values: dict[str, Any] = {}
    if problem.assignee_id is None:
        values["assignee"] = actor
    return transition_run(
        problem,
        action="investigate",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values=values,
    )


def problem_record_known_error(
    problem: Problem,
    *,
    actor: User,
    root_cause: str,
    workaround: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Problem:
    """investigating -> known error: root cause and workaround recorded; the workaround is
    published from now on (agents and the requesters of matching incidents see it)."""
    return transition_run(
        problem,
        action="known_error",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={
            "root_cause": _clean_text(root_cause, "root_cause"),
            "workaround": _clean_text(workaround, "workaround"),
        },
        message="Known error: the workaround is published.",
    )


@dataclass(frozen=True)
class IncidentOutcome:
    """What closing the loop did to one linked incident."""

    number: str
    resolved: bool
    reason: str = ""


@dataclass(frozen=True)
class ProblemResolution:
    problem: Problem
    outcomes: list[IncidentOutcome]

    @property
    def resolved(self) -> list[IncidentOutcome]:
        return [o for o in self.outcomes if o.resolved]

    @property
    def refused(self) -> list[IncidentOutcome]:
        return [o for o in self.outcomes if not o.resolved]


def problem_resolve(
    problem: Problem,
    *,
    actor: User,
    permanent_fix: str,
    root_cause: str | None = None,
    resolve_linked: bool = False,
    incident_resolution_code: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ProblemResolution:
    """investigating / known error -> resolved with the permanent fix. With `resolve_linked`, each
    open linked incident is then resolved with the fix (see problem_resolve_linked_incidents)."""
    if resolve_linked:
        incident_resolution_code = _linked_code(incident_resolution_code)
    values = {"permanent_fix": _clean_text(permanent_fix, "permanent_fix")}
    if root_cause is not None:
        values["root_cause"] = _clean_text(root_cause, "root_cause")
    resolved = transition_run(
        problem,
        action="resolve",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values=values,
    )
    outcomes: list[IncidentOutcome] = []
    if resolve_linked:
        outcomes = problem_resolve_linked_incidents(
            resolved, actor=actor, resolution_code=incident_resolution_code, source=source
        )
        resolved.refresh_from_db()
    return ProblemResolution(resolved, outcomes)


def _linked_code(code: str) -> str:
    """A resolution code the incident kind offers for the closed loop (empty: its usual one)."""
    codes = closed_loop().resolution_codes
    if not code:
        return codes[0][0]
    if code not in {value for value, _ in codes}:
        choices = ", ".join(label for _, label in codes)
        raise ValidationFailed({"incident_resolution_code": f"Choose one of: {choices}."})
    return code


def problem_resolve_linked_incidents(
    problem: Problem,
    *,
    actor: User,
    resolution_code: str = "",
    source: str = Source.WEB,
) -> list[IncidentOutcome]:
    """Resolve every open linked incident of a resolved problem with its permanent fix
    (`resolution_code` empty: the incident kind's usual code for it).

    Each incident goes through the incident kind's closed loop (ClosedLoop.resolve_with_fix:
    its own lock, timeline event and requester email, all or nothing), so one that cannot be
    resolved yet (still logged, a major incident not contained...) is reported with the reason
    and the others still go through. An incident on hold (typically "awaiting problem") is
    resumed first. Running it again only touches incidents that are still open.
    """
    require_problem_worker(actor)
    resolution_code = _linked_code(resolution_code)
    if problem.status != ProblemStatus.RESOLVED:
        raise TransitionError(f"{problem.number} is not resolved; resolve it with its fix first.")
    notes = f"Fixed by resolving problem {problem.number}:\n\n{problem.permanent_fix}"
    resolve_with_fix = closed_loop().resolve_with_fix
    outcomes: list[IncidentOutcome] = []
    for incident in open_linked_incidents(problem).select_related("requester"):
        try:
            resolve_with_fix(
                incident, actor=actor, resolution_code=resolution_code, notes=notes, source=source
            )
        except DomainError as exc:
            outcomes.append(IncidentOutcome(incident.number, resolved=False, reason=str(exc)))
        else:
            outcomes.append(IncidentOutcome(incident.number, resolved=True))
    if outcomes:
        with transaction.atomic():
            linked_resolved_event(
                problem,
                actor=actor,
                source=source,
                noun="incidents",
                resolved_with="Resolved with the fix",
                resolved=[o.number for o in outcomes if o.resolved],
                refused=[f"{o.number} ({o.reason})" for o in outcomes if not o.resolved],
            )
    return outcomes


def problem_close(
    problem: Problem,
    *,
    actor: User,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Problem:
    """resolved -> closed (final): the fix is confirmed."""
    return transition_run(
        problem, action="close", actor=actor, source=source, expected_version=expected_version
    )


def problem_reopen(
    problem: Problem,
    *,
    actor: User,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Problem:
    """resolved -> investigating: the fix did not hold (a new pass: resolved_at cleared)."""
    return transition_run(
        problem,
        action="reopen",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={"resolved_at": None},
        message=_clean_text(reason, "reason"),
    )


def problem_cancel(
    problem: Problem,
    *,
    actor: User,
    cancel_reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Problem:
    """-> cancelled (final): not a problem after all, or a duplicate of another."""
    reason = _clean_text(cancel_reason, "cancel_reason")
    return ticket_cancel(
        problem,
        actor=actor,
        cancel_reason=reason,
        note=reason,
        source=source,
        expected_version=expected_version,
    )


# Links live in their own module; re-exported here so callers have one place for writes.
from problems.links import (  # noqa: E402
    problem_link_incident,
    problem_link_incidents,
    problem_unlink_incident,
)

__all__ = ["problem_link_incident", "problem_link_incidents", "problem_unlink_incident"]
