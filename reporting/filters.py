"""What a report is about: a period and optional dimensions, parsed and validated from query
parameters (the API, the CSV export, the dashboard) or from a stored subscription.

Bad parameters raise core.exceptions.ValidationFailed with one message per field, and nothing
is computed. The period is half-open, [start, end): a date given as `end` includes that day.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.choices import Priority, Tier
from core.exceptions import ValidationFailed
from core.models import ConfigurationItem, Service, SupportGroup
from reporting.kinds import default_kind, reported_kind_names

DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 5 * 366

# Query parameter -> attribute, for the id dimensions and the models they must exist in.
_ID_DIMENSIONS: dict[str, tuple[str, Any]] = {
    "service": ("service_id", Service),
    "ci": ("ci_id", ConfigurationItem),
    "group": ("group_id", SupportGroup),
}
PARAMETERS = ("start", "end", "kind", "service", "ci", "group", "tier", "priority")


@dataclass(frozen=True)
class ReportFilter:
    """A period [start, end) and the dimensions every metric narrows its tickets by.

    `tier` is the ticket's current tier (for the escalation rate: the tier whose row is shown);
    `kind` names a registered kind with reporting milestones (by default the first: incidents);
    metrics defined for some kinds only (MTBF, the reopen rate) refuse the others.
    """

    start: datetime
    end: datetime
    kind: str = field(default_factory=default_kind)
    service_id: int | None = None
    ci_id: int | None = None
    group_id: int | None = None
    tier: int | None = None
    priority: int | None = None

    @property
    def period_seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @classmethod
    def last_days(cls, days: int, *, now: datetime | None = None, **dims: Any) -> "ReportFilter":
        end = now or timezone.now()
        return cls(start=end - timedelta(days=days), end=end, **dims)

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any], *, now: datetime | None = None
    ) -> "ReportFilter":
        """Parse query parameters; unknown parameters are ignored, bad ones listed together."""
        now = now or timezone.now()
        errors: dict[str, str] = {}
        end = _instant(params.get("end"), "end", errors, end_of_day=True)
        start = _instant(params.get("start"), "start", errors, end_of_day=False)
        end = end or now
        start = start or end - timedelta(days=DEFAULT_PERIOD_DAYS)
        if "start" not in errors and "end" not in errors:
            if start >= end:
                errors["start"] = "The start must be before the end."
            elif end - start > timedelta(days=MAX_PERIOD_DAYS):
                errors["end"] = f"A report covers at most {MAX_PERIOD_DAYS} days."
        kind = str(params.get("kind") or default_kind())
        known = reported_kind_names()
        if kind not in known:
            errors["kind"] = f"Choose one of: {', '.join(known)}."
        dims: dict[str, Any] = {}
        for name, (attribute, model) in _ID_DIMENSIONS.items():
            dims[attribute] = _existing_id(params.get(name), name, model, errors)
        dims["tier"] = _choice(params.get("tier"), "tier", Tier.values, errors)
        dims["priority"] = _choice(params.get("priority"), "priority", Priority.values, errors)
        if errors:
            raise ValidationFailed(errors)
        return cls(start=start, end=end, kind=kind, **dims)

    def dimensions(self) -> dict[str, Any]:
        """The non-period part as query parameters (what a subscription stores)."""
        values = {
            "kind": self.kind,
            "service": self.service_id,
            "ci": self.ci_id,
            "group": self.group_id,
            "tier": self.tier,
            "priority": self.priority,
        }
        return {key: value for key, value in values.items() if value is not None}

    def as_params(self) -> dict[str, str]:
        """Query parameters that parse back into this filter."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            **{key: str(value) for key, value in self.dimensions().items()},
        }

    def with_period(self, start: datetime, end: datetime) -> "ReportFilter":
        return replace(self, start=start, end=end)


def _instant(raw: Any, field: str, errors: dict[str, str], *, end_of_day: bool) -> datetime | None:
    if raw in (None, ""):
        return None
    text = str(raw).strip()
    moment: datetime | None = None
    try:
        # A bare date first: parse_datetime would read "2026-03-10" as its midnight.
        day = parse_date(text)
        if day is None:
            moment = parse_datetime(text)
    except ValueError:
        moment = day = None
    if moment is None and day is None:
        errors[field] = "Give a date (2026-03-01) or an ISO date-time (2026-03-01T08:00:00Z)."
        return None
    if moment is None:
        assert isinstance(day, date)
        moment = datetime.combine(day + timedelta(days=1 if end_of_day else 0), time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _integer(raw: Any, field: str, errors: dict[str, str]) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(str(raw).strip())
    except ValueError:
        errors[field] = "Give a whole number."
        return None


def _choice(raw: Any, field: str, allowed: list[int], errors: dict[str, str]) -> int | None:
    value = _integer(raw, field, errors)
    if value is not None and value not in allowed:
        errors[field] = f"Choose one of: {', '.join(str(a) for a in allowed)}."
        return None
    return value


def _existing_id(raw: Any, field: str, model: Any, errors: dict[str, str]) -> int | None:
    value = _integer(raw, field, errors)
    if value is not None and not model.objects.filter(pk=value).exists():
        errors[field] = f"There is no {model._meta.verbose_name} with id {value}."
        return None
    return value
