from datetime import time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from sla.calendar import CalendarError, due_at
from sla.choices import ClockState, Metric, ThresholdAction, ticket_kind_choices
from sla.snapshot import calendar_of


def _validate_timezone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"'{value}' is not a known timezone (e.g. Europe/Berlin).") from exc


class Calendar(models.Model):
    """Business hours: weekly working windows in a named timezone minus holidays, or 24x7."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[_validate_timezone])
    is_24x7 = models.BooleanField("24x7", default=False)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One working window on one weekday. An end of 00:00 means midnight (the end of the day)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name_plural = "working hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self) -> None:
        if self.end != time(0) and self.end <= self.start:
            raise ValidationError({"end": "The window must end after it starts."})


class Holiday(models.Model):
    """A date on which the calendar does not work (in the calendar's own timezone)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_calendar")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class SlaPolicy(models.Model):
    """Targets for a ticket kind and priority, optionally for one service (which wins over the
    policy without a service). Clocks copy what they need when they start, so editing a policy
    never moves a running clock."""

    name = models.CharField(max_length=120)
    ticket_kind = models.CharField(max_length=10, choices=ticket_kind_choices)
    priority = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    service = models.ForeignKey(
        "core.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    response_target = models.DurationField(help_text="Business time, e.g. 00:30:00 or 4 hours.")
    resolution_target = models.DurationField()
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="policies")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["ticket_kind", "priority", "name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_kind", "priority"],
                condition=models.Q(service__isnull=True, is_active=True),
                name="sla_policy_one_default_per_priority",
            ),
            models.UniqueConstraint(
                fields=["ticket_kind", "priority", "service"],
                condition=models.Q(service__isnull=False, is_active=True),
                name="sla_policy_one_per_service_priority",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse targets no ticket could be given a due time for (negative, or beyond the
        supported range on this calendar, or a calendar with no working time), here rather
        than as an error on every ticket created under the policy."""
        if self.calendar_id is None:
            return
        try:
            calendar = calendar_of(self.calendar)
        except CalendarError as exc:
            raise ValidationError({"calendar": f"{exc}."}) from exc
        now = timezone.now()
        errors = {}
        for field in ("response_target", "resolution_target"):
            target = getattr(self, field)
            if target is None:
                continue
            if target < timedelta(0):
                errors[field] = "A target cannot be negative."
                continue
            try:
                due_at(now, target, calendar)
            except CalendarError as exc:
                errors[field] = f"On the calendar '{self.calendar}': {exc}."
        if errors:
            raise ValidationError(errors)


class SlaThreshold(models.Model):
    """A warning point before the breach: at `percent` of the target, do `action`.
    The breach itself (100 %) always escalates one tier and notifies the group's manager."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="thresholds")
    percent = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    action = models.CharField(
        max_length=20, choices=ThresholdAction.choices, default=ThresholdAction.NOTIFY
    )

    class Meta:
        ordering = ["percent"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "percent"], name="threshold_unique_percent")
        ]

    def __str__(self) -> str:
        return f"{self.percent}%: {self.get_action_display()}"


class SlaClock(models.Model):
    """One SLA timer of one ticket (response or resolution).

    `snapshot` holds the policy's target, calendar and thresholds as they were when the clock
    started (or was re-targeted), so policy edits never move it. `next_deadline_at` is the next
    instant the sweeper must act (a warning or the breach); the partial index on it for running
    clocks keeps a sweep's cost proportional to what is due, not to what is open.
    `stage` counts the thresholds already processed (len(thresholds) + 1 once breached); the
    sweeper advances it with a conditional update, so each threshold fires once.
    """

    ticket_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    ticket_id = models.BigIntegerField()
    metric = models.CharField(max_length=12, choices=Metric.choices)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="clocks")
    snapshot = models.JSONField()
    state = models.CharField(max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    started_at = models.DateTimeField()
    target = models.DurationField()
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    next_deadline_at = models.DateTimeField(null=True, blank=True)
    stage = models.PositiveSmallIntegerField(default=0)
    pauses = models.JSONField(default=list, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Set once when the clock stops (cleared by a reopen), so reports average them in the
    # database instead of replaying calendars ticket by ticket: working time on the clock's
    # calendar from start to stop without the pauses, and the paused wall-clock time.
    elapsed_business_seconds = models.BigIntegerField(null=True, blank=True)
    paused_seconds = models.BigIntegerField(null=True, blank=True)
    generation = models.PositiveIntegerField(
        default=1, help_text="Bumped when re-targeted, so notifications of a new pass are new."
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["ticket_type", "ticket_id", "metric"]
        verbose_name = "SLA clock"
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_type", "ticket_id", "metric"], name="sla_clock_one_per_metric"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_deadline_at"],
                name="sla_clock_due_idx",
                condition=models.Q(state="running", next_deadline_at__isnull=False),
            ),
            models.Index(fields=["ticket_type", "ticket_id"], name="sla_clock_ticket_idx"),
            # Reporting reads stopped clocks by the million; these partial covering indexes let
            # PostgreSQL answer from the index alone instead of the wide rows (the snapshot).
            # Compliance (reporting.metrics.outcomes): clocks met in a period (stopped in it,
            # not after their due time), and clocks breached in it (due in it, and still
            # running at their due time: read from state, stopped_at and paused_at).
            models.Index(
                fields=["ticket_type", "stopped_at"],
                include=["ticket_id", "metric", "state", "due_at"],
                name="sla_clock_stopped_due_idx",
                condition=models.Q(stopped_at__isnull=False),
            ),
            models.Index(
                fields=["ticket_type", "due_at"],
                include=["ticket_id", "metric", "state", "stopped_at", "paused_at"],
                name="sla_clock_due_at_idx",
                condition=models.Q(due_at__isnull=False),
            ),
            # MTTR / MTTA and the CSV export: each ticket's clock with its outcome, business
            # and paused seconds, joined to the tickets without reading the clock rows.
            models.Index(
                fields=["ticket_type", "ticket_id", "metric"],
                include=["state", "elapsed_business_seconds", "paused_seconds"],
                name="sla_clock_elapsed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} clock of {self.ticket_type_id}:{self.ticket_id} ({self.state})"


# The what-if models live in their own module; Django finds an app's models in `<app>.models`.
from sla.models_whatif import (  # noqa: E402
    WhatIfAggregate,
    WhatIfFlip,
    WhatIfScenario,
)

__all__ = [
    "Calendar",
    "Holiday",
    "SlaClock",
    "SlaPolicy",
    "SlaThreshold",
    "WhatIfAggregate",
    "WhatIfFlip",
    "WhatIfScenario",
    "WorkingHours",
]
