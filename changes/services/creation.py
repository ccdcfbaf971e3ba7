"""Raising changes and editing what they are about.

A normal or emergency change is raised in draft by an agent (`change_create`); a standard change
only from an active, pre-approved template, whose plans, risk, impact and service it copies
(`change_create_from_template`). Its details may be edited until it starts implementing: freely
while in draft or assessment, and only its window once it is submitted, approved or scheduled
(the advisory group approved the rest).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from changes.choices import ChangeImpact, ChangeStatus, ChangeType, Risk
from changes.models import Change, ChangeTemplate
from changes.permissions import require_change_worker
from core.choices import Priority, Source
from core.exceptions import TransitionError, ValidationFailed
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.roles import is_agent
from core.tickets.events import details_edited_event
from core.tickets.executor import ticket_apply, ticket_lock, ticket_save
from core.tickets.opening import ticket_open

MAX_TEXT = 50_000
PLAN_FIELDS = ("implementation_plan", "test_plan", "backout_plan")
# Before it is submitted everything may change; once the advisory group has it, only the window.
EDITABLE = frozenset({ChangeStatus.DRAFT, ChangeStatus.ASSESSING})
WINDOW_ONLY = frozenset(
    {ChangeStatus.AWAITING_APPROVAL, ChangeStatus.APPROVED, ChangeStatus.SCHEDULED}
)
WINDOW_FIELDS = frozenset({"planned_start", "planned_end"})


def clean_text(value: str | None, field: str, *, limit: int = MAX_TEXT) -> str:
    # Browsers send a textarea's line breaks as CRLF: stored and posted text compare equal.
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise ValidationFailed({field: f"Keep this under {limit:,} characters."})
    return text


def _clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed({"title": "Give the change a short title."})
    if len(title) > 200:
        raise ValidationFailed({"title": "Keep the title under 200 characters."})
    return title


def _check_choice(value: str, choices: Any, field: str) -> str:
    if value and value not in choices.values:
        raise ValidationFailed({field: f"'{value}' is not a valid choice."})
    return value


def _check_window(start: datetime | None, end: datetime | None) -> None:
    if (start is None) != (end is None):
        raise ValidationFailed({"planned_end": "Give both the start and the end of the window."})
    if start is not None and end is not None and end <= start:
        raise ValidationFailed({"planned_end": "The change window must end after it starts."})


def _check_scope(
    service: Service | None,
    configuration_item: ConfigurationItem | None,
    services: Iterable[Service],
    configuration_items: Iterable[ConfigurationItem],
) -> tuple[list[Service], list[ConfigurationItem]]:
    """Every service and CI the change touches, the main ones included."""
    if configuration_item is not None and (
        service is None or configuration_item.service_id != service.pk
    ):
        raise ValidationFailed(
            {"configuration_item": "The configuration item belongs to another service."}
        )
    touched = {s.pk: s for s in services}
    if service is not None:
        touched.setdefault(service.pk, service)
    items = {ci.pk: ci for ci in configuration_items}
    if configuration_item is not None:
        items.setdefault(configuration_item.pk, configuration_item)
    strays = sorted(ci.name for ci in items.values() if ci.service_id not in touched)
    if strays:
        raise ValidationFailed(
            {"configuration_items": f"Name the services of {', '.join(strays)} too."}
        )
    return list(touched.values()), list(items.values())


def _check_people(assignee: User | None, approval_group: SupportGroup | None) -> None:
    if assignee is not None and not (assignee.is_active and is_agent(assignee)):
        raise ValidationFailed({"assignee": f"{assignee} is not an active agent."})
    if approval_group is not None and not approval_group.is_active:
        raise ValidationFailed({"approval_group": f"{approval_group.name} is not active."})


def change_create(
    *,
    actor: User,
    title: str,
    change_type: str = ChangeType.NORMAL,
    description: str = "",
    risk: str = "",
    impact: str = "",
    implementation_plan: str = "",
    test_plan: str = "",
    backout_plan: str = "",
    service: Service | None = None,
    configuration_item: ConfigurationItem | None = None,
    services: Iterable[Service] = (),
    configuration_items: Iterable[ConfigurationItem] = (),
    approval_group: SupportGroup | None = None,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    assignee: User | None = None,
    priority: int = Priority.P3,
    source: str = Source.WEB,
) -> Change:
    """Raise a normal or emergency change in draft, numbered CHG-nnnnnn, by `actor` (an agent).
    A standard change comes only from a template (change_create_from_template)."""
    require_change_worker(actor)
    if change_type not in (ChangeType.NORMAL, ChangeType.EMERGENCY):
        raise ValidationFailed(
            {
                "change_type": "Raise a normal or emergency change; a standard one comes from a "
                "template."
            }
        )
    return _open(
        actor=actor,
        source=source,
        fields={
            "title": _clean_title(title),
            "change_type": change_type,
            "description": clean_text(description, "description"),
            "risk": _check_choice(risk, Risk, "risk"),
            "impact": _check_choice(impact, ChangeImpact, "impact"),
            "implementation_plan": clean_text(implementation_plan, "implementation_plan"),
            "test_plan": clean_text(test_plan, "test_plan"),
            "backout_plan": clean_text(backout_plan, "backout_plan"),
            "approval_group": approval_group,
            "planned_start": planned_start,
            "planned_end": planned_end,
            "assignee": assignee,
            "priority": priority,
        },
        service=service,
        configuration_item=configuration_item,
        services=services,
        configuration_items=configuration_items,
    )


def change_create_from_template(
    template: ChangeTemplate,
    *,
    actor: User,
    title: str = "",
    description: str = "",
    configuration_item: ConfigurationItem | None = None,
    services: Iterable[Service] = (),
    configuration_items: Iterable[ConfigurationItem] = (),
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    assignee: User | None = None,
    source: str = Source.WEB,
) -> Change:
    """Raise a standard change from an active template: its plans, risk, impact and service are
    the template's (pre-approved); the title defaults to the template's name."""
    require_change_worker(actor)
    if not template.is_active:
        raise ValidationFailed({"template": f"The template {template.name} is retired."})
    return _open(
        actor=actor,
        source=source,
        fields={
            "title": _clean_title(title or template.name),
            "change_type": ChangeType.STANDARD,
            "template": template,
            "description": clean_text(description or template.description, "description"),
            "risk": template.risk,
            "impact": template.impact,
            **{name: clean_text(getattr(template, name), name) for name in PLAN_FIELDS},
            "planned_start": planned_start,
            "planned_end": planned_end,
            "assignee": assignee,
            "priority": Priority.P4,
        },
        service=template.service,
        configuration_item=configuration_item,
        services=services,
        configuration_items=configuration_items,
    )


def _open(
    *,
    actor: User,
    source: str,
    fields: dict[str, Any],
    service: Service | None,
    configuration_item: ConfigurationItem | None,
    services: Iterable[Service],
    configuration_items: Iterable[ConfigurationItem],
) -> Change:
    if fields["priority"] not in Priority.values:
        raise ValidationFailed({"priority": f"'{fields['priority']}' is not a valid priority."})
    _check_window(fields["planned_start"], fields["planned_end"])
    _check_people(fields["assignee"], fields.get("approval_group"))
    touched, items = _check_scope(service, configuration_item, services, configuration_items)
    group = service.owner_group if service is not None else None
    with transaction.atomic():
        change = ticket_open(
            Change,
            fields={
                **fields,
                "requester": actor,
                "support_group": group,
                "tier": group.tier if group is not None else 1,
                "service": service,
                "configuration_item": configuration_item,
                "source": source,
            },
            actor=actor,
            source=source,
            event_fields={"change_type": fields["change_type"]},
            is_public=False,
        )
        change.services.set(touched)
        change.configuration_items.set(items)
    return change


def change_update_details(
    change: Change,
    *,
    actor: User,
    title: str,
    description: str,
    risk: str,
    impact: str,
    implementation_plan: str,
    test_plan: str,
    backout_plan: str,
    planned_start: datetime | None,
    planned_end: datetime | None,
    service: Service | None,
    configuration_item: ConfigurationItem | None,
    services: Iterable[Service],
    configuration_items: Iterable[ConfigurationItem],
    approval_group: SupportGroup | None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Change:
    """Edit what the change is about, its plans and its window before it starts implementing.
    Once submitted, approved or scheduled only the window may move (a scheduled change keeps
    one); anything else is refused naming the fields, and nothing is saved."""
    require_change_worker(actor)
    _check_window(planned_start, planned_end)
    _check_people(None, approval_group)
    touched, items = _check_scope(service, configuration_item, services, configuration_items)
    values: dict[str, Any] = {
        "title": _clean_title(title),
        "description": clean_text(description, "description"),
        "risk": _check_choice(risk, Risk, "risk"),
        "impact": _check_choice(impact, ChangeImpact, "impact"),
        **{
            name: clean_text(value, name)
            for name, value in zip(
                PLAN_FIELDS, (implementation_plan, test_plan, backout_plan), strict=True
            )
        },
        "planned_start": planned_start,
        "planned_end": planned_end,
        "service": service,
        "configuration_item": configuration_item,
        "approval_group": approval_group,
    }
    with transaction.atomic():
        locked = ticket_lock(change, expected_version)
        # The main service and CI count as touched, as _check_scope counts them.
        before_scope = (
            {*locked.services.values_list("pk", flat=True), locked.service_id} - {None},
            {*locked.configuration_items.values_list("pk", flat=True), locked.configuration_item_id}
            - {None},
        )
        after_scope = ({s.pk for s in touched}, {ci.pk for ci in items})
        changed = ticket_apply(locked, values)
        if before_scope[0] != after_scope[0]:
            changed["services"] = sorted(s.name for s in touched)
        if before_scope[1] != after_scope[1]:
            changed["configuration_items"] = sorted(ci.name for ci in items)
        _refuse_frozen(locked, set(changed))
        if not changed:
            return locked
        locked.services.set(touched)
        locked.configuration_items.set(items)
        ticket_save(locked, set(changed) - {"services", "configuration_items"})
        details_edited_event(
            locked,
            actor=actor,
            source=source,
            fields={
                name: ("(edited)" if name in ("description", *PLAN_FIELDS) else value)
                for name, value in changed.items()
            },
        )
    return locked


def _refuse_frozen(change: Change, changed: set[str]) -> None:
    status = change.status
    if status in EDITABLE:
        return
    if status not in WINDOW_ONLY:
        raise TransitionError(
            f"{change.number} is {change.get_status_display().lower()}; its details cannot "
            "change anymore."
        )
    frozen = sorted(changed - WINDOW_FIELDS)
    if frozen:
        raise ValidationFailed(
            dict.fromkeys(
                frozen,
                f"{change.number} is {change.get_status_display().lower()}: only its window "
                "may move now.",
            )
        )
    if change.planned_start is None and status == ChangeStatus.SCHEDULED:
        raise ValidationFailed({"planned_start": "A scheduled change keeps its window."})
