"""Backlog (open now, by age), created vs resolved per day, and the reopen rate."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.choices import Source
from core.exceptions import ValidationFailed
from reporting.filters import ReportFilter
from reporting.kinds import reopen_refusal
from reporting.scope import resolved_in_period, spec_for, tickets_in_scope
from reporting.sql import tuned

# (key, label, from days, to days): a ticket is in a bucket when from <= age < to.
AGE_BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("under_1d", "under 1 day", 0, 1),
    ("d1_3", "1-3 days", 1, 3),
    ("d3_7", "3-7 days", 3, 7),
    ("d7_30", "7-30 days", 7, 30),
    ("over_30d", "30 days or more", 30, None),
)


@dataclass(frozen=True)
class BacklogRow:
    priority: int | None
    buckets: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


@dataclass(frozen=True)
class BacklogReport:
    """Open tickets at `as_of` by age (since identified / submitted), per priority and total.
    The period of the filter does not apply: the backlog is always "now"."""

    as_of: datetime
    total: BacklogRow
    rows: list[BacklogRow]


@tuned
def backlog(report: ReportFilter, *, now: datetime | None = None) -> BacklogReport:
    now = now or timezone.now()
    spec = spec_for(report)
    counts = {}
    for key, _label, low, high in AGE_BUCKETS:
        condition = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - timedelta(days=high))
        counts[key] = Count("pk", filter=condition)
    per_priority = (
        tickets_in_scope(report)
        .filter(status__in=spec.open_statuses)
        .values("priority")
        .annotate(**counts)
        .order_by("priority")
    )
    keys = [key for key, *_ in AGE_BUCKETS]
    rows = [
        BacklogRow(priority=row["priority"], buckets={key: row[key] for key in keys})
        for row in per_priority
    ]
    total = BacklogRow(
        priority=None, buckets={key: sum(row.buckets[key] for row in rows) for key in keys}
    )
    return BacklogReport(as_of=now, total=total, rows=rows)


@dataclass(frozen=True)
class VolumeDay:
    day: date
    created: int
    resolved: int


@dataclass(frozen=True)
class SourceCount:
    """Tickets created in the period that came in through one channel (web, api, email, ...)."""

    source: str
    created: int

    @property
    def label(self) -> str:
        return str(dict(Source.choices).get(self.source, self.source or "Unknown"))


@dataclass(frozen=True)
class VolumeReport:
    """Tickets created and resolved per day (days in the current time zone, every day of the
    period listed, zeros included), and the period's new tickets by source (most first)."""

    days: list[VolumeDay]
    by_source: list[SourceCount] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(day.created for day in self.days)

    @property
    def resolved(self) -> int:
        return sum(day.resolved for day in self.days)


@tuned
def volume(report: ReportFilter) -> VolumeReport:
    spec = spec_for(report)
    tz = timezone.get_current_timezone()
    created = dict(
        tickets_in_scope(report)
        .filter(created_at__gte=report.start, created_at__lt=report.end)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    resolved = dict(
        resolved_in_period(report)
        .annotate(day=TruncDate(spec.resolved, tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    first = timezone.localtime(report.start, tz).date()
    last = timezone.localtime(report.end - timedelta(microseconds=1), tz).date()
    days = []
    day = first
    while day <= last:
        days.append(VolumeDay(day=day, created=created.get(day, 0), resolved=resolved.get(day, 0)))
        day += timedelta(days=1)
    return VolumeReport(days=days, by_source=created_by_source(report))


def created_by_source(report: ReportFilter) -> list[SourceCount]:
    """The period's new tickets counted per source, in the database (one GROUP BY)."""
    rows = (
        tickets_in_scope(report)
        .filter(created_at__gte=report.start, created_at__lt=report.end)
        .values("source")
        .annotate(n=Count("pk"))
        .order_by("-n", "source")
        .values_list("source", "n")
    )
    return [SourceCount(source=source, created=n) for source, n in rows]


@dataclass(frozen=True)
class RateReport:
    """`part` of `whole` tickets; `rate` is None when `whole` is 0."""

    whole: int
    part: int

    @property
    def rate(self) -> float | None:
        return self.part / self.whole if self.whole else None


@tuned
def reopen_rate(report: ReportFilter) -> RateReport:
    """Of the tickets whose last resolution falls in the period, those reopened at least once
    (a ticket reopened and not yet resolved again is counted when it is). Only for kinds that
    count their reopens (incidents)."""
    refusal = reopen_refusal(report.kind)
    if refusal:
        raise ValidationFailed({"kind": refusal})
    reopened = Q(**{f"{spec_for(report).extras.reopen_count}__gt": 0})
    counts = resolved_in_period(report).aggregate(
        whole=Count("pk"), part=Count("pk", filter=reopened)
    )
    return RateReport(whole=counts["whole"], part=counts["part"])
