"""On-call schedules: a support group's schedule, its rotation layers and their members, the
overrides on top, and the calendar feeds. The final schedule is computed by oncall.engine."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.models import SupportGroup
from core.time_zones import zone_name_validate


class Schedule(models.Model):
    """Who of a support group is on call when, in one time zone (restrictions and wall-clock
    handoffs are read in it). Layers with a higher level cover lower ones; overrides cover
    all layers."""

    support_group = models.ForeignKey(
        SupportGroup, on_delete=models.PROTECT, related_name="oncall_schedules"
    )
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, validators=[zone_name_validate])
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["support_group__tier", "support_group__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["support_group", "name"], name="oncall_schedule_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RotationLayer(models.Model):
    """Members take turns in `position` order, one shift of `shift_hours` each, counted on the
    schedule's wall clock from `handoff_at` (so a daily 09:00 handoff stays at 09:00 across DST).
    Optional restrictions limit the layer to some weekdays (`weekdays`: ISO numbers 1-7, empty
    for every day) and a daily window (`window_start`-`window_end`, crossing midnight when the
    end is earlier), both in the schedule's zone."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    level = models.PositiveSmallIntegerField(help_text="Higher levels cover lower ones.")
    name = models.CharField(max_length=100, blank=True)
    shift_hours = models.PositiveIntegerField()
    handoff_at = models.DateTimeField()
    weekdays = models.CharField(max_length=7, blank=True, default="")
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="LayerMember", related_name="oncall_layers"
    )

    class Meta:
        ordering = ["schedule", "-level"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "level"], name="oncall_layer_unique_level"),
            models.CheckConstraint(condition=Q(shift_hours__gt=0), name="oncall_layer_shift_gt_0"),
        ]

    def __str__(self) -> str:
        return self.name or f"Layer {self.level}"


class LayerMember(models.Model):
    """One member of a layer's rotation, at its place in the order."""

    layer = models.ForeignKey(RotationLayer, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="oncall_memberships"
    )
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["layer", "position"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "position"], name="oncall_member_position"),
            models.UniqueConstraint(fields=["layer", "person"], name="oncall_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} at {self.position}"


class Override(models.Model):
    """`person` is on call for the schedule from `start` to `end`, whoever the layers say."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="oncall_overrides"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["schedule", "end"], name="oncall_override_sched_end")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="oncall_override_end_gt")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M}"


class CalendarFeed(models.Model):
    """The secret of an iCalendar feed, of one schedule or one person: only its SHA-256 is
    stored, so the URL is shown once; a new token replaces (revokes) the old one."""

    schedule = models.OneToOneField(
        Schedule, on_delete=models.CASCADE, null=True, blank=True, related_name="feed"
    )
    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="oncall_feed",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(schedule__isnull=False, person__isnull=True)
                | Q(schedule__isnull=True, person__isnull=False),
                name="oncall_feed_one_owner",
            )
        ]

    def __str__(self) -> str:
        return (
            f"Feed of schedule {self.schedule_id}"
            if self.schedule_id
            else f"Feed of {self.person_id}"
        )
