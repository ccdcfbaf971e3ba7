"""The draft of a what-if scenario: policy overrides as JSON, checked field by field.

A draft is {"overrides": [override, ...]}; an override names the policy it changes by kind,
priority and service (null for the kind's default policy of that priority) and gives only what
changes:

    {"kind": "incident", "priority": 2, "service": null,
     "response_minutes": 30, "resolution_minutes": 240, "calendar": 3,
     "thresholds": [{"percent": 75, "action": "notify"}, {"percent": 90, "action": "escalate"}]}

What an override leaves out keeps the current policy's value. An override for a (kind,
priority, service) without a current policy adds one, so it must give both targets and a
calendar. Errors are keyed by path ("overrides[1].calendar") with a sentence each.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeGuard

from django.utils import timezone

from sla.calendar import CalendarError, due_at
from sla.choices import ThresholdAction
from sla.replay.inputs import PolicyBook
from sla.snapshot import Snapshot, calendar_from_snapshot

MAX_OVERRIDES = 500
MAX_TARGET_MINUTES = 366 * 24 * 60
MAX_THRESHOLDS = 5
FIELDS = frozenset(
    {
        "kind",
        "priority",
        "service",
        "response_minutes",
        "resolution_minutes",
        "calendar",
        "thresholds",
    }
)
TARGET_FIELDS = {"response_minutes": "response", "resolution_minutes": "resolution"}


@dataclass(frozen=True)
class Override:
    """One checked override; None means "as the current policy"."""

    kind: str
    priority: int
    service: int | None
    response_minutes: int | None = None
    resolution_minutes: int | None = None
    calendar: int | None = None
    thresholds: tuple[tuple[int, str], ...] | None = None

    @property
    def policy_key(self) -> tuple[str, int, int | None]:
        return (self.kind, self.priority, self.service)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "priority": self.priority,
            "service": self.service,
        }
        for name in ("response_minutes", "resolution_minutes", "calendar"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.thresholds is not None:
            data["thresholds"] = [{"percent": p, "action": a} for p, a in self.thresholds]
        return data


@dataclass(frozen=True)
class DraftContext:
    """What a draft is checked against: the kinds with SLA, the services and calendars that
    exist (calendar id -> its snapshot part), and the current policies' keys."""

    kinds: frozenset[str]
    services: frozenset[int]
    calendars: Mapping[int, dict[str, Any]]
    policies: frozenset[tuple[str, int, int | None]]


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_draft(data: object, context: DraftContext) -> tuple[list[Override], dict[str, str]]:
    """The overrides of `data`, or the errors that refuse it (path -> message)."""
    if not isinstance(data, dict):
        return [], {"draft": "The draft must be an object with a list of overrides."}
    unknown = sorted(set(data) - {"overrides"})
    if unknown:
        return [], {"draft": f"Unknown field(s): {', '.join(unknown)}; only 'overrides'."}
    raw = data.get("overrides", [])
    if not isinstance(raw, list):
        return [], {"draft.overrides": "The overrides must be a list."}
    if len(raw) > MAX_OVERRIDES:
        return [], {"draft.overrides": f"At most {MAX_OVERRIDES} overrides."}
    errors: dict[str, str] = {}
    found: list[Override] = []
    seen: set[tuple[str, int, int | None]] = set()
    for index, item in enumerate(raw):
        override = _override(f"overrides[{index}]", item, context, errors)
        if override is None:
            continue
        if override.policy_key in seen:
            errors[f"overrides[{index}]"] = (
                "Another override already changes the policy for this kind, priority and service."
            )
            continue
        seen.add(override.policy_key)
        found.append(override)
    return (found, errors) if not errors else ([], errors)


def _override(
    path: str, item: object, context: DraftContext, errors: dict[str, str]
) -> Override | None:
    if not isinstance(item, dict):
        errors[path] = "Each override must be an object."
        return None
    unknown = sorted(set(item) - FIELDS)
    if unknown:
        errors[path] = f"Unknown field(s): {', '.join(unknown)}."
        return None
    before = len(errors)
    kind = item.get("kind")
    if kind not in context.kinds:
        errors[f"{path}.kind"] = f"Must be one of: {', '.join(sorted(context.kinds))}."
    priority = item.get("priority")
    if not (_is_int(priority) and 1 <= priority <= 5):
        errors[f"{path}.priority"] = "Must be a whole number from 1 to 5."
    service = item.get("service")
    if service is not None and not (_is_int(service) and service in context.services):
        errors[f"{path}.service"] = "Must be the id of an existing service, or null."
    minutes: dict[str, int | None] = {}
    for name in TARGET_FIELDS:
        value = item.get(name)
        if value is not None and not (_is_int(value) and 0 <= value <= MAX_TARGET_MINUTES):
            errors[f"{path}.{name}"] = (
                f"Must be a whole number of minutes from 0 to {MAX_TARGET_MINUTES}."
            )
        minutes[name] = value
    calendar = item.get("calendar")
    if calendar is not None and not (_is_int(calendar) and calendar in context.calendars):
        errors[f"{path}.calendar"] = "Must be the id of an existing SLA calendar."
    thresholds = _thresholds(f"{path}.thresholds", item.get("thresholds"), errors)
    if len(errors) > before:
        return None
    assert isinstance(kind, str) and isinstance(priority, int)
    override = Override(
        kind=kind,
        priority=priority,
        service=service,
        response_minutes=minutes["response_minutes"],
        resolution_minutes=minutes["resolution_minutes"],
        calendar=calendar,
        thresholds=thresholds,
    )
    if override.policy_key not in context.policies:
        missing = [
            name
            for name in ("response_minutes", "resolution_minutes", "calendar")
            if getattr(override, name) is None
        ]
        if missing:
            errors[path] = (
                "No current policy for this kind, priority and service: a new one needs "
                f"{', '.join(missing)}."
            )
            return None
    return override


