from django.conf import settings
from django.db import models

from core.choices import Tier


class SupportGroup(models.Model):
    """A team of agents working at one support tier (L1, L2, L3), with a manager.

    Escalation moves a ticket to an active group of the next tier. A group that
    `handles_security` is the security team: its members see restricted tickets (security
    incidents), and a restricted ticket escalates to such a group of the next tier when one is
    active.
    """

    name = models.CharField(max_length=100, unique=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.L1)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_groups",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="support_groups"
    )
    email = models.EmailField(blank=True)
    webhook_url = models.URLField(
        blank=True, help_text="Optional Slack-compatible incoming webhook for SLA notifications."
    )
    is_active = models.BooleanField(default=True)
    handles_security = models.BooleanField(
        "handles security incidents",
        default=False,
        help_text=(
            "Members of an active group with this flag see and work every security incident. "
            "Other agents see one only while it is assigned to them (core.tickets.visibility)."
        ),
    )

    class Meta:
        ordering = ["tier", "name"]
        indexes = [models.Index(fields=["tier", "is_active"], name="supportgroup_tier_active")]

    def __str__(self) -> str:
        return f"{self.name} (L{self.tier})"
