"""Writes of escalation policies, shared by the pages and the API.

A policy is saved whole: its fields and its ordered list of steps, validated first (a
ValidationFailed names every problem and nothing is stored; PermissionDenied when the actor is
neither an admin nor the manager of the group), then written in one transaction, the steps
replaced as a whole.

A page can never run forever: a policy repeats at most MAX_REPEAT times, has at most MAX_STEPS
steps of at most MAX_WAIT_MINUTES each, and then hands over to the next tier or ends. What
"loops back on itself" means here, and is refused: two steps in a row that page the very same
target (the same schedule, the same people, the group twice), including the last step followed
by the first when the policy repeats. Such a list only pages the same people again without
telling anyone new; one step with a longer wait, or `repeat`, says that plainly.

Deleting a policy is allowed while pages of it are under way: a page carries its own snapshot
(oncall.paging.snapshot) and keeps escalating as it started.
"""

from typing import Any, TypeGuard

from django.core.exceptions import PermissionDenied
from django.db import transaction

from core.exceptions import ValidationFailed
from core.models import Service, SupportGroup, User
from core.roles import is_agent
from oncall.access import can_manage_policies
from oncall.models import EscalationPolicy, EscalationStep, Schedule, StepTarget

MAX_REPEAT = 9
MAX_STEPS = 20
MAX_STEP_PEOPLE = 20
MAX_WAIT_MINUTES = 24 * 60
PRIORITIES = (1, 2, 3, 4, 5)

StepValues = dict[str, Any]


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _priorities(value: Any) -> tuple[list[int], str | None]:
    if not isinstance(value, list | tuple) or not all(_is_int(p) for p in value):
        return [], "Priorities are a list of numbers from 1 (P1) to 5 (P5)."
    if any(p not in PRIORITIES for p in value):
        return [], "Priorities are numbers from 1 (P1) to 5 (P5)."
    if len(set(value)) != len(value):
        return [], "Name each priority once."
    return sorted(value), None


def _step_values(
    number: int, raw: Any, group: SupportGroup | None, errors: dict[str, str]
) -> StepValues | None:
    """One step's clean values, or None with its problem recorded under steps.<number>."""
    where = f"steps.{number}"
    if not isinstance(raw, dict):
        errors[where] = f"Step {number}: give target, wait_minutes and schedule or people."
        return None
    target = raw.get("target")
    if target not in StepTarget.values:
        errors[where] = f"Step {number}: the target is one of {', '.join(StepTarget.values)}."
        return None
    wait = raw.get("wait_minutes")
    if not _is_int(wait) or not 1 <= wait <= MAX_WAIT_MINUTES:
        errors[where] = f"Step {number}: wait from 1 to {MAX_WAIT_MINUTES} minutes."
        return None
    values: StepValues = {"target": target, "wait_minutes": wait, "schedule": None, "people": []}
    if target == StepTarget.SCHEDULE:
        schedule = raw.get("schedule")
        if _is_int(schedule):
            schedule = Schedule.objects.filter(pk=schedule).first()
        if not isinstance(schedule, Schedule):
            errors[where] = f"Step {number}: choose the schedule whose on-call it pages."
            return None
        if group is not None and schedule.support_group_id != group.pk:
            errors[where] = f"Step {number}: “{schedule.name}” is not a schedule of {group.name}."
            return None
        values["schedule"] = schedule
    elif target == StepTarget.PEOPLE:
        people = raw.get("people") or []
        if not isinstance(people, list | tuple):
            errors[where] = f"Step {number}: people are a list."
            return None
        ids = [p.pk if isinstance(p, User) else p for p in people]
        if not all(_is_int(pk) for pk in ids) or not ids:
            errors[where] = f"Step {number}: name at least one person to page."
            return None
        if len(set(ids)) != len(ids) or len(ids) > MAX_STEP_PEOPLE:
            errors[where] = f"Step {number}: each person once, at most {MAX_STEP_PEOPLE}."
            return None
        found = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
        strangers = [str(pk) for pk in ids if pk not in found or not is_agent(found[pk])]
        if strangers:
            errors[where] = f"Step {number}: not active agents: {', '.join(strangers)}."
            return None
        values["people"] = [found[pk] for pk in ids]
    return values


def _same_target(a: StepValues, b: StepValues) -> bool:
    if a["target"] != b["target"]:
        return False
    if a["target"] == StepTarget.SCHEDULE:
        return bool(a["schedule"].pk == b["schedule"].pk)
    if a["target"] == StepTarget.PEOPLE:
        return {p.pk for p in a["people"]} == {p.pk for p in b["people"]}
    return True


