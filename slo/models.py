"""Objectives and the episodes of their alerts. Budgets and burn rates are not stored: they are
computed in the database when read (slo.queries), from the outage incidents (availability) and
the incidents' acknowledgement times (response)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from slo.choices import AlertRule, ObjectiveKind

MAX_WINDOW_DAYS = 90


class Objective(models.Model):
    """A service level objective of one service.

    Availability: the service is up `target` percent of the last `window_days` days (outage
    time as MTBF measures it). Response: `target` percent of the service's incidents at one of
    `priorities`, over the last `window_days` days, are acknowledged within `threshold_minutes`.
    The database refuses a target outside (0, 100), a window outside 1..90 days, and a
    response objective without a threshold and priorities (or an availability one with them).
    """

    service = models.ForeignKey("core.Service", on_delete=models.CASCADE, related_name="objectives")
    kind = models.CharField(max_length=12, choices=ObjectiveKind.choices)
    target = models.DecimalField(
        max_digits=6, decimal_places=3, help_text="Percent, e.g. 99.9 (strictly between 0 and 100)."
    )
    window_days = models.PositiveSmallIntegerField(default=28)
    priorities = models.JSONField(
        default=list, blank=True, help_text="Response objectives: the incident priorities (1-5)."
    )
    threshold_minutes = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["service__name", "kind", "id"]
        indexes = [models.Index(fields=["service", "kind"], name="slo_objective_service")]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__gt=0) & Q(target__lt=100), name="slo_target_0_100"
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=1) & Q(window_days__lte=MAX_WINDOW_DAYS),
                name="slo_window_1_90",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=ObjectiveKind.AVAILABILITY, threshold_minutes__isnull=True)
                    | Q(kind=ObjectiveKind.RESPONSE, threshold_minutes__gte=1)
                ),
                name="slo_threshold_by_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.describe()}"

    def describe(self) -> str:
        """The objective in words: "99.9 % available over 28 days"."""
        target = f"{self.target.normalize():f}"
        if self.kind == ObjectiveKind.AVAILABILITY:
            return f"{target} % available over {self.window_days} days"
        priorities = "/".join(f"P{p}" for p in sorted(self.priorities))
        return (
            f"{target} % of {priorities} incidents acknowledged within "
            f"{self.threshold_minutes} min over {self.window_days} days"
        )


class AlertEpisode(models.Model):
    """One episode of one alert of one objective: from when the rule started to hold
    (`fired_at`) to when it stopped (`cleared_at`, NULL while it holds). At most one open
    episode per objective and rule (a partial unique constraint), which is what makes a page,
    an email or the `slo.budget_exhausted` webhook happen once per episode however often, and
    however concurrently, the evaluation runs. `ticket_number` is the incident a fast burn
    opened to page through."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="episodes")
    rule = models.CharField(max_length=12, choices=AlertRule.choices)
    fired_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    burn_long = models.FloatField(null=True, blank=True)
    burn_short = models.FloatField(null=True, blank=True)
    remaining = models.FloatField(
        null=True, blank=True, help_text="Fraction of the budget left when it fired."
    )
    ticket_number = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        indexes = [
            models.Index(fields=["objective", "-fired_at"], name="slo_episode_history"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["objective", "rule"],
                condition=Q(cleared_at__isnull=True),
                name="slo_one_open_episode",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} since {self.fired_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None
