"""On-call models: schedules (who is on call when) and paging (escalation policies, contact
methods, notification rules, pages and their notifications)."""

from oncall.models.paging import (
    ContactMethod,
    ContactMethodKind,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    Page,
    PageNotification,
    PageNotificationStatus,
    PageReason,
    PageStatus,
    StepTarget,
)
from oncall.models.schedules import CalendarFeed, LayerMember, Override, RotationLayer, Schedule

__all__ = [
    "CalendarFeed",
    "ContactMethod",
    "ContactMethodKind",
    "EscalationPolicy",
    "EscalationStep",
    "LayerMember",
    "NotificationRule",
    "Override",
    "Page",
    "PageNotification",
    "PageNotificationStatus",
    "PageReason",
    "PageStatus",
    "RotationLayer",
    "Schedule",
    "StepTarget",
]
