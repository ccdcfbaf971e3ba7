"""Clashes on the change calendar.

Two active changes **overlap** when their windows intersect and they share a service (the main
service or one of the services they name) or a configuration item (likewise). A change is
**inside a freeze window** when its window intersects a freeze window that names one of its
services or names none (a global freeze).

`change_conflicts(change)` answers for one change (its page); `conflicts_by_change(changes)`
for every change of a calendar page at once, in a constant number of queries: the overlapping
pairs and what they share come from one SQL statement over the changes and their service and
configuration-item links, then the other changes and the freeze windows from one query each
(plus their services). Only changes still planned or running (CHECKED_STATUSES) get conflicts,
and only active changes (ACTIVE_STATUSES) are counted against them.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from changes.calendar.windows import (
    CHECKED_STATUSES,
    change_path,
    freeze_windows_between,
    service_ids,
    window_span,
)
from changes.models import Change, FreezeWindow
from changes.transitions import ACTIVE_STATUSES
from core.models import ConfigurationItem, Service


@dataclass(frozen=True)
class Conflict:
    """One clash of a change: an overlap with another change (`number` set) or a freeze window
    it falls in (`freeze_window_id` set). `shared` names what the overlap shares, or the
    services the freeze names that the change touches (empty for a global freeze)."""

    kind: str  # "overlap" or "freeze"
    starts_at: datetime
    ends_at: datetime
    title: str
    shared: tuple[str, ...] = ()
    number: str = ""
    status_label: str = ""
    freeze_window_id: int | None = None
    path: str = field(default="", compare=False)

    @property
    def is_overlap(self) -> bool:
        return self.kind == "overlap"

    @property
    def is_global_freeze(self) -> bool:
        return self.kind == "freeze" and not self.shared

    def describe(self) -> str:
        if self.is_overlap:
            return f"Overlaps {self.number} “{self.title}” on {', '.join(self.shared)}."
        if self.is_global_freeze:
            return f"Inside the freeze window “{self.title}” (all services)."
        return f"Inside the freeze window “{self.title}” ({', '.join(self.shared)})."


def _is_checked(change: Change) -> bool:
    return (
        change.status in CHECKED_STATUSES
        and change.planned_start is not None
        and change.planned_end is not None
        and change.planned_end > change.planned_start
    )


def _overlap_sql(focus_count: int) -> str:
    change = Change._meta.db_table
    services = Change.services.through
    items = Change.configuration_items.through
    s_change = services._meta.get_field("change").column
    s_ref = services._meta.get_field("service").column
    i_change = items._meta.get_field("change").column
    i_ref = items._meta.get_field("configurationitem").column
    active = ", ".join(["%s"] * len(ACTIVE_STATUSES))
    focus = ", ".join(["%s"] * focus_count)
    # A change takes part when it is active (or one of the changes asked about) and its window
    # meets the span of the changes asked about; each part is one kind of link.
    taking_part = (
        f"(c.status IN ({active}) OR c.id IN ({focus})) "
        "AND c.planned_start < %s AND c.planned_end > %s"
    )
    return f"""
        WITH touch (change_id, kind, ref) AS (
            SELECT c.id, 's', c.service_id FROM {change} c
             WHERE c.service_id IS NOT NULL AND {taking_part}
            UNION
            SELECT t.{s_change}, 's', t.{s_ref} FROM {services._meta.db_table} t
              JOIN {change} c ON c.id = t.{s_change} WHERE {taking_part}
            UNION
            SELECT c.id, 'i', c.configuration_item_id FROM {change} c
             WHERE c.configuration_item_id IS NOT NULL AND {taking_part}
            UNION
            SELECT t.{i_change}, 'i', t.{i_ref} FROM {items._meta.db_table} t
              JOIN {change} c ON c.id = t.{i_change} WHERE {taking_part}
        )
        SELECT a.change_id, b.change_id, a.kind, COALESCE(sv.name, ci.name)
          FROM touch a
          JOIN touch b ON b.kind = a.kind AND b.ref = a.ref AND b.change_id <> a.change_id
          JOIN {change} ca ON ca.id = a.change_id
          JOIN {change} cb ON cb.id = b.change_id
          LEFT JOIN {Service._meta.db_table} sv ON a.kind = 's' AND sv.id = a.ref
          LEFT JOIN {ConfigurationItem._meta.db_table} ci ON a.kind = 'i' AND ci.id = a.ref
         WHERE a.change_id IN ({focus})
           AND cb.status IN ({active})
           AND cb.planned_start < ca.planned_end AND cb.planned_end > ca.planned_start
    """  # noqa: S608 — only table and column names from the models and placeholders are interpolated


def _overlaps(
    focus: Sequence[Change], span: tuple[datetime, datetime]
) -> dict[int, dict[int, list[str]]]:
    """For each change asked about: the active changes it overlaps, each with what they share
    ("service Email", "CI mail-01"), from one statement."""
    ids = [c.pk for c in focus]
    active = sorted(ACTIVE_STATUSES)
    adapt = connection.ops.adapt_datetimefield_value
    part = [*active, *ids, adapt(span[1]), adapt(span[0])]
    params = [*part, *part, *part, *part, *ids, *active]
    found: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    with connection.cursor() as cursor:
        cursor.execute(_overlap_sql(len(ids)), params)
        for change_id, other_id, kind, name in cursor.fetchall():
            label = f"service {name}" if kind == "s" else f"CI {name}"
            found[change_id][other_id].append(label)
    return found


def conflicts_by_change(changes: Sequence[Change]) -> dict[int, list[Conflict]]:
    """Every clash of each of `changes` (by change id; only those with one are keys), overlaps
    first by their start, then freeze windows. Reads each change's services through
    `change.services.all()`: prefetch them for a list. Constant queries in len(changes)."""
    focus = [c for c in changes if _is_checked(c)]
    span = window_span(focus)
    if span is None:
        return {}
    overlaps = _overlaps(focus, span)
    other_ids = {other for found in overlaps.values() for other in found}
    others = (
        {
            c.pk: c
            for c in Change.objects.filter(pk__in=sorted(other_ids)).only(
                "id", "number", "title", "status", "planned_start", "planned_end"
            )
        }
        if other_ids
        else {}
    )
    freezes = list(freeze_windows_between(*span))
    result: dict[int, list[Conflict]] = {}
    for change in focus:
        found = [
            _overlap(others[other_id], shared)
            for other_id, shared in overlaps.get(change.pk, {}).items()
            if other_id in others
        ]
        found.sort(key=lambda c: (c.starts_at, c.number))
        found += _freezes(change, freezes)
        if found:
            result[change.pk] = found
    return result


def _overlap(other: Change, shared: list[str]) -> Conflict:
    assert other.planned_start is not None and other.planned_end is not None
    return Conflict(
        kind="overlap",
        starts_at=other.planned_start,
        ends_at=other.planned_end,
        title=other.title,
        shared=tuple(sorted(set(shared))),
        number=other.number,
        status_label=other.get_status_display(),
        path=change_path(other.number),
    )


def _freezes(change: Change, freezes: list[FreezeWindow]) -> list[Conflict]:
    assert change.planned_start is not None and change.planned_end is not None
    touched = service_ids(change)
    found = []
    for freeze in freezes:
        if not (freeze.starts_at < change.planned_end and freeze.ends_at > change.planned_start):
            continue
        named = {s.pk: s.name for s in freeze.services.all()}
        if named and not (touched & set(named)):
            continue
        found.append(
            Conflict(
                kind="freeze",
                starts_at=freeze.starts_at,
                ends_at=freeze.ends_at,
                title=freeze.name,
                shared=tuple(sorted(named[pk] for pk in touched & set(named))),
                freeze_window_id=freeze.pk,
            )
        )
    return found


def change_conflicts(change: Change) -> list[Conflict]:
    """The clashes of one change, for its page (empty for a change without a window or past
    planning): the active changes it overlaps and the freeze windows it falls in."""
    return conflicts_by_change([change]).get(change.pk, [])
