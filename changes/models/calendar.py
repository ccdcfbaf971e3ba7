from django.conf import settings
from django.db import models


class FreezeWindow(models.Model):
    """A time when changes should not run ("year-end freeze"), on some services or on all of
    them (no service named). Managers define them; the calendar flags changes inside one."""

    name = models.CharField(max_length=120)
    reason = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    services = models.ManyToManyField("core.Service", blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="freeze_window_span")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="freeze_window_order"
            )
        ]

    def __str__(self) -> str:
        return self.name