def _thresholds(
    path: str, raw: object, errors: dict[str, str]
) -> tuple[tuple[int, str], ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_THRESHOLDS:
        errors[path] = f"Must be a list of at most {MAX_THRESHOLDS} thresholds."
        return None
    found: list[tuple[int, str]] = []
    for index, item in enumerate(raw):
        where = f"{path}[{index}]"
        if not isinstance(item, dict) or set(item) != {"percent", "action"}:
            errors[where] = "Each threshold is an object with 'percent' and 'action'."
            return None
        percent, action = item["percent"], item["action"]
        if not (_is_int(percent) and 1 <= percent <= 99):
            errors[f"{where}.percent"] = "Must be a whole number from 1 to 99."
            return None
        if action not in ThresholdAction.values:
            errors[f"{where}.action"] = f"Must be one of: {', '.join(ThresholdAction.values)}."
            return None
        found.append((percent, action))
    percents = [p for p, _ in found]
    if len(set(percents)) != len(percents):
        errors[path] = "Each percent may appear once."
        return None
    return tuple(sorted(found))


def draft_json(overrides: Iterable[Override]) -> dict[str, Any]:
    """The draft as stored: overrides in a stable order."""
    ordered = sorted(overrides, key=lambda o: (o.kind, o.priority, o.service or 0))
    return {"overrides": [o.as_json() for o in ordered]}


def overrides_of(draft: Mapping[str, Any]) -> list[Override]:
    """The overrides of a stored (already checked) draft."""
    found = []
    for item in draft.get("overrides", []):
        thresholds = item.get("thresholds")
        found.append(
            Override(
                kind=item["kind"],
                priority=item["priority"],
                service=item.get("service"),
                response_minutes=item.get("response_minutes"),
                resolution_minutes=item.get("resolution_minutes"),
                calendar=item.get("calendar"),
                thresholds=(
                    tuple((t["percent"], t["action"]) for t in thresholds)
                    if thresholds is not None
                    else None
                ),
            )
        )
    return found


def overridden_snapshot(
    current: Snapshot | None,
    override: Override,
    metric: str,
    calendars: Mapping[int, dict[str, Any]],
) -> Snapshot:
    """The snapshot a clock would take under the override: the current policy's (if any) with
    the override's target, calendar and thresholds."""
    snapshot: Snapshot = dict(current) if current else {"policy_id": None, "thresholds": []}
    snapshot["policy_name"] = f"What-if: {snapshot.get('policy_name') or override.kind}"
    minutes = override.response_minutes if metric == "response" else override.resolution_minutes
    if minutes is not None:
        snapshot["target_seconds"] = minutes * 60
    if override.calendar is not None:
        snapshot["calendar"] = calendars[override.calendar]
    if override.thresholds is not None:
        snapshot["thresholds"] = [[p, a] for p, a in override.thresholds]
    return snapshot


def draft_book(
    base: PolicyBook,
    kind: str,
    overrides: Iterable[Override],
    calendars: Mapping[int, dict[str, Any]],
) -> PolicyBook:
    """The kind's current policies with the draft's overrides applied: the replay's lookup."""
    snapshots = {key: dict(metrics) for key, metrics in base.snapshots.items()}
    for override in overrides:
        if override.kind != kind:
            continue
        key = (override.priority, override.service)
        current = snapshots.get(key, {})
        snapshots[key] = {
            metric: overridden_snapshot(current.get(metric), override, metric, calendars)
            for metric in ("response", "resolution")
        }
    return PolicyBook(snapshots)


def reachable_errors(book: PolicyBook, kind: str, overrides: Iterable[Override]) -> dict[str, str]:
    """Targets no ticket could get a due time for on their calendar (a calendar without
    working time, a target beyond the supported range), per override."""
    errors: dict[str, str] = {}
    now = timezone.now()
    for index, override in enumerate(overrides):
        if override.kind != kind:
            continue
        for metric in ("response", "resolution"):
            snapshot = book.snapshots[(override.priority, override.service)][metric]
            try:
                calendar = calendar_from_snapshot(snapshot)
                due_at(now, timedelta(seconds=snapshot["target_seconds"]), calendar)
            except (CalendarError, ValueError) as exc:
                errors[f"overrides[{index}]"] = f"No due time for the {metric} target: {exc}."
    return errors
