"""Writes: objectives are defined, changed and deleted by managers (and admins).

Every service checks the actor (PermissionDenied), then the whole input at once
(ValidationFailed naming every bad field), and only then writes: bad input changes nothing.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from core.choices import Priority
from core.exceptions import ValidationFailed
from core.models import Service, User
from core.roles import is_manager
from slo.choices import ObjectiveKind
from slo.models import MAX_WINDOW_DAYS, Objective

MAX_THRESHOLD_MINUTES = 7 * 24 * 60
FIELDS = ("service", "kind", "target", "window_days", "priorities", "threshold_minutes")


def can_manage_objectives(user: Any) -> bool:
    """Managers and admins define objectives; agents read them."""
    return is_manager(user)


def _require_manager(actor: User) -> None:
    if not can_manage_objectives(actor):
        raise PermissionDenied("Only managers define service level objectives.")


def _target(raw: Any, errors: dict[str, str]) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        errors["target"] = "Give a percentage such as 99.9."
        return None
    if not value.is_finite() or not Decimal(0) < value < Decimal(100):
        errors["target"] = "The target is a percentage strictly between 0 and 100."
        return None
    if value != value.quantize(Decimal("0.001")):
        errors["target"] = "At most three decimals (99.995)."
        return None
    return value


def _whole(raw: Any, field: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    if isinstance(raw, bool):
        raw = None
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        errors[field] = "Give a whole number."
        return None
    if not low <= value <= high:
        errors[field] = f"Between {low} and {high}."
        return None
    return value


def _priorities(raw: Any, errors: dict[str, str]) -> list[int]:
    values = raw if isinstance(raw, list | tuple) else []
    chosen: set[int] = set()
    for value in values:
        try:
            chosen.add(int(value))
        except (TypeError, ValueError):
            errors["priorities"] = f"Choose among {', '.join(map(str, Priority.values))}."
            return []
    if not chosen or not chosen <= set(Priority.values):
        errors["priorities"] = (
            f"Choose one or more priorities among {', '.join(map(str, Priority.values))}."
        )
        return []
    return sorted(chosen)


def objective_clean(data: dict[str, Any]) -> dict[str, Any]:
    """The objective's fields from `data` (all of FIELDS), checked together: a dict ready to
    save, or ValidationFailed listing every problem."""
    errors: dict[str, str] = {}
    service = data.get("service")
    if not isinstance(service, Service):
        errors["service"] = "Choose a service."
    elif not service.is_active:
        errors["service"] = f"{service.name} is not active."
    kind = data.get("kind")
    if kind not in ObjectiveKind.values:
        errors["kind"] = f"Choose one of: {', '.join(ObjectiveKind.values)}."
    cleaned: dict[str, Any] = {
        "service": service,
        "kind": kind,
        "target": _target(data.get("target"), errors),
        "window_days": _whole(data.get("window_days"), "window_days", 1, MAX_WINDOW_DAYS, errors),
        "priorities": [],
        "threshold_minutes": None,
    }
    if kind == ObjectiveKind.RESPONSE:
        cleaned["priorities"] = _priorities(data.get("priorities"), errors)
        cleaned["threshold_minutes"] = _whole(
            data.get("threshold_minutes"), "threshold_minutes", 1, MAX_THRESHOLD_MINUTES, errors
        )
    elif kind == ObjectiveKind.AVAILABILITY:
        if data.get("priorities"):
            errors["priorities"] = "Only response objectives have priorities."
        if data.get("threshold_minutes") not in (None, ""):
            errors["threshold_minutes"] = "Only response objectives have a threshold."
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def objective_create(*, actor: User, data: dict[str, Any]) -> Objective:
    """A new objective from `data` (FIELDS). Managers only."""
    _require_manager(actor)
    cleaned = objective_clean(data)
    now = timezone.now()
    return Objective.objects.create(**cleaned, created_by=actor, created_at=now, updated_at=now)


def objective_update(*, objective: Objective, actor: User, data: dict[str, Any]) -> Objective:
    """Change the fields given in `data`; the others keep their values. Managers only. Open
    alert episodes stay open and are judged against the new objective at the next run."""
    _require_manager(actor)
    merged = {**{name: getattr(objective, name) for name in FIELDS}, **data}
    if merged["kind"] == ObjectiveKind.AVAILABILITY:
        # Turning a response objective into an availability one drops what only it had.
        merged["priorities"] = data.get("priorities", [])
        merged["threshold_minutes"] = data.get("threshold_minutes")
    cleaned = objective_clean(merged)
    with transaction.atomic():
        locked = Objective.objects.select_for_update().get(pk=objective.pk)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        locked.updated_at = timezone.now()
        locked.save()
    return locked


def objective_delete(*, objective: Objective, actor: User) -> None:
    """Delete the objective with its alert history. Managers only."""
    _require_manager(actor)
    objective.delete()
