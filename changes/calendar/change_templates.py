"""Writes of standard-change templates ("monthly OS patch rollout"), shared by the pages. Managers
(and admins) keep them: create, edit, retire and reactivate. A retired template opens no new
change; the changes already opened from it keep their link (templates are never deleted, the
changes' PROTECT says so too).

A template is saved whole, validated first (a ValidationFailed names every problem and nothing
is stored; PermissionDenied for anyone but a manager)."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from changes.calendar.freeze import MAX_NAME, require_calendar_manager
from changes.choices import ChangeImpact, Risk
from changes.models import ChangeTemplate
from core.exceptions import ValidationFailed
from core.models import Service, User
from core.single_line import CONTROL_CHARACTERS

PLANS = {
    "implementation_plan": "Write the implementation plan.",
    "test_plan": "Write the test plan.",
    "backout_plan": "Write the back-out plan.",
}


def _name(value: Any, template: ChangeTemplate | None, errors: dict[str, str]) -> str:
    name = str(value or "").strip()
    if not name:
        errors["name"] = "Give the template a name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Keep the name within {MAX_NAME} characters."
    elif CONTROL_CHARACTERS.search(name):
        errors["name"] = "The name is one line."
    else:
        taken = ChangeTemplate.objects.filter(name__iexact=name)
        if template is not None:
            taken = taken.exclude(pk=template.pk)
        if taken.exists():
            errors["name"] = f"A template named “{name}” exists already."
    return name


def change_template_validate(
    data: dict[str, Any], *, template: ChangeTemplate | None = None
) -> dict[str, Any]:
    """Clean values of a whole template, or ValidationFailed naming every problem."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {"name": _name(data.get("name"), template, errors)}
    clean["description"] = str(data.get("description") or "").strip()
    service = data.get("service")
    if service is not None and not (isinstance(service, Service) and service.is_active):
        errors["service"] = "Choose an active service, or none."
    clean["service"] = service
    if data.get("risk") not in Risk.values:
        errors["risk"] = "Choose the risk: low, medium or high."
    clean["risk"] = data.get("risk")
    if data.get("impact") not in ChangeImpact.values:
        errors["impact"] = "Choose the impact: none, degraded or outage."
    clean["impact"] = data.get("impact")
    for field, message in PLANS.items():
        clean[field] = str(data.get(field) or "").strip()
        if not clean[field]:
            errors[field] = message
    if not isinstance(data.get("is_patch", False), bool):
        errors["is_patch"] = "Say whether it is a patch rollout (true or false)."
    clean["is_patch"] = bool(data.get("is_patch", False))
    if errors:
        raise ValidationFailed(errors)
    return clean


def change_template_save(
    *, template: ChangeTemplate | None, data: dict[str, Any], actor: User | None
) -> ChangeTemplate:
    """Create (`template` None) or replace a template with `data` (name, description, service,
    risk, impact, the three plans, is_patch). A template's changes keep what they were opened
    with: editing it changes only the changes opened from it afterwards."""
    require_calendar_manager(actor)
    clean = change_template_validate(data, template=template)
    if template is None:
        template = ChangeTemplate(created_by=actor, created_at=timezone.now())
    for name, value in clean.items():
        setattr(template, name, value)
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:  # the same name saved by someone else a moment ago
        raise ValidationFailed(
            {"name": f"A template named “{clean['name']}” exists already."}
        ) from exc
    return template


def change_template_set_active(
    *, template: ChangeTemplate, active: bool, actor: User | None
) -> ChangeTemplate:
    """Retire (`active` False) or reactivate a template; doing it twice changes nothing."""
    require_calendar_manager(actor)
    ChangeTemplate.objects.filter(pk=template.pk).update(is_active=active)
    template.is_active = active
    return template
