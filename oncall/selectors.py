"""Reads of on-call schedules: the schedules with what the engine needs (one query per table),
who is on call now or at an instant, a schedule's timeline and a person's shifts."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from core.models import SupportGroup, User
from oncall.engine import (
    LayerSpec,
    OverrideSpec,
    ScheduleSpec,
    Shift,
    effective_layer_shifts,
    final_shifts,
)
from oncall.models import CalendarFeed, LayerMember, Override, RotationLayer, Schedule
from oncall.services import token_hash

# Around an instant, how far to look for the whole shift that covers it (its start and end).
SHIFT_HORIZON = timedelta(days=35)


def schedule_list(
    *, group: SupportGroup | None = None, window: tuple[datetime, datetime] | None = None
) -> QuerySet[Schedule]:
    """Schedules with their group, layers (members in order) and the overrides that touch
    `window` (all when None)."""
    overrides = Override.objects.select_related("person", "created_by").order_by("created_at", "pk")
    if window is not None:
        overrides = overrides.filter(end__gt=window[0], start__lt=window[1])
    schedules = Schedule.objects.select_related("support_group").prefetch_related(
        Prefetch("layers", queryset=RotationLayer.objects.order_by("-level")),
        Prefetch(
            "layers__memberships",
            queryset=LayerMember.objects.select_related("person").order_by("position"),
        ),
        Prefetch("overrides", queryset=overrides),
    )
    if group is not None:
        schedules = schedules.filter(support_group=group)
    return schedules


def schedule_get(pk: int, *, window: tuple[datetime, datetime] | None = None) -> Schedule:
    schedule = schedule_list(window=window).filter(pk=pk).first()
    if schedule is None:
        raise Http404("No such schedule.")
    return schedule


def layer_spec(layer: RotationLayer) -> LayerSpec:
    window = None
    if layer.window_start is not None and layer.window_end is not None:
        window = (layer.window_start, layer.window_end)
    return LayerSpec(
        level=layer.level,
        member_ids=tuple(m.person_id for m in layer.memberships.all()),
        shift_hours=layer.shift_hours,
        handoff_at=layer.handoff_at,
        weekdays=frozenset(int(d) for d in layer.weekdays),
        window=window,
    )


def schedule_spec(schedule: Schedule) -> ScheduleSpec:
    """The engine's input for a schedule loaded by schedule_list."""
    return ScheduleSpec(
        time_zone=schedule.time_zone,
        schedule_id=schedule.pk,
        layers=tuple(layer_spec(layer) for layer in schedule.layers.all()),
        overrides=tuple(
            OverrideSpec(o.person_id, o.start, o.end) for o in schedule.overrides.all()
        ),
    )


def people_by_id(schedules: Iterable[Schedule]) -> dict[int, User]:
    """Everyone a loaded schedule may name, from what the prefetches already hold."""
    people: dict[int, User] = {}
    for schedule in schedules:
        for layer in schedule.layers.all():
            for member in layer.memberships.all():
                people[member.person_id] = member.person
        for override in schedule.overrides.all():
            people[override.person_id] = override.person
    return people


@dataclass(frozen=True)
class OnCall:
    """Who is on call for one schedule at an instant (person None: nobody)."""

    schedule: Schedule
    shift: Shift | None
    person: User | None


def on_call_at(schedules: Sequence[Schedule], at: datetime) -> list[OnCall]:
    """For schedules loaded by schedule_list (with a window around `at`), who is on call."""
    people = people_by_id(schedules)
    found = []
    for schedule in schedules:
        shifts = final_shifts(schedule_spec(schedule), at - SHIFT_HORIZON, at + SHIFT_HORIZON)
        shift = next((s for s in shifts if s.start <= at < s.end), None)
        found.append(OnCall(schedule, shift, people.get(shift.person_id) if shift else None))
    return found


def on_call_for_group(group: SupportGroup | None, at: datetime) -> list[OnCall]:
    """Who is on call at `at` on every schedule of a group (of every group when None)."""
    window = (at - SHIFT_HORIZON, at + SHIFT_HORIZON)
    return on_call_at(list(schedule_list(group=group, window=window)), at)


@dataclass(frozen=True)
class TimelineRow:
    label: str
    shifts: list[Shift]


def schedule_timeline(schedule: Schedule, start: datetime, end: datetime) -> list[TimelineRow]:
    """Each layer's own shifts (after restrictions), then the final schedule, over [start, end)."""
    zone = ZoneInfo(schedule.time_zone)
    rows = [
        TimelineRow(str(layer), effective_layer_shifts(layer_spec(layer), zone, start, end))
        for layer in schedule.layers.all()
    ]
    rows.append(TimelineRow("Final schedule", final_shifts(schedule_spec(schedule), start, end)))
    return rows


def person_schedules(person: User, window: tuple[datetime, datetime]) -> list[Schedule]:
    """The schedules that can name `person`: in a layer's rotation or holding an override."""
    ids = Schedule.objects.filter(
        Q(layers__memberships__person=person) | Q(overrides__person=person)
    ).values("pk")
    return list(schedule_list(window=window).filter(pk__in=ids))


def person_shifts(person: User, start: datetime, end: datetime) -> list[tuple[Schedule, Shift]]:
    """A person's final shifts over [start, end) on every schedule, by start."""
    found = [
        (schedule, shift)
        for schedule in person_schedules(person, (start, end))
        for shift in final_shifts(schedule_spec(schedule), start, end)
        if shift.person_id == person.pk
    ]
    return sorted(found, key=lambda pair: pair[1].start)


def feed_for_token(token: str) -> CalendarFeed | None:
    """The feed a secret opens, if any (looked up by its hash; the token itself is not stored)."""
    if not token or len(token) > 100:
        return None
    return (
        CalendarFeed.objects.select_related("schedule", "person")
        .filter(token_hash=token_hash(token))
        .first()
    )