def _steps(
    raw: Any, group: SupportGroup | None, repeat: int, errors: dict[str, str]
) -> list[StepValues]:
    if not isinstance(raw, list | tuple) or not raw:
        errors["steps"] = "A policy needs at least one step."
        return []
    if len(raw) > MAX_STEPS:
        errors["steps"] = f"At most {MAX_STEPS} steps."
        return []
    steps = [_step_values(n, item, group, errors) for n, item in enumerate(raw, start=1)]
    clean = [s for s in steps if s is not None]
    if len(clean) != len(steps):
        return []
    for number in range(1, len(clean)):
        if _same_target(clean[number - 1], clean[number]):
            errors["steps"] = (
                f"Steps {number} and {number + 1} page the same target one after the other; "
                "use one step with a longer wait instead."
            )
            return []
    if repeat and len(clean) > 1 and _same_target(clean[-1], clean[0]):
        errors["steps"] = (
            "The last step pages the same target as the first, which follows it when the "
            "policy repeats; put another step between them or drop one."
        )
        return []
    return clean


def _group_errors(group: Any, errors: dict[str, str]) -> None:
    if not isinstance(group, SupportGroup):
        errors["support_group"] = "Choose the support group the policy pages for."
    elif not group.is_active:
        errors["support_group"] = f"{group.name} is not active."


def policy_save(
    *, policy: EscalationPolicy | None, data: dict[str, Any], actor: User
) -> EscalationPolicy:
    """Create a policy (policy=None) or change it. `data` may hold support_group, service
    (None: the group's general policy), name, repeat, page_priorities, page_on_breach,
    is_active and steps (a list of {target, schedule, people, wait_minutes}; replaces every
    step); what it leaves out keeps its value (a new policy needs group, name and steps)."""

    def current(field: str, default: Any) -> Any:
        return data.get(field, getattr(policy, field) if policy is not None else default)

    errors: dict[str, str] = {}
    group = current("support_group", None)
    _group_errors(group, errors)
    service = current("service", None)
    if service is not None and not isinstance(service, Service):
        errors["service"] = "Choose a service, or none for every ticket of the group."
    name = str(current("name", "") or "").strip()
    if not name:
        errors["name"] = "Give the policy a name."
    elif len(name) > 100:
        errors["name"] = "At most 100 characters."
    repeat = current("repeat", 0)
    if not _is_int(repeat) or not 0 <= repeat <= MAX_REPEAT:
        errors["repeat"] = f"Repeat from 0 to {MAX_REPEAT} times."
        repeat = 0
    priorities, problem = _priorities(current("page_priorities", []))
    if problem:
        errors["page_priorities"] = problem
    steps: list[StepValues] | None = None
    if "steps" in data or policy is None:
        known_group = group if "support_group" not in errors else None
        steps = _steps(data.get("steps"), known_group, repeat, errors)
    elif "support_group" in data and policy is not None and group != policy.support_group:
        moved = [s for s in policy.steps.all() if s.target == StepTarget.SCHEDULE]
        if moved:
            errors["steps"] = "Its steps page schedules of another group; give new steps."
    if isinstance(group, SupportGroup) and "support_group" not in errors:
        clash = EscalationPolicy.objects.filter(
            support_group=group, service=service if isinstance(service, Service) else None
        )
        if policy is not None:
            clash = clash.exclude(pk=policy.pk)
        if clash.exists():
            what = f"for {service.name}" if isinstance(service, Service) else "for all its tickets"
            errors["service"] = f"{group.name} already has a policy {what}; change that one."
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(group, SupportGroup)
    for checked in {group, *([policy.support_group] if policy is not None else [])}:
        if not can_manage_policies(actor, checked):
            raise PermissionDenied(
                f"Only admins and the manager of {checked.name} can change its policies."
            )
    target = policy or EscalationPolicy()
    target.support_group = group
    target.service = service
    target.name = name
    target.repeat = repeat
    target.page_priorities = priorities
    target.page_on_breach = bool(current("page_on_breach", False))
    target.is_active = bool(current("is_active", True))
    with transaction.atomic():
        target.save()
        if steps is not None:
            _steps_replace(target, steps)
    return target


def _steps_replace(policy: EscalationPolicy, steps: list[StepValues]) -> None:
    policy.steps.all().delete()
    for position, values in enumerate(steps, start=1):
        step = EscalationStep.objects.create(
            policy=policy,
            position=position,
            target=values["target"],
            schedule=values["schedule"],
            wait_minutes=values["wait_minutes"],
        )
        if values["people"]:
            step.people.set(values["people"])


def policy_delete(*, policy: EscalationPolicy, actor: User) -> None:
    """Delete a policy with its steps. Pages under way keep their snapshot and go on."""
    if not can_manage_policies(actor, policy.support_group):
        raise PermissionDenied("Only admins and the group's manager can delete its policies.")
    policy.delete()
