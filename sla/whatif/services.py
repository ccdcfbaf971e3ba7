"""Writes of what-if scenarios: create, edit, run, cancel. Each checks everything first and
raises ValidationFailed (field -> message) or DomainError with nothing stored. A run is queued
through the outbox in the same transaction (sla.whatif.tasks), never published on the request
path."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError, ValidationFailed
from core.models import Service, SupportGroup, User
from core.outbox import outbox_enqueue
from core.single_line import has_control_characters
from core.tickets.kinds import kind_named, kinds
from sla.models import Calendar, SlaPolicy
from sla.models_whatif import ACTIVE_RUN_STATUSES, WhatIfScenario, WhatIfStatus
from sla.replay.inputs import policy_book
from sla.snapshot import calendar_snapshot
from sla.whatif.draft import (
    DraftContext,
    draft_book,
    draft_json,
    parse_draft,
    reachable_errors,
)

START_TASK = "sla_whatif.start"
MAX_PERIOD = timedelta(days=3 * 366)


def sla_kind_names() -> list[str]:
    """The kinds a scenario can replay: every registered kind with SLA clocks."""
    return [kind.name for kind in kinds() if kind.has_sla]


def calendar_parts() -> dict[int, dict[str, Any]]:
    """Every SLA calendar as the part of a snapshot it would be (three queries)."""
    calendars = Calendar.objects.prefetch_related("hours", "holidays")
    return {calendar.pk: calendar_snapshot(calendar) for calendar in calendars}


def draft_context() -> DraftContext:
    policies = SlaPolicy.objects.filter(is_active=True).values_list(
        "ticket_kind", "priority", "service_id"
    )
    return DraftContext(
        kinds=frozenset(sla_kind_names()),
        services=frozenset(Service.objects.values_list("pk", flat=True)),
        calendars=calendar_parts(),
        policies=frozenset(policies),
    )


@dataclass(frozen=True)
class ScenarioInput:
    """What a manager gives for a scenario (ids for the related rows)."""

    name: str
    since: datetime
    until: datetime
    kinds: list[str]
    draft: Any
    support_group: int | None = None
    service: int | None = None
    priority: int | None = None


def _checked(data: ScenarioInput) -> dict[str, Any]:
    """The scenario's fields from `data`, or ValidationFailed naming each bad one."""
    errors: dict[str, str] = {}
    name = (data.name or "").strip()
    if not name or len(name) > 120 or has_control_characters(name):
        errors["name"] = "Give a name of 1 to 120 characters on one line."
    if data.since.tzinfo is None or data.until.tzinfo is None:
        errors["since"] = "The period needs time zone-aware instants."
    elif data.until <= data.since:
        errors["until"] = "The end of the period must be after its start."
    elif data.until - data.since > MAX_PERIOD:
        errors["until"] = "The period can span at most three years."
    allowed = sla_kind_names()
    chosen = list(dict.fromkeys(data.kinds or []))
    if not chosen or any(k not in allowed for k in chosen):
        errors["kinds"] = f"Choose one or more of: {', '.join(allowed)}."
    if (
        data.support_group is not None
        and not SupportGroup.objects.filter(pk=data.support_group).exists()
    ):
        errors["support_group"] = "No support group has this id."
    if data.service is not None and not Service.objects.filter(pk=data.service).exists():
        errors["service"] = "No service has this id."
    if data.priority is not None and not (
        isinstance(data.priority, int) and 1 <= data.priority <= 5
    ):
        errors["priority"] = "Priority must be from 1 to 5."
    context = draft_context()
    overrides, draft_errors = parse_draft(data.draft, context)
    if not draft_errors:
        for kind_name in sorted({o.kind for o in overrides}):
            book = draft_book(
                policy_book(kind_named(kind_name)), kind_name, overrides, context.calendars
            )
            draft_errors.update(reachable_errors(book, kind_name, overrides))
    for path, message in draft_errors.items():
        errors[path if path.startswith("draft") else f"draft.{path}"] = message
    if errors:
        raise ValidationFailed(errors)
    return {
        "name": name,
        "since": data.since,
        "until": data.until,
        "kinds": [k for k in allowed if k in chosen],
        "support_group_id": data.support_group,
        "service_id": data.service,
        "priority": data.priority,
        "draft": draft_json(overrides),
    }


def scenario_create(*, actor: User, data: ScenarioInput) -> WhatIfScenario:
    """A new scenario (not run yet)."""
    fields = _checked(data)
    now = timezone.now()
    return WhatIfScenario.objects.create(created_by=actor, created_at=now, updated_at=now, **fields)


def scenario_update(*, scenario: WhatIfScenario, data: ScenarioInput) -> WhatIfScenario:
    """Change a scenario's period, filters or draft. Refused while it runs; its results stay
    until the next run replaces them."""
    fields = _checked(data)
    with transaction.atomic():
        locked = WhatIfScenario.objects.select_for_update().get(pk=scenario.pk)
        if locked.status in ACTIVE_RUN_STATUSES:
            raise DomainError("This scenario is running: cancel the run or wait for it to end.")
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*fields, "updated_at"])
    return locked


def scenario_run(*, scenario: WhatIfScenario) -> WhatIfScenario:
    """Queue a (new) run: a fresh token, so anything left of an earlier run does nothing, and
    an outbox row that starts the job after commit. Refused while a run is queued or running."""
    with transaction.atomic():
        locked = WhatIfScenario.objects.select_for_update().get(pk=scenario.pk)
        if locked.status in ACTIVE_RUN_STATUSES:
            raise DomainError("This scenario is already running.")
        now = timezone.now()
        locked.status = WhatIfStatus.QUEUED
        locked.run_token = uuid.uuid4()
        locked.queued_at = now
        locked.started_at = locked.finished_at = None
        locked.done = locked.total = 0
        locked.error = ""
        locked.save(
            update_fields=[
                "status",
                "run_token",
                "queued_at",
                "started_at",
                "finished_at",
                "done",
                "total",
                "error",
            ]
        )
        outbox_enqueue(
            task_name=START_TASK,
            payload={"scenario": locked.pk, "token": str(locked.run_token)},
            dedupe_key=f"sla-whatif:{locked.run_token}",
            key_is_new=True,
        )
    return locked


def scenario_cancel(*, scenario: WhatIfScenario) -> WhatIfScenario:
    """Stop a queued or running run; the job notices before its next page. Refused when none
    is active."""
    cancelled = WhatIfScenario.objects.filter(
        pk=scenario.pk, status__in=ACTIVE_RUN_STATUSES
    ).update(status=WhatIfStatus.CANCELLED, finished_at=timezone.now())
    if not cancelled:
        raise DomainError("This scenario has no run to cancel.")
    return WhatIfScenario.objects.get(pk=scenario.pk)


def scenario_delete(*, scenario: WhatIfScenario) -> None:
    """Delete a scenario and its results; refused while it runs."""
    deleted, _ = (
        WhatIfScenario.objects.filter(pk=scenario.pk)
        .exclude(status__in=ACTIVE_RUN_STATUSES)
        .delete()
    )
    if not deleted:
        raise DomainError("This scenario is running: cancel the run first.")
