from django.db import models

from core.tickets.kinds import kinds


def ticket_kind_choices() -> list[tuple[str, str]]:
    """(name, label) of every registered ticket kind with SLA clocks, in registration order:
    the kinds an SLA policy can be for. SlaPolicy.ticket_kind reads it as a callable, so its
    migrations refer to this function instead of copying a list of kinds."""
    return [(kind.name, kind.label) for kind in kinds() if kind.has_sla]


class Metric(models.TextChoices):
    RESPONSE = "response", "Response"
    RESOLUTION = "resolution", "Resolution"


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


class ThresholdAction(models.TextChoices):
    NOTIFY = "notify", "Notify the assignee and the group"
    NOTIFY_MANAGER = "notify_manager", "Notify the assignee, the group and its manager"
    ESCALATE = "escalate", "Escalate one tier"


class SlaState(models.TextChoices):
    """What an agent sees on a ticket: derived from the nearest running clock."""

    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    PAUSED = "paused", "Paused"
    NONE = "none", "No SLA"
