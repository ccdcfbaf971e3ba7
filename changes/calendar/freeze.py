"""Writes of freeze windows, shared by the pages and the API. Managers (and admins) keep them.

A window is saved whole: its name, reason, start, end and services, validated first (a
ValidationFailed names every problem and nothing is stored; PermissionDenied for anyone but a
manager), then written in one transaction. No service named means every service: a global
freeze."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeGuard

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from changes.models import FreezeWindow
from core.exceptions import ValidationFailed
from core.models import Service, User
from core.roles import is_manager
from core.single_line import CONTROL_CHARACTERS

MAX_NAME = 120
MAX_SERVICES = 200


def can_manage_calendar(user: User | None) -> bool:
    """Managers and admins keep freeze windows and standard-change templates."""
    return user is not None and is_manager(user)


def require_calendar_manager(user: User | None) -> User:
    if user is None or not can_manage_calendar(user):
        raise PermissionDenied("Only managers can change freeze windows and change templates.")
    return user


def _is_instant(value: Any) -> TypeGuard[datetime]:
    return isinstance(value, datetime) and timezone.is_aware(value)


def _services(value: Any, kept: set[int], errors: dict[str, str]) -> list[Service]:
    if value is None:
        return []
    if not isinstance(value, Iterable) or isinstance(value, str | bytes):
        errors["services"] = "Services are a list."
        return []
    items = list(value)
    if len(items) > MAX_SERVICES:
        errors["services"] = f"Name at most {MAX_SERVICES} services (or none: all of them)."
        return []
    if not all(isinstance(s, Service) for s in items):
        errors["services"] = "Choose services from the list."
        return []
    # A service retired since the window named it may stay; a retired one is not added.
    if any(not s.is_active and s.pk not in kept for s in items):
        errors["services"] = "A retired service cannot be frozen; choose active services."
    return list({s.pk: s for s in items}.values())


def freeze_window_validate(
    data: dict[str, Any], *, window: FreezeWindow | None = None
) -> dict[str, Any]:
    """Clean values of a whole window, or ValidationFailed naming every problem."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = "Give the freeze window a name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Keep the name within {MAX_NAME} characters."
    elif CONTROL_CHARACTERS.search(name):
        errors["name"] = "The name is one line."
    reason = str(data.get("reason") or "").strip()
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if not _is_instant(starts_at):
        errors["starts_at"] = "Give the start as a date and time."
    if not _is_instant(ends_at):
        errors["ends_at"] = "Give the end as a date and time."
    elif _is_instant(starts_at) and ends_at <= starts_at:  # both aware datetimes here
        errors["ends_at"] = "The freeze window must end after it starts."
    kept = {s.pk for s in window.services.all()} if window is not None else set()
    services = _services(data.get("services"), kept, errors)
    if errors:
        raise ValidationFailed(errors)
    return {
        "name": name,
        "reason": reason,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "services": services,
    }


def freeze_window_save(
    *, window: FreezeWindow | None, data: dict[str, Any], actor: User | None
) -> FreezeWindow:
    """Create (`window` None) or replace a freeze window with `data` (name, reason, starts_at,
    ends_at, services)."""
    require_calendar_manager(actor)
    clean = freeze_window_validate(data, window=window)
    services = clean.pop("services")
    with transaction.atomic():
        if window is None:
            window = FreezeWindow(created_by=actor, created_at=timezone.now())
        for name, value in clean.items():
            setattr(window, name, value)
        window.save()
        window.services.set(services)
    return window


def freeze_window_delete(*, window: FreezeWindow, actor: User | None) -> None:
    require_calendar_manager(actor)
    window.delete()
