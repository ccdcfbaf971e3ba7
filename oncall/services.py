"""Writes of on-call schedules, shared by the pages and the API.

Every service validates everything first and raises ValidationFailed (nothing stored) or
PermissionDenied (the actor may not); then writes in one transaction.
"""

import hashlib
import secrets
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from core.exceptions import ValidationFailed
from core.models import SupportGroup, User
from core.roles import is_agent
from oncall.access import can_delete_override, can_manage_group_schedules, can_write_overrides
from oncall.models import CalendarFeed, LayerMember, Override, RotationLayer, Schedule

MAX_SHIFT_HOURS = 24 * 28
MAX_OVERRIDE = timedelta(days=62)
MAX_LAYERS = 10
MAX_MEMBERS = 50


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _zone(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name if name else None


def schedule_save(*, schedule: Schedule | None, data: dict[str, Any], actor: User) -> Schedule:
    """Create a schedule (schedule=None) or change the fields given in `data` (support_group,
    name, time_zone, description). Admins and the group's manager, of the old and new group."""
    group: SupportGroup | None = data.get(
        "support_group", schedule.support_group if schedule else None
    )
    name = str(data.get("name", schedule.name if schedule else "")).strip()
    zone = str(data.get("time_zone", schedule.time_zone if schedule else "")).strip()
    errors: dict[str, str] = {}
    if group is None:
        errors["support_group"] = "Choose the support group the schedule belongs to."
    elif not group.is_active:
        errors["support_group"] = f"{group.name} is not active."
    if not name:
        errors["name"] = "Give the schedule a name."
    elif len(name) > 100:
        errors["name"] = "At most 100 characters."
    if not _zone(zone):
        errors["time_zone"] = f"'{zone}' is not a known time zone; use a name like Europe/Berlin."
    if group is not None and name and not errors.get("support_group"):
        clash = Schedule.objects.filter(support_group=group, name=name)
        if schedule is not None:
            clash = clash.exclude(pk=schedule.pk)
        if clash.exists():
            errors["name"] = f"{group.name} already has a schedule named “{name}”."
    if errors:
        raise ValidationFailed(errors)
    assert group is not None
    for checked in {group, *([schedule.support_group] if schedule else [])}:
        _require(
            can_manage_group_schedules(actor, checked),
            f"Only admins and the manager of {checked.name} can change its schedules.",
        )
    target = schedule or Schedule()
    target.support_group = group
    target.name = name
    target.time_zone = zone
    target.description = str(data.get("description", target.description or ""))
    target.save()
    return target


def schedule_delete(*, schedule: Schedule, actor: User) -> None:
    _require(
        can_manage_group_schedules(actor, schedule.support_group),
        "Only admins and the group's manager can delete its schedules.",
    )
    schedule.delete()


def _member_errors(group: SupportGroup, member_ids: Any) -> tuple[list[int], str | None]:
    if not isinstance(member_ids, list | tuple) or not member_ids:
        return [], "A layer needs at least one member."
    try:
        ids = [int(pk) for pk in member_ids]
    except (TypeError, ValueError):
        return [], "Members are people's ids."
    if len(set(ids)) != len(ids):
        return [], "A person can be in a layer's rotation once."
    if len(ids) > MAX_MEMBERS:
        return [], f"At most {MAX_MEMBERS} members."
    people = {u.pk: u for u in group.members.filter(pk__in=ids, is_active=True)}
    strangers = [pk for pk in ids if pk not in people or not is_agent(people[pk])]
    if strangers:
        return [], f"Not active agents of {group.name}: {', '.join(map(str, strangers))}."
    return ids, None


def _layer_values(
    schedule: Schedule, layer: RotationLayer | None, data: dict[str, Any]
) -> dict[str, Any]:
    def current(field: str, default: Any) -> Any:
        return data.get(field, getattr(layer, field) if layer else default)

    errors: dict[str, str] = {}
    values: dict[str, Any] = {"name": str(current("name", "")).strip()[:100]}
    level, hours, handoff = (
        current("level", None),
        current("shift_hours", None),
        current("handoff_at", None),
    )
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 100:
        errors["level"] = "A level from 1 to 100 (higher levels cover lower ones)."
    else:
        clash = schedule.layers.filter(level=level)
        if layer is not None:
            clash = clash.exclude(pk=layer.pk)
        if clash.exists():
            errors["level"] = f"The schedule already has a layer at level {level}."
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_SHIFT_HOURS:
        errors["shift_hours"] = f"A shift lasts from 1 to {MAX_SHIFT_HOURS} hours."
    if not isinstance(handoff, datetime) or timezone.is_naive(handoff):
        errors["handoff_at"] = "The first handoff is a date and time with its offset."
    weekdays = current("weekdays", "")
    if isinstance(weekdays, list | tuple):
        if not all(isinstance(d, int) and 1 <= d <= 7 for d in weekdays) or len(
            set(weekdays)
        ) != len(weekdays):
            errors["weekdays"] = "Weekdays are distinct numbers from 1 (Monday) to 7 (Sunday)."
        else:
            weekdays = "".join(str(d) for d in sorted(weekdays))
    if len(str(weekdays)) == 7:
        weekdays = ""  # every day is no restriction
    opens, closes = current("window_start", None), current("window_end", None)
    if (opens is None) != (closes is None):
        errors["window_end"] = "Give both ends of the daily window, or neither."
    elif opens is not None and (not isinstance(opens, time) or not isinstance(closes, time)):
        errors["window_start"] = "The window's ends are times of day."
    elif opens is not None and opens == closes:
        errors["window_end"] = "The window ends when it starts; leave both empty for all day."
    member_ids = data.get("member_ids")
    if member_ids is None and layer is not None:
        member_ids = list(layer.memberships.values_list("person_id", flat=True))
    ids, member_error = _member_errors(schedule.support_group, member_ids)
    if member_error:
        errors["member_ids"] = member_error
    if layer is None and schedule.layers.count() >= MAX_LAYERS:
        errors["level"] = f"A schedule has at most {MAX_LAYERS} layers."
    if errors:
        raise ValidationFailed(errors)
    values.update(
        level=level,
        shift_hours=hours,
        handoff_at=handoff,
        weekdays=str(weekdays),
        window_start=opens,
        window_end=closes,
        member_ids=ids,
    )
    return values


def layer_save(
    *, schedule: Schedule, layer: RotationLayer | None, data: dict[str, Any], actor: User
) -> RotationLayer:
    """Create or change a rotation layer: level (unique in the schedule), name, shift_hours,
    handoff_at (aware), weekdays (ISO numbers), window_start/window_end (local times, both or
    neither), member_ids (active agents of the group, in rotation order)."""
    _require(
        can_manage_group_schedules(actor, schedule.support_group),
        f"Only admins and the manager of {schedule.support_group.name} can change its schedules.",
    )
    values = _layer_values(schedule, layer, data)
    member_ids = values.pop("member_ids")
    with transaction.atomic():
        target = layer or RotationLayer(schedule=schedule)
        for field, value in values.items():
            setattr(target, field, value)
        target.save()
        target.memberships.all().delete()
        LayerMember.objects.bulk_create(
            LayerMember(layer=target, person_id=pk, position=index)
            for index, pk in enumerate(member_ids)
        )
        Schedule.objects.filter(pk=schedule.pk).update(updated_at=timezone.now())
    return target


def layer_delete(*, layer: RotationLayer, actor: User) -> None:
    _require(
        can_manage_group_schedules(actor, layer.schedule.support_group),
        "Only admins and the group's manager can change its schedules.",
    )
    layer.delete()


def override_create(
    *, schedule: Schedule, person: User | None, start: Any, end: Any, actor: User
) -> Override:
    """`person` (an active agent of the schedule's group) is on call from `start` to `end`
    (aware; end after start and in the future; at most 62 days), whoever the layers name."""
    group = schedule.support_group
    _require(
        can_write_overrides(actor, group),
        f"Only agents of {group.name}, its manager and admins can cover its shifts.",
    )
    errors: dict[str, str] = {}
    if person is None:
        errors["person"] = "Choose who takes the shift."
    else:
        _, member_error = _member_errors(group, [person.pk])
        if member_error:
            errors["person"] = f"{person.display_name} is not an active agent of {group.name}."
    if not isinstance(start, datetime) or timezone.is_naive(start):
        errors["start"] = "The start is a date and time."
    if not isinstance(end, datetime) or timezone.is_naive(end):
        errors["end"] = "The end is a date and time."
    if not errors:
        if end <= start:
            errors["end"] = "The end must be after the start."
        elif end <= timezone.now():
            errors["end"] = "The override is over already; its end must be in the future."
        elif end - start > MAX_OVERRIDE:
            errors["end"] = "An override lasts at most 62 days; change the rotation instead."
    if errors:
        raise ValidationFailed(errors)
    assert person is not None
    return Override.objects.create(
        schedule=schedule, person=person, start=start, end=end, created_by=actor
    )


def override_delete(*, override: Override, actor: User) -> None:
    _require(can_delete_override(actor, override), "You cannot remove this override.")
    override.delete()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token_renew(*, schedule: Schedule | None = None, person: User | None = None) -> str:
    """A new secret for the feed of a schedule or a person; the old URL stops working. Returns
    the token (shown once: only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    if schedule is not None:
        CalendarFeed.objects.update_or_create(
            schedule=schedule, defaults={"token_hash": token_hash(token)}
        )
    elif person is not None:
        CalendarFeed.objects.update_or_create(
            person=person, defaults={"token_hash": token_hash(token)}
        )
    else:
        raise ValueError("a feed belongs to a schedule or a person")
    return token
