from django.conf import settings
from django.db import models


class ChangeCalendarFeed(models.Model):
    """The secret of one person's change-calendar iCalendar feed. Only its SHA-256 is stored, so
    the URL is shown once; a new token replaces (revokes) the old one."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="change_calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Change calendar feed of {self.person_id}"
