"""Choices shared by every ticket kind."""

from django.db import models


class Role(models.TextChoices):
    END_USER = "end_user", "End user"
    AGENT = "agent", "Agent"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


class Tier(models.IntegerChoices):
    L1 = 1, "L1"
    L2 = 2, "L2"
    L3 = 3, "L3"


class Priority(models.IntegerChoices):
    P1 = 1, "P1 Critical"
    P2 = 2, "P2 High"
    P3 = 3, "P3 Moderate"
    P4 = 4, "P4 Low"
    P5 = 5, "P5 Planning"


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Category(models.TextChoices):
    """What a ticket is about (incidents, problems and recurrence proposals share it)."""

    HARDWARE = "hardware", "Hardware"
    SOFTWARE = "software", "Software"
    NETWORK = "network", "Network"
    ACCESS = "access", "Access and accounts"
    SECURITY = "security", "Security"
    DATA = "data", "Data"
    OTHER = "other", "Other"


class Source(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    EMAIL = "email", "Email"
    ALERT = "alert", "Alert"
    ONCALL = "oncall", "On-call"
    SYSTEM = "system", "System"


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    STATUS_CHANGED = "status_changed", "Status changed"
    FIELDS_CHANGED = "fields_changed", "Fields changed"
    ASSIGNED = "assigned", "Assigned"
    COMMENTED = "commented", "Commented"
    ATTACHED = "attached", "Attachment added"
    ESCALATED = "escalated", "Escalated"
    DEESCALATED = "deescalated", "De-escalated"
    SLA = "sla", "SLA"
    ALERT = "alert", "Alert"
    RATED = "rated", "Rated"
    EMAIL_BOUNCED = "email_bounced", "Email bounced"
    PAGE = "page", "Page"
    # Kinds of one ticket kind's own (their constructors live in that app's events.py).
    TASK_UPDATED = "task_updated", "Task updated"
    LINKED = "linked", "Linked"
    UNLINKED = "unlinked", "Unlinked"
    LINKED_RESOLVED = "linked_resolved", "Linked tickets resolved"
    REVIEW = "review", "Review"
    RECATEGORIZED = "recategorized", "Category changed"
    SLO = "slo", "SLO alert"
