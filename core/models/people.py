from django.contrib.auth.models import AbstractUser
from django.db import models

from core.time_zones import zone_name_validate


class User(AbstractUser):
    """A person: requester, agent, manager or admin (the role is a Django group, see core.roles).

    Users are never hard-deleted out from under tickets: every ticket foreign key to a user is
    PROTECT, and the admin deactivates instead of deleting.
    """

    email = models.EmailField("email address", blank=True, db_index=True)
    # Who approves this person's service requests when a catalog item asks for "the requester's
    # manager" (service_requests). PROTECT: a manager leaving is a deactivation, not a delete.
    manager = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        help_text="Approves this person's service requests that need their manager's approval.",
    )
    # Empty means "the site's TIME_ZONE", so changing the site's zone moves everyone who never
    # chose one (core.time_zones.zone_of). A name, not choices: the tz database's list differs
    # between systems and would make migrations drift.
    time_zone = models.CharField(
        "time zone",
        max_length=64,
        blank=True,
        default="",
        validators=[zone_name_validate],
        help_text="Dates in pages and emails are shown in this zone (e.g. Europe/Berlin). "
        "Empty: the site's time zone.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        full = self.get_full_name()
        return full or self.username
