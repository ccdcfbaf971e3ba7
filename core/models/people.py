from django.contrib.auth.models import AbstractUser
from django.db import models


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

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        full = self.get_full_name()
        return full or self.username
