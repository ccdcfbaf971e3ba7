from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class ReportSubscription(models.Model):
    """A manager's weekly email summary of the last 7 days, narrowed by `filters` (the
    dimensions of a reporting.filters.ReportFilter as query parameters: kind, service, ci,
    group, tier, priority), sent on `weekday` at `hour` in the site's time zone.

    `last_sent_at` is advanced with a compare-and-set before the email is queued (in the same
    transaction), so two beat runs never send the same week twice.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    filters = models.JSONField(default=dict, blank=True)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    hour = models.PositiveSmallIntegerField(default=7, validators=[MaxValueValidator(23)])
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["user", "weekday", "hour", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6) & models.Q(hour__lte=23),
                name="report_subscription_valid_slot",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} every {self.get_weekday_display()} at {self.hour:02d}:00"
