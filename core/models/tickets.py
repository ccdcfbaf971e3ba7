from typing import Any

from django.conf import settings
from django.db import models

from core.choices import Priority, Source, Tier


class TicketBase(models.Model):
    """Fields every ticket kind shares (incident, service request, problem).

    `number` is the human number (INC-000123) allocated by core.numbering, never max()+1.
    `version` is bumped by every service that writes the ticket; a write that names an older
    version is refused (optimistic concurrency, core.exceptions.ConflictError).
    Milestone timestamps beyond created/updated are defined by each kind.
    """

    NUMBER_PREFIX = "TKT"
    # Set by core.tickets.opening.ticket_open on the ticket it returns (not a column): the SLA
    # clocks it started, for callers that show them at once.
    started_clocks: "list[Any]"

    number = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_requested",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(app_label)s_%(class)s_assigned",
    )
    support_group = models.ForeignKey(
        "core.SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(app_label)s_%(class)s_set",
    )
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.L1)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.P4)
    service = models.ForeignKey(
        "core.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(app_label)s_%(class)s_set",
    )
    configuration_item = models.ForeignKey(
        "core.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(app_label)s_%(class)s_set",
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    # The nearest running SLA clock, kept by sla.services so queues sort and filter by time to
    # breach with an index instead of a join.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class RatedTicket(TicketBase):
    """A ticket kind whose requester rates the outcome (core.tickets.rating): 1 (very poor) .. 5,
    with a comment, at a moment. Each kind adds its own check constraint on the score."""

    satisfaction_score = models.PositiveSmallIntegerField(null=True, blank=True)
    satisfaction_comment = models.TextField(blank=True)
    satisfaction_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
